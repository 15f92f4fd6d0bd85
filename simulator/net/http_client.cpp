// SPDX-License-Identifier: Apache-2.0
#include "net/http_client.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>

#include "net/asio.hpp"
#include "net/loopback.hpp"
#include "net/message_parser.hpp"
#include "net/server.hpp"

namespace mynasim {

using tls_stream = ssl::stream<beast::tcp_stream>;

// Idle connections by peer (newest last) — plain sockets by "host:port", TLS streams (their
// session established) by "https://host:port" — and resolved names, shared by every request
// of one client; each idle connection belongs to nobody until taken.
struct connection_pool {
  template <class Connection>
  struct idle {
    Connection connection;
    std::chrono::steady_clock::time_point since;
  };
  template <class Connection>
  using idle_map = std::map<std::string, std::deque<idle<Connection>>>;
  struct name {
    tcp::resolver::results_type endpoints;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mutex;
  idle_map<tcp::socket> plain;
  idle_map<std::unique_ptr<tls_stream>> tls;
  std::map<std::string, name> names;
  std::size_t idle_total = 0, reused = 0, opened = 0;
  std::atomic<std::size_t> in_memory{0};
  // One client context for every TLS peer: API users' endpoints in development use
  // self-signed certificates, so nothing is verified.
  ssl::context tls_context{ssl::context::tls_client};
  // Every TLS exchange runs on this one strand: a kept stream's deadline timer belongs to the
  // executor it was made with, so a stream is only ever used where it was made.
  net::strand<net::io_context::executor_type> tls_strand;

  explicit connection_pool(net::io_context& ioc) : tls_strand(net::make_strand(ioc)) {
    tls_context.set_verify_mode(ssl::verify_none);
  }

  static tcp::socket& socket_of(tcp::socket& s) { return s; }
  static tcp::socket& socket_of(std::unique_ptr<tls_stream>& s) { return beast::get_lowest_layer(*s).socket(); }

  // A connection the peer has closed (or sent unasked bytes on — for TLS also a late
  // close_notify or ticket) is not worth a request.
  static bool alive(tcp::socket& s) {
    char c;
    auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  template <class Connection>
  std::optional<Connection> take(idle_map<Connection>& map, const std::string& peer) {
    std::lock_guard lock(mutex);
    auto it = map.find(peer);
    if (it == map.end()) return std::nullopt;
    auto& list = it->second;
    auto now = std::chrono::steady_clock::now();
    while (!list.empty()) {
      auto entry = std::move(list.back());
      list.pop_back();
      --idle_total;
      if (now - entry.since < http_client::idle_limit && alive(socket_of(entry.connection))) {
        ++reused;
        return std::move(entry.connection);
      }
      beast::error_code ignored;
      socket_of(entry.connection).close(ignored);
    }
    return std::nullopt;
  }

  template <class Connection>
  void put(idle_map<Connection>& map, const std::string& peer, Connection connection) {
    std::lock_guard lock(mutex);
    auto& list = map[peer];
    if (list.size() >= http_client::max_idle_per_peer || idle_total >= http_client::max_idle_total) {
      beast::error_code ignored;
      socket_of(connection).close(ignored);
      return;
    }
    list.push_back({std::move(connection), std::chrono::steady_clock::now()});
    ++idle_total;
  }

  std::optional<tcp::resolver::results_type> cached(const std::string& peer) {
    std::lock_guard lock(mutex);
    auto it = names.find(peer);
    if (it == names.end() || std::chrono::steady_clock::now() - it->second.at > http_client::name_ttl)
      return std::nullopt;
    return it->second.endpoints;
  }
  void remember(const std::string& peer, tcp::resolver::results_type endpoints) {
    std::lock_guard lock(mutex);
    if (names.size() >= 1024) names.clear();  // bounded: many distinct peers start over
    names[peer] = {std::move(endpoints), std::chrono::steady_clock::now()};
  }
  void forget(const std::string& peer) {
    std::lock_guard lock(mutex);
    names.erase(peer);
  }
};

namespace {

std::string serialize_request(const client_request& r, const std::string& host, const std::string& target,
                              bool keep_alive) {
  std::size_t size = 128 + r.method.size() + target.size() + host.size();
  for (const auto& h : r.headers) size += h.name.size() + h.value.size() + 4;
  std::string out;
  out.reserve(size);  // one allocation for the head
  out += r.method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUser-Agent: mynasim\r\n";
  for (const auto& h : r.headers)
    if (h.name != "content-length" && h.name != "connection" && h.name != "host") append_field(out, h.name, h.value);
  out += "Content-Length: ";
  out += std::to_string(r.body.size());
  out += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  return out;
}

// How a read of an answer that failed is reported.
std::string read_failure(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return "response head or trailer too large";
  if (ec == bhttp::error::body_limit) return "response body too large";
  return "read: " + ec.message();
}

void take_answer(plain_parser<false>& parser, client_result& out) {
  out.status = parser.status;
  out.headers = std::move(parser.headers);
  out.body = std::move(parser.body);
}

// One request, one response. The answer is as untrusted as any request the server reads:
// the same bounded parser, a bounded buffer, and one deadline for the whole exchange.
// `reusable` is set when the connection may carry another request (a complete answer that
// did not ask to close).
template <class Stream>
net::awaitable<client_result> exchange(Stream& stream, beast::tcp_stream& lowest, const client_request& r,
                                       const std::string& host, const std::string& target, bool keep_alive,
                                       bool& reusable) {
  client_result out;
  reusable = false;
  auto head = serialize_request(r, host, target, keep_alive);
  std::array<net::const_buffer, 2> bytes{net::buffer(head), net::buffer(r.body)};
  lowest.expires_after(r.timeout);
  auto [wec, w] = co_await net::async_write(stream, bytes, use_tuple);
  if (wec) {
    out.error = "write: " + wec.message();
    co_return out;
  }
  message_limits limits{r.header_limit, r.body_limit};
  beast::flat_buffer buffer(limits.buffer_bytes());
  plain_parser<false> parser(limits);
  auto [rec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  if (rec) {
    out.error = read_failure(rec);
    co_return out;
  }
  take_answer(parser, out);
  reusable = keep_alive && parser.keep_alive() && parser.is_done();
  co_return out;
}

// The same request to one of this process's own plain listeners, handed over in memory; the
// answer's bytes go through the same bounded parser, and a connection that would have been
// reset, closed early or left silent past the deadline fails the same way.
net::awaitable<client_result> perform_in_memory(client_request r, http_server& server, std::string host,
                                                std::string port, std::string target) {
  client_result out;
  auto request = serialize_request(r, host, target, true);
  request += r.body;
  auto answer = co_await exchange_in_memory(server, host, port, std::move(request), r.timeout);
  message_limits limits{r.header_limit, r.body_limit};
  plain_parser<false> parser(limits);
  auto ec = feed_parser(parser, answer.bytes, answer.bytes.size(), limits.buffer_bytes());
  if (parser.is_done() && !ec) {
    take_answer(parser, out);
    co_return out;
  }
  using end = loopback_answer::end;
  if (answer.how == end::timeout)
    out.error = read_failure(beast::error::timeout);
  else if (answer.how == end::reset)
    out.error = read_failure(net::error::connection_reset);
  else
    out.error = read_failure(ec ? ec : beast::error_code(bhttp::error::partial_message));
  co_return out;
}

// Resolves (through the pool's name cache) and connects `stream` to the peer.
net::awaitable<std::string> connect(beast::tcp_stream& stream, const client_request& r, const std::string& host,
                                    const std::string& port, connection_pool& pool) {
  auto ex = co_await net::this_coro::executor;
  const auto peer = host + ":" + port;
  auto endpoints = pool.cached(peer);
  if (!endpoints) {
    tcp::resolver resolver(ex);
    // The resolver has no deadline of its own: a timer cancels it.
    net::steady_timer resolve_deadline(ex);
    resolve_deadline.expires_after(r.timeout);
    resolve_deadline.async_wait([&resolver](const beast::error_code& ec) {
      if (!ec) resolver.cancel();
    });
    auto [rec, found] = co_await resolver.async_resolve(host, port, use_tuple);
    resolve_deadline.cancel();
    if (rec) co_return "resolve " + host + ": " + rec.message();
    endpoints = found;
    pool.remember(peer, found);
  }
  auto [cec, ep] = co_await stream.async_connect(*endpoints, use_tuple);
  if (cec) {
    pool.forget(peer);  // the name may point elsewhere now (a restarted container)
    co_return cec == beast::error::timeout ? "connect timeout" : "connect: " + cec.message();
  }
  {
    std::lock_guard lock(pool.mutex);
    ++pool.opened;
  }
  beast::error_code nodelay_ec;
  stream.socket().set_option(tcp::no_delay(true), nodelay_ec);
  co_return std::string();
}

// Plain HTTP: the simulated systems, a split world's owner, API users' http:// endpoints.
net::awaitable<client_result> perform_plain(client_request r, std::shared_ptr<connection_pool> pool, std::string host,
                                            std::string port, std::string target) {
  client_result out;
  beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_after(r.timeout);
  const auto peer = host + ":" + port;
  if (auto kept = pool->take(pool->plain, peer)) {
    stream.socket() = std::move(*kept);
  } else if (auto error = co_await connect(stream, r, host, port, *pool); !error.empty()) {
    out.error = error;
    co_return out;
  }
  bool reusable = false;
  out = co_await exchange(stream, stream, r, host, target, true, reusable);
  if (reusable) {
    stream.expires_never();
    pool->put(pool->plain, peer, stream.release_socket());
  } else {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
  co_return out;
}

// HTTPS (API users' notification endpoints): a kept stream skips the handshake.
net::awaitable<client_result> perform_tls(client_request r, std::shared_ptr<connection_pool> pool, std::string host,
                                          std::string port, std::string target) {
  client_result out;
  const auto peer = "https://" + host + ":" + port;
  auto stream = pool->take(pool->tls, peer).value_or(nullptr);
  if (!stream) {
    stream = std::make_unique<tls_stream>(co_await net::this_coro::executor, pool->tls_context);
    auto& lowest = beast::get_lowest_layer(*stream);
    lowest.expires_after(r.timeout);
    if (auto error = co_await connect(lowest, r, host, port, *pool); !error.empty()) {
      out.error = error;
      co_return out;
    }
    SSL_set_tlsext_host_name(stream->native_handle(), host.c_str());
    SSL_clear_mode(stream->native_handle(),
                   SSL_MODE_RELEASE_BUFFERS);  // a pooled stream keeps its buffers (as the server's)
    auto [hec] = co_await stream->async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      out.error = "tls handshake: " + hec.message();
      co_return out;
    }
  }
  auto& lowest = beast::get_lowest_layer(*stream);
  lowest.expires_after(r.timeout);
  bool reusable = false;
  out = co_await exchange(*stream, lowest, r, host, target, true, reusable);
  if (reusable) {
    lowest.expires_never();
    pool->put(pool->tls, peer, std::move(stream));
    co_return out;
  }
  lowest.expires_after(std::chrono::seconds(1));
  co_await stream->async_shutdown(use_tuple);
  co_return out;
}

net::awaitable<client_result> perform(client_request r, std::shared_ptr<connection_pool> pool, http_server& server) {
  bool tls = false;
  std::string host, port, target;
  if (!split_url(r.url, tls, host, port, target)) {
    client_result out;
    out.error = "not an http(s) URL: " + r.url;
    co_return out;
  }
  if (!tls && server.serves_in_memory(host, port)) {
    ++pool->in_memory;
    co_return co_await perform_in_memory(std::move(r), server, std::move(host), std::move(port), std::move(target));
  }
  if (tls)
    co_return co_await perform_tls(std::move(r), std::move(pool), std::move(host), std::move(port), std::move(target));
  co_return co_await perform_plain(std::move(r), std::move(pool), std::move(host), std::move(port), std::move(target));
}

}  // namespace

const std::string* client_result::header(std::string_view name) const {
  for (const auto& h : headers)
    if (h.name == name) return &h.value;
  return nullptr;
}

bool split_url(const std::string& url, bool& tls, std::string& host, std::string& port, std::string& target) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    tls = false;
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    tls = true;
    rest = url.substr(8);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty()) return false;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
    port = close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : "";
  } else {
    auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    port = colon == std::string::npos ? "" : authority.substr(colon + 1);
  }
  if (port.empty()) port = tls ? "443" : "80";
  return !host.empty();
}

http_client::http_client(http_server& server)
    : server_(&server), pool_(std::make_shared<connection_pool>(server.io_context())) {}

http_client::~http_client() = default;

pool_stats http_client::stats() const {
  std::lock_guard lock(pool_->mutex);
  return {pool_->idle_total, pool_->reused, pool_->opened, pool_->names.size(), pool_->in_memory.load()};
}

void http_client::send(client_request request, std::function<void(client_result)> done) {
  auto& ioc = server_->io_context();
  bool tls = request.url.rfind("https://", 0) == 0;
  net::any_io_executor where =
      tls ? net::any_io_executor(pool_->tls_strand) : net::any_io_executor(net::make_strand(ioc));
  net::co_spawn(where, perform(std::move(request), pool_, *server_),
                [done = std::move(done)](const std::exception_ptr& e, client_result r) {
                  if (e) {
                    r = {};
                    r.error = "client failure";
                  }
                  // A failing completion must not unwind into the server's event loop.
                  try {
                    done(std::move(r));
                  } catch (const std::exception& ex) {
                    std::fprintf(stderr, "{\"event\":\"callback_error\",\"what\":\"%s\"}\n", ex.what());
                  }
                });
}

}  // namespace mynasim
