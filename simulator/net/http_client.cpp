// SPDX-License-Identifier: Apache-2.0
#include "net/http_client.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <arpa/inet.h>
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
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/background_pool.hpp"
#include "net/asio.hpp"
#include "net/loopback.hpp"
#include "net/message_parser.hpp"
#include "net/server.hpp"

namespace mynasim {

using tls_stream = ssl::stream<beast::tcp_stream>;

// Looks names up on threads of its own — never an I/O thread, never Asio's single resolver
// thread — names taking turns (the name is the owner in the background pool). One lookup per
// name is in flight at a time: a request for a name already being looked up waits for that
// answer. Whoever waits keeps its own deadline; a lookup that never answers holds one thread
// and the requests for its name only.
class name_resolver {
 public:
  using answer_fn = std::function<void(const name_lookup_result&)>;

  explicit name_resolver(name_lookup_fn lookup)
      : lookup_(lookup ? std::move(lookup) : name_lookup_fn(system_name_lookup)),
        pool_({http_client::lookup_threads, http_client::max_lookups_queued, 1}) {}
  // Stops before the map its jobs answer from goes; like Asio's resolver, it waits for a lookup
  // in progress (the system's resolver gives up after its own timeouts).
  ~name_resolver() { pool_.stop(); }
  name_resolver(const name_resolver&) = delete;
  name_resolver& operator=(const name_resolver&) = delete;

  // Calls `answer` (on a lookup thread) with the addresses of `host`; false, and `answer` is
  // never called, when too many requests wait for that name or the lookup queue is full.
  bool resolve(const std::string& host, answer_fn answer) {
    std::lock_guard lock(mutex_);
    if (auto it = waiting_.find(host); it != waiting_.end()) {
      if (it->second.size() >= http_client::max_waiting_per_name) return false;
      it->second.push_back(std::move(answer));
      return true;
    }
    if (!pool_.submit(host, [this, host] { look_up(host); })) return false;
    waiting_[host].push_back(std::move(answer));
    return true;
  }

 private:
  void look_up(const std::string& host) {
    name_lookup_result found;
    try {
      found = lookup_(host);
    } catch (const std::exception& e) {
      found.error = e.what();
    }
    std::vector<answer_fn> answers;
    {
      std::lock_guard lock(mutex_);
      auto it = waiting_.find(host);
      if (it == waiting_.end()) return;
      answers = std::move(it->second);
      waiting_.erase(it);
    }
    for (auto& answer : answers) answer(found);
  }

  name_lookup_fn lookup_;
  std::mutex mutex_;
  std::map<std::string, std::vector<answer_fn>> waiting_;  // names being looked up → who waits
  background_pool pool_;
};

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
    std::vector<net::ip::address> addresses;
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
  name_resolver resolver;

  connection_pool(net::io_context& ioc, name_lookup_fn lookup)
      : tls_strand(net::make_strand(ioc)), resolver(std::move(lookup)) {
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

  std::optional<std::vector<net::ip::address>> cached(const std::string& host) {
    std::lock_guard lock(mutex);
    auto it = names.find(host);
    if (it == names.end() || std::chrono::steady_clock::now() - it->second.at > http_client::name_ttl)
      return std::nullopt;
    return it->second.addresses;
  }
  void remember(const std::string& host, std::vector<net::ip::address> addresses) {
    std::lock_guard lock(mutex);
    if (names.size() >= 1024) names.clear();  // bounded: many distinct peers start over
    names[host] = {std::move(addresses), std::chrono::steady_clock::now()};
  }
  void forget(const std::string& host) {
    std::lock_guard lock(mutex);
    names.erase(host);
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

// The answer of a name lookup, handed from a lookup thread to the waiting coroutine's executor.
struct lookup_wait {
  explicit lookup_wait(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  std::optional<name_lookup_result> answer;
};

// The addresses of `host`: a numeric host as it is (never looked up), a name from the cache or
// from the pool's lookup threads within `timeout`. An error text when there are none.
net::awaitable<std::string> addresses_of(const std::string& host, std::chrono::milliseconds timeout,
                                         connection_pool& pool, std::vector<net::ip::address>& out) {
  beast::error_code ec;
  auto literal = net::ip::make_address(host, ec);
  if (!ec) {
    out = {literal};
    co_return std::string();
  }
  if (auto known = pool.cached(host)) {
    out = std::move(*known);
    co_return std::string();
  }
  auto ex = co_await net::this_coro::executor;
  auto wait = std::make_shared<lookup_wait>(ex);
  wait->timer.expires_after(timeout);
  // The answer is posted to this coroutine's executor (a strand), so it lands while it waits.
  bool queued = pool.resolver.resolve(host, [wait, ex](const name_lookup_result& found) {
    net::post(ex, [wait, found] {
      wait->answer = found;
      wait->timer.cancel();
    });
  });
  if (!queued) co_return "resolve " + host + ": too many lookups waiting";
  co_await wait->timer.async_wait(use_tuple);
  if (!wait->answer) co_return "resolve " + host + ": no answer within " + std::to_string(timeout.count()) + " ms";
  if (!wait->answer->error.empty()) co_return "resolve " + host + ": " + wait->answer->error;
  for (const auto& text : wait->answer->addresses)
    if (auto a = net::ip::make_address(text, ec); !ec) out.push_back(a);
  if (out.empty()) co_return "resolve " + host + ": no address";
  pool.remember(host, out);
  co_return std::string();
}

// Looks the host up (a numeric one never is) and connects `stream` to the peer.
net::awaitable<std::string> connect(beast::tcp_stream& stream, const client_request& r, const std::string& host,
                                    const std::string& port, connection_pool& pool) {
  std::uint16_t number = 0;
  auto [end, perr] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (perr != std::errc() || end != port.data() + port.size() || number == 0) co_return "not a port: " + port;
  std::vector<net::ip::address> addresses;
  if (auto error = co_await addresses_of(host, r.timeout, pool, addresses); !error.empty()) co_return error;
  std::vector<tcp::endpoint> endpoints;
  endpoints.reserve(addresses.size());
  for (const auto& a : addresses) endpoints.emplace_back(a, number);
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
  if (cec) {
    pool.forget(host);  // the name may point elsewhere now (a restarted container)
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

bool is_numeric_host(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

name_lookup_result system_name_lookup(const std::string& host) {
  name_lookup_result out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0) {
    out.error = rc == EAI_SYSTEM ? std::string(std::strerror(errno)) : std::string(::gai_strerror(rc));
    return out;
  }
  for (const addrinfo* a = list; a && out.addresses.size() < 16; a = a->ai_next) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* where = nullptr;
    if (a->ai_family == AF_INET) where = &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
    if (a->ai_family == AF_INET6) where = &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
    if (where && ::inet_ntop(a->ai_family, where, text.data(), text.size())) out.addresses.emplace_back(text.data());
  }
  ::freeaddrinfo(list);
  if (out.addresses.empty()) out.error = "no address";
  return out;
}

http_client::http_client(http_server& server, name_lookup_fn lookup)
    : server_(&server), pool_(std::make_shared<connection_pool>(server.io_context(), std::move(lookup))) {}

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
