// SPDX-License-Identifier: Apache-2.0
#include "net/server.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>

#include "net/asio.hpp"
#include "net/loopback.hpp"
#include "net/message_parser.hpp"

namespace mynasim {

using namespace std::chrono_literals;

namespace {

std::atomic<std::uint64_t> request_counter{0};

std::string next_request_id() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "req-%08llx", static_cast<unsigned long long>(++request_counter));
  return buf;
}

// Fingerprint and subject of the client certificate, when one was presented.
void read_client_cert(SSL* ssl_handle, http_request& req) {
  X509* cert = SSL_get1_peer_certificate(ssl_handle);
  if (!cert) return;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) == 1) {
    static const char* hex = "0123456789abcdef";
    for (unsigned i = 0; i < len; ++i) {
      req.client_cert_sha256.push_back(hex[md[i] >> 4]);
      req.client_cert_sha256.push_back(hex[md[i] & 15]);
    }
  }
  if (char* subject = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0)) {
    req.client_cert_subject = subject;
    OPENSSL_free(subject);
  }
  X509_free(cert);
}

http_request to_plain(plain_parser<true>& parser) {
  http_request req;
  req.method = std::move(parser.method);
  req.target = std::move(parser.target);
  auto q = req.target.find('?');
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.path = canonical_path(std::string_view(req.target).substr(0, q)).value_or("");
  req.headers = std::move(parser.headers);
  req.body = std::move(parser.body);
  return req;
}

// The status line and fields of a response; the body follows as its own buffer.
std::string serialize_head(const http_response& res, unsigned version, bool keep_alive) {
  std::size_t size = 128;
  for (const auto& h : res.headers) size += h.name.size() + h.value.size() + 4;
  std::string out;
  out.reserve(size);  // one allocation for the head
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += status_reason(res.status);
  out += "\r\nServer: mynasim\r\n";
  for (const auto& h : res.headers)
    if (h.name != "content-length" && h.name != "connection" && h.name != "transfer-encoding")
      append_field(out, h.name, h.value);
  out += "Content-Length: ";
  out += std::to_string(res.body.size());
  out += "\r\n";
  out += keep_alive ? (version == 10 ? "Connection: keep-alive\r\n" : "") : "Connection: close\r\n";
  out += "\r\n";
  return out;
}

// The bytes of a response, for faults that send them in unusual ways.
std::string serialize(const http_response& res, bool keep_alive) {
  return serialize_head(res, 11, keep_alive) + res.body;
}

// The bytes sent for a truncated, malformed or slow response (slow: all of them, in pieces).
std::string faulted_bytes(http_response& res) {
  using action = transport_fault::action;
  const auto what = res.fault.what;
  if (what == action::malformed)
    res.body = "{\"commonHeader\": {\"telegramId\": \"" + std::string(40, '\xff') + "<html>";
  std::string raw = serialize(res, what == action::slow && !res.close);
  if (what == action::truncate) raw.resize(raw.size() - std::max<std::size_t>(1, res.body.size() / 2));
  return raw;
}

http_response protocol_error(int status, const char* code, const char* message) {
  std::string body = std::string("{\"error\":\"") + code + "\",\"error_description\":\"" + message + "\"}";
  http_response r{status, {{"content-type", "application/json; charset=utf-8"}}, std::move(body)};
  r.close = true;
  return r;
}

}  // namespace

// One connection known to the server, so that shutdown can close idle ones.
struct connection {
  net::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;
  std::atomic<bool> busy{false};
};

std::chrono::microseconds elapsed_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t);
}

struct http_server::impl {
  server_settings settings;
  handler_fn handler;
  completion_fn on_complete;
  net::io_context ioc;
  std::vector<std::thread> threads;
  void spawn_io_thread();
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> accept_errors{0};

  // One listener with its own connection budget: a flood on one never starves another.
  struct listener_state {
    listen_settings settings;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<ssl::context> tls;
    std::atomic<std::size_t> open{0};
  };
  std::list<listener_state> acceptors;

  mutable std::mutex mutex;
  std::list<std::shared_ptr<connection>> connections;

  impl(server_settings s, handler_fn h, completion_fn c)
      : settings(s), handler(std::move(h)), on_complete(std::move(c)), ioc(std::max(1, s.threads)) {}

  std::unique_ptr<ssl::context> make_tls(const listen_settings& l);
  net::awaitable<void> pause(std::chrono::milliseconds d);
  net::awaitable<void> accept_loop(listener_state& entry);
  net::awaitable<void> serve(tcp::socket socket, listener_state& entry);
  template <class Stream>
  net::awaitable<bool> apply_fault(Stream& stream, beast::tcp_stream& lowest, http_response& res);
  net::awaitable<bool> delay_unless_gone(beast::tcp_stream& lowest, std::chrono::milliseconds delay);
  template <class Stream>
  net::awaitable<void> session(Stream& stream, beast::tcp_stream& lowest, connection& conn, listener_state& l,
                               SSL* ssl_handle);
  net::awaitable<http_response> call_handler(http_request& req);
  struct exchange_state {
    http_request req;
    http_response res;
    bool head = false;
    unsigned version = 11;
  };
  static bool ends_connection(const beast::error_code& ec);
  listener_state* in_memory_listener(const std::string& host, const std::string& port);
  net::awaitable<loopback_answer> in_memory(listener_state& l, std::string request, std::chrono::milliseconds timeout);
  net::awaitable<exchange_state> answer(const beast::error_code& ec, plain_parser<true>& parser,
                                        const std::string& listener, const std::string& remote, SSL* ssl_handle);
  void begin_shutdown();
  net::awaitable<void> drain();
};

std::unique_ptr<ssl::context> http_server::impl::make_tls(const listen_settings& l) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  ctx->use_certificate_chain_file(l.cert_file);
  ctx->use_private_key_file(l.key_file, ssl::context::pem);
  if (l.require_client_cert) {
    ctx->load_verify_file(l.client_ca_file);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

net::awaitable<void> http_server::impl::pause(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(use_tuple);
}

net::awaitable<void> http_server::impl::accept_loop(listener_state& entry) {
  auto backoff = 5ms;
  for (;;) {
    // At its budget a listener stops accepting: further connections wait in the kernel's
    // backlog until one of this listener's connections ends.
    while (entry.open.load() >= entry.settings.max_connections && !stopping) co_await pause(10ms);
    // A strand per connection only matters with several threads; on one it is pure overhead.
    net::any_io_executor executor =
        settings.threads > 1 ? net::any_io_executor(net::make_strand(ioc)) : net::any_io_executor(ioc.get_executor());
    auto [ec, socket] = co_await entry.acceptor->async_accept(executor, use_tuple);
    if (ec == net::error::operation_aborted || stopping) co_return;
    if (ec) {
      // EMFILE, ENFILE, ENOBUFS…: retrying at once would spin a core; back off, then retry.
      if (accept_errors++ % 100 == 0)
        std::fprintf(stderr, "{\"event\":\"accept_error\",\"listener\":\"%s\",\"error\":\"%s\",\"retry_ms\":%lld}\n",
                     entry.settings.name.c_str(), std::strerror(ec.value()), static_cast<long long>(backoff.count()));
      co_await pause(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 1s);
      continue;
    }
    backoff = 5ms;
    // Responses and TLS records are written whole: do not let Nagle hold them for an ACK.
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto socket_executor = socket.get_executor();
    ++entry.open;
    net::co_spawn(socket_executor, serve(std::move(socket), entry), net::detached);
  }
}

net::awaitable<void> http_server::impl::serve(tcp::socket socket, listener_state& entry) {
  auto conn = std::make_shared<connection>();
  conn->executor = socket.get_executor();
  std::list<std::shared_ptr<connection>>::iterator self;
  {
    std::lock_guard lock(mutex);
    self = connections.insert(connections.end(), conn);
  }
  try {
    if (entry.tls) {
      ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *entry.tls);
      // Asio sets SSL_MODE_RELEASE_BUFFERS on every stream: each record read or written on a
      // kept connection would allocate and free 16 KiB buffers anew. The connection keeps them
      // instead (≈ 34 KiB while open; connections are bounded by max_connections and read_timeout).
      SSL_clear_mode(stream.native_handle(), SSL_MODE_RELEASE_BUFFERS);
      auto& lowest = beast::get_lowest_layer(stream);
      conn->stream = &lowest;
      lowest.expires_after(settings.handshake_timeout);
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
      if (!ec && !stopping) {
        co_await session(stream, lowest, *conn, entry, stream.native_handle());
        lowest.expires_after(1s);
        co_await stream.async_shutdown(use_tuple);
      }
    } else {
      beast::tcp_stream stream(std::move(socket));
      conn->stream = &stream;
      co_await session(stream, stream, *conn, entry, nullptr);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  } catch (const std::exception&) {
    // A broken connection only ends itself.
  }
  --entry.open;
  std::lock_guard lock(mutex);
  conn->stream = nullptr;
  connections.erase(self);
}

net::awaitable<http_response> http_server::impl::call_handler(http_request& req) {
  // Most handlers answer inline; only a late answer needs the timer that wakes us up.
  struct pending {
    std::mutex mutex;
    std::optional<http_response> value;
    std::optional<net::steady_timer> timer;
  };
  auto state = std::make_shared<pending>();
  auto executor = co_await net::this_coro::executor;
  try {
    handler(req, [state](http_response res) {
      std::lock_guard lock(state->mutex);
      if (state->value) return;
      state->value = std::move(res);
      if (state->timer) net::post(state->timer->get_executor(), [state] { state->timer->cancel(); });
    });
  } catch (const std::exception&) {
    co_return protocol_error(500, "internal_error", "the simulator failed to handle this request");
  }
  {
    std::lock_guard lock(state->mutex);
    if (state->value) co_return std::move(*state->value);
    // Created under the lock: a late answer sees it and cancels it. The cancel is posted to
    // this connection's strand, so it runs only once we wait below.
    state->timer.emplace(executor);
    state->timer->expires_after(settings.handler_timeout);
  }
  co_await state->timer->async_wait(use_tuple);
  std::lock_guard lock(state->mutex);
  if (state->value) co_return std::move(*state->value);
  state->value = protocol_error(504, "handler_timeout", "the simulated system did not answer in time");
  co_return *state->value;
}

// Carries out what fault injection asked of this response. Returns true when the response
// was handled (or deliberately not sent) and the connection must end.
template <class Stream>
net::awaitable<bool> http_server::impl::apply_fault(Stream& stream, beast::tcp_stream& lowest, http_response& res) {
  using action = transport_fault::action;
  const auto fault = res.fault;
  switch (fault.what) {
    case action::none:
      co_return false;
    case action::hang: {
      // Hold the connection, answering nothing, until the caller gives up (10 minutes at most).
      lowest.expires_after(std::chrono::minutes(10));
      char byte;
      for (;;) {
        auto [ec, n] = co_await stream.async_read_some(net::buffer(&byte, 1), use_tuple);
        if (ec) break;
      }
      co_return true;
    }
    case action::reset: {
      beast::error_code ignored;
      lowest.socket().set_option(net::socket_base::linger(true, 0), ignored);
      lowest.socket().close(ignored);
      co_return true;
    }
    case action::empty: {
      beast::error_code ignored;
      lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest.socket().close(ignored);
      co_return true;
    }
    case action::truncate:
    case action::malformed:
    case action::slow:
      break;
  }
  std::string raw = faulted_bytes(res);
  std::size_t step = fault.what == action::slow ? std::max<std::size_t>(1, fault.chunk) : raw.size();
  for (std::size_t pos = 0; pos < raw.size(); pos += step) {
    if (pos > 0 && fault.pause.count() > 0) {
      net::steady_timer timer(co_await net::this_coro::executor);
      timer.expires_after(fault.pause);
      co_await timer.async_wait(use_tuple);
    }
    lowest.expires_after(settings.write_timeout);
    auto [ec, n] =
        co_await net::async_write(stream, net::buffer(raw.data() + pos, std::min(step, raw.size() - pos)), use_tuple);
    if (ec) co_return true;
  }
  if (fault.what == action::slow && !res.close) co_return false;  // the response went out whole
  beast::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return true;
}

// Waits out an injected latency, but gives up as soon as the client closes its end, so a
// departed client does not hold a connection slot for the rest of the delay.
net::awaitable<bool> http_server::impl::delay_unless_gone(beast::tcp_stream& lowest, std::chrono::milliseconds delay) {
  struct watch {
    explicit watch(const net::any_io_executor& ex) : timer(ex) {}
    net::steady_timer timer;
    bool gone = false;
  };
  auto w = std::make_shared<watch>(co_await net::this_coro::executor);
  w->timer.expires_after(delay);
  auto& socket = lowest.socket();
  socket.async_wait(tcp::socket::wait_read, [w, &socket](const beast::error_code& ec) {
    if (ec) return;
    char byte;
    beast::error_code peek_ec;
    socket.non_blocking(true, peek_ec);
    auto n = socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, peek_ec);
    if (n == 0 && peek_ec != net::error::would_block) {
      w->gone = true;
      w->timer.cancel();
    }
  });
  co_await w->timer.async_wait(use_tuple);
  beast::error_code ignored;
  socket.cancel(ignored);
  co_return !w->gone;
}

// A read that ended this way ends the connection without an answer (the peer left, or
// the connection idled past read_timeout).
bool http_server::impl::ends_connection(const beast::error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
      ec == net::error::eof || ec == net::error::connection_reset || ec == ssl::error::stream_truncated)
    return true;
  // Parse errors get an answer; socket errors just end the connection.
  return ec && ec != bhttp::error::body_limit && ec != bhttp::error::header_limit &&
         ec != bhttp::error::buffer_overflow &&
         ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category();
}

// The answer to one request read from a connection or handed over in memory: a protocol
// error for what did not parse, otherwise the handler's. Both transports go through here.
net::awaitable<http_server::impl::exchange_state> http_server::impl::answer(const beast::error_code& ec,
                                                                            plain_parser<true>& parser,
                                                                            const std::string& listener,
                                                                            const std::string& remote,
                                                                            SSL* ssl_handle) {
  exchange_state x;
  if (ec == bhttp::error::body_limit) {
    x.res = protocol_error(413, "payload_too_large", "the request body exceeds the limit");
  } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    x.res = protocol_error(431, "header_too_large", "the request head or trailer exceeds the limit");
  } else if (ec) {
    x.res = protocol_error(400, "bad_request", "malformed HTTP request");
  } else {
    x.version = parser.version;
    x.head = parser.method == "HEAD";
    bool keep_alive = parser.keep_alive();
    x.req = to_plain(parser);
    x.req.listener = listener;
    x.req.remote_address = remote;
    x.req.request_id = next_request_id();
    if (ssl_handle) read_client_cert(ssl_handle, x.req);
    if (std::count_if(x.req.headers.begin(), x.req.headers.end(),
                      [](const http_header& h) { return h.name == "host"; }) > 1) {
      x.res = protocol_error(400, "bad_request", "more than one Host header");
    } else if (x.req.path.empty()) {
      x.res =
          protocol_error(400, "bad_request",
                         "the request target must be a canonical path (no empty, '.', '..' or encoded '/' segments)");
    } else {
      x.res = co_await call_handler(x.req);
    }
    x.res.set("x-request-id", x.req.request_id);
    if (!keep_alive) x.res.close = true;
  }
  if (stopping) x.res.close = true;
  if (x.req.method.empty()) {
    x.req.method = "-";
    x.req.listener = listener;
    x.req.remote_address = remote;
    x.req.request_id = next_request_id();
  }
  co_return x;
}

template <class Stream>
net::awaitable<void> http_server::impl::session(Stream& stream, beast::tcp_stream& lowest, connection& conn,
                                                listener_state& l, SSL* ssl_handle) {
  message_limits limits{settings.header_limit, settings.body_limit};
  // Bounded: a head or trailer larger than the limit ends in buffer_overflow, never in growth.
  beast::flat_buffer buffer(limits.buffer_bytes());
  std::string remote;
  {
    beast::error_code ec;
    auto ep = lowest.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  for (;;) {
    plain_parser<true> parser(limits);
    lowest.expires_after(settings.read_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    auto started = std::chrono::steady_clock::now();
    conn.busy = true;
    if (ends_connection(ec)) co_return;
    auto [req, res, head, version] = co_await answer(ec, parser, l.settings.name, remote, ssl_handle);
    bool close = res.close;
    // Injected latency, before anything is sent or recorded; a client that leaves ends it.
    if (res.fault.delay.count() > 0 && !co_await delay_unless_gone(lowest, res.fault.delay)) {
      res.status = 499;  // recorded as "client closed", like the proxies that coined it
      if (on_complete) on_complete(req, res, elapsed_since(started));
      co_return;
    }
    // Recorded before the bytes go out: a client holding its answer finds it in the journal.
    if (on_complete) on_complete(req, res, elapsed_since(started));
    if (res.fault.what != transport_fault::action::none) {
      bool ended = co_await apply_fault(stream, lowest, res);
      conn.busy = false;
      if (ended) co_return;
      continue;  // a slow response went out whole on a kept-alive connection
    }
    auto head_bytes = serialize_head(res, version, !close);
    std::array<net::const_buffer, 2> out{net::buffer(head_bytes),
                                         net::buffer(res.body.data(), head ? 0 : res.body.size())};
    lowest.expires_after(settings.write_timeout);
    auto [wec, written] = co_await net::async_write(stream, out, use_tuple);
    conn.busy = false;
    if (wec || close) co_return;
  }
}

// One exchange with a plain listener of this process, handed over in memory: the request's
// bytes are parsed by the same bounded parser, answered through the same handler, latency,
// journal and faults as on a connection, and the bytes a client would read come back with
// how the connection would have ended. Only the kernel's loopback is skipped.
net::awaitable<loopback_answer> http_server::impl::in_memory(listener_state& l, std::string request,
                                                             std::chrono::milliseconds timeout) {
  using end = loopback_answer::end;
  using action = transport_fault::action;
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  // What is left of the caller's deadline: a wait beyond it is where the caller gives up.
  auto left = [&] {
    return std::max(0ms,
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  };
  message_limits limits{settings.header_limit, settings.body_limit};
  plain_parser<true> parser(limits);
  auto ec = feed_parser(parser, request, request.size(), limits.buffer_bytes());
  if (ends_connection(ec)) co_return loopback_answer{{}, end::closed};
  auto [req, res, head, version] = co_await answer(ec, parser, l.settings.name, "127.0.0.1", nullptr);
  const bool close = res.close;
  if (res.fault.delay.count() > 0) {
    if (res.fault.delay >= left()) {
      co_await pause(left());
      res.status = 499;  // as on a connection the caller closed during the delay
      if (on_complete) on_complete(req, res, elapsed_since(started));
      co_return loopback_answer{{}, end::timeout};
    }
    co_await pause(res.fault.delay);
  }
  if (on_complete) on_complete(req, res, elapsed_since(started));
  switch (res.fault.what) {
    case action::none: {
      auto bytes = serialize_head(res, version, !close);
      if (!head) bytes += res.body;
      co_return loopback_answer{std::move(bytes), close ? end::closed : end::open};
    }
    case action::hang:
      co_await pause(left());
      co_return loopback_answer{{}, end::timeout};
    case action::reset:
      co_return loopback_answer{{}, end::reset};
    case action::empty:
      co_return loopback_answer{{}, end::closed};
    case action::truncate:
    case action::malformed:
    case action::slow:
      break;
  }
  auto raw = faulted_bytes(res);
  if (res.fault.what == action::slow) {
    // The pieces go out `pause` apart: a caller whose deadline passes first reads no answer.
    const std::size_t step = std::max<std::size_t>(1, res.fault.chunk);
    const auto pieces = static_cast<long>((raw.size() + step - 1) / step);
    const auto spread = res.fault.pause * std::max(0L, pieces - 1);
    if (spread >= left()) {
      co_await pause(left());
      co_return loopback_answer{{}, end::timeout};
    }
    co_await pause(spread);
    if (!res.close) co_return loopback_answer{std::move(raw), end::open};
  }
  co_return loopback_answer{std::move(raw), end::closed};
}

// Closes idle connections at once, lets busy ones finish within the grace period, then stops.
net::awaitable<void> http_server::impl::drain() {
  auto close_connections = [this](bool all) {
    std::lock_guard lock(mutex);
    for (auto& c : connections) {
      if (!all && c->busy) continue;
      net::post(c->executor, [c] {
        if (c->stream) c->stream->cancel();
      });
    }
    return connections.size();
  };
  const auto deadline = std::chrono::steady_clock::now() + settings.shutdown_grace;
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    bool past = std::chrono::steady_clock::now() >= deadline;
    if (close_connections(past) == 0) break;
    timer.expires_after(past ? 50ms : 20ms);  // past the grace: one last moment for the cancels
    co_await timer.async_wait(use_tuple);
    if (past) break;
  }
  ioc.stop();
}

void http_server::impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  for (auto& a : acceptors) {
    net::post(a.acceptor->get_executor(), [&a] {
      beast::error_code ignored;
      a.acceptor->close(ignored);
    });
  }
  net::co_spawn(ioc, drain(), net::detached);
}

http_server::http_server(server_settings settings, handler_fn handler, completion_fn on_complete)
    : impl_(std::make_unique<impl>(settings, std::move(handler), std::move(on_complete))) {}

http_server::~http_server() {
  if (!impl_->ioc.stopped()) impl_->ioc.stop();
  join();
}

std::uint16_t http_server::listen(const listen_settings& listener) {
  auto& entry = impl_->acceptors.emplace_back();
  entry.settings = listener;
  if (entry.settings.max_connections == 0) entry.settings.max_connections = impl_->settings.max_connections;
  try {
    if (listener.tls) entry.tls = impl_->make_tls(listener);
    auto address = net::ip::make_address(listener.address == "localhost" ? "127.0.0.1" : listener.address);
    entry.acceptor = std::make_unique<tcp::acceptor>(net::make_strand(impl_->ioc));
    tcp::endpoint ep(address, listener.port);
    entry.acceptor->open(ep.protocol());
    entry.acceptor->set_option(net::socket_base::reuse_address(true));
    entry.acceptor->bind(ep);
    entry.acceptor->listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    impl_->acceptors.pop_back();
    throw std::runtime_error("listener '" + listener.name + "' on " + listener.address + ":" +
                             std::to_string(listener.port) + ": " + e.code().message());
  } catch (const std::exception& e) {
    impl_->acceptors.pop_back();
    throw std::runtime_error("listener '" + listener.name + "' on " + listener.address + ":" +
                             std::to_string(listener.port) + ": " + e.what());
  }
  auto port = entry.acceptor->local_endpoint().port();
  entry.settings.port = port;
  net::co_spawn(entry.acceptor->get_executor(), impl_->accept_loop(entry), net::detached);
  return port;
}

// I/O threads carry a name (top -H, perf --comm, /proc/<pid>/task/*/comm); the thread that
// calls run() keeps the process's own.
void http_server::impl::spawn_io_thread() {
  threads.emplace_back([this] { ioc.run(); });
  ::pthread_setname_np(threads.back().native_handle(), "mynasim-io");  // before start() returns
}

void http_server::run() {
  net::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
  signals.async_wait([this](const beast::error_code& ec, int) {
    if (!ec) impl_->begin_shutdown();
  });
  for (int i = 1; i < std::max(1, impl_->settings.threads); ++i) impl_->spawn_io_thread();
  impl_->ioc.run();
  join();
}

void http_server::start() {
  for (int i = 0; i < std::max(1, impl_->settings.threads); ++i) impl_->spawn_io_thread();
}

void http_server::shutdown() {
  impl_->begin_shutdown();
}

void http_server::join() {
  for (auto& t : impl_->threads)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  impl_->threads.clear();
}

void http_server::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](const beast::error_code& ec) {
    if (ec) return;
    // Background work must not unwind into the event loop.
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "{\"event\":\"background_error\",\"what\":\"%s\"}\n", e.what());
    }
  });
}

bool http_server::serves_in_memory(const std::string& host, const std::string& port) const {
  return impl_->in_memory_listener(host, port) != nullptr;
}

http_server::impl::listener_state* http_server::impl::in_memory_listener(const std::string& host,
                                                                         const std::string& port) {
  if (!settings.in_memory_hops || stopping) return nullptr;
  // An IPv4 literal in 127/8 (a name such as 127.example.net resolves wherever it likes).
  const bool loopback_literal = host.rfind("127.", 0) == 0 && std::count(host.begin(), host.end(), '.') == 3 &&
                                host.find_first_not_of("0123456789.") == std::string::npos;
  const bool loopback_host = host == "localhost" || host == "::1" || loopback_literal;
  for (auto& a : acceptors) {
    if (a.tls || std::to_string(a.settings.port) != port) continue;
    const auto& address = a.settings.address;
    const bool wildcard = address.empty() || address == "0.0.0.0" || address == "::";
    if (host == address || (wildcard && loopback_host) ||
        ((address == "127.0.0.1" || address == "localhost") && (host == "127.0.0.1" || host == "localhost")))
      return &a;
  }
  return nullptr;
}

net::awaitable<loopback_answer> exchange_in_memory(http_server& server, const std::string& host,
                                                   const std::string& port, std::string request,
                                                   std::chrono::milliseconds timeout) {
  auto& impl = server.internals();
  auto* listener = impl.in_memory_listener(host, port);
  if (!listener) co_return loopback_answer{{}, loopback_answer::end::reset};  // gone since it was chosen
  co_return co_await impl.in_memory(*listener, std::move(request), timeout);
}

boost::asio::io_context& http_server::io_context() {
  return impl_->ioc;
}

bool http_server::stopping() const {
  return impl_->stopping;
}

std::size_t http_server::open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections.size();
}

}  // namespace mynasim
