// SPDX-License-Identifier: Apache-2.0
#include "test_client.hpp"

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "contract_log.hpp"

namespace mynasim::test {

std::unique_ptr<connection> connection::open(std::uint16_t port, bool tls, const tls_options& options) {
  return open_from(port, tls, "", options);
}

std::unique_ptr<connection> connection::open_from(std::uint16_t port, bool tls, const std::string& source,
                                                  const tls_options& options) {
  return open_between(source, "", port, tls, options);
}

std::unique_ptr<connection> connection::open_to(const std::string& host, std::uint16_t port, bool tls,
                                                const tls_options& options) {
  return open_between("", host, port, tls, options);
}

std::unique_ptr<connection> connection::open_between(const std::string& source, const std::string& destination,
                                                     std::uint16_t port, bool tls, const tls_options& options) {
  std::unique_ptr<connection> c(new connection());
  c->port_ = port;
  c->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    if (::bind(c->fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
      throw std::runtime_error("cannot bind to source address " + source);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!destination.empty()) ::inet_pton(AF_INET, destination.c_str(), &addr.sin_addr);
  if (::connect(c->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect to " + (destination.empty() ? std::string("127.0.0.1") : destination) + ":" +
                             std::to_string(port) + " failed");
  int one = 1;
  ::setsockopt(c->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->set_timeout(std::chrono::seconds(5));
  if (tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    c->ctx_ = ctx;
    if (!options.client_cert_file.empty()) {
      SSL_CTX_use_certificate_file(ctx, options.client_cert_file.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx, options.client_key_file.c_str(), SSL_FILETYPE_PEM);
    }
    SSL* ssl = SSL_new(ctx);
    c->ssl_ = ssl;
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set_fd(ssl, c->fd_);
    c->handshake_ok_ = SSL_connect(ssl) == 1;
    // TLS 1.3 reports a rejected client certificate only on the first read.
    if (c->handshake_ok_ && !options.client_cert_file.empty()) c->handshake_ok_ = true;
  }
  return c;
}

connection::~connection() {
  if (ssl_) {
    SSL_shutdown(static_cast<SSL*>(ssl_));
    SSL_free(static_cast<SSL*>(ssl_));
  }
  if (ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  if (fd_ >= 0) ::close(fd_);
}

void connection::set_timeout(std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

namespace {
std::mutex world_prefix_mutex;
std::map<std::uint16_t, std::string> world_prefixes;

bool process_path(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  return path == "/healthz" || path == "/readyz" || path == "/metrics" || path.starts_with("/__admin/worlds") ||
         path.starts_with("/__admin/world/") || path.starts_with("/worlds/");
}
}  // namespace

void set_world_prefix(std::uint16_t port, const std::string& prefix) {
  std::lock_guard lock(world_prefix_mutex);
  world_prefixes[port] = prefix;
}

void clear_world_prefix(std::uint16_t port) {
  std::lock_guard lock(world_prefix_mutex);
  world_prefixes.erase(port);
}

std::string in_world(std::uint16_t port, const std::string& target) {
  std::lock_guard lock(world_prefix_mutex);
  auto it = world_prefixes.find(port);
  if (it == world_prefixes.end() || target.empty() || target[0] != '/' || process_path(target)) return target;
  return it->second + target;
}

bool connection::send(std::string_view bytes) {
  // Inside a named world: the request line's target gets the world's prefix.
  std::string rewritten;
  if (auto sp1 = bytes.find(' ');
      sp1 != std::string_view::npos && sp1 < 16 && bytes.size() > sp1 + 1 && bytes[sp1 + 1] == '/') {
    auto sp2 = bytes.find_first_of(" \r\n", sp1 + 1);
    auto target = std::string(bytes.substr(sp1 + 1, (sp2 == std::string_view::npos ? bytes.size() : sp2) - sp1 - 1));
    auto moved = in_world(port_, target);
    if (moved != target) {
      rewritten = std::string(bytes.substr(0, sp1 + 1)) + moved + std::string(bytes.substr(sp1 + 1 + target.size()));
      bytes = rewritten;
    }
  }
  // The request line, for contract recording (a garbage send records nothing).
  if (contract_recording()) {
    auto line = bytes.substr(0, bytes.find("\r\n"));
    auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 != std::string_view::npos && sp2 > sp1 && line.substr(sp2 + 1).starts_with("HTTP/"))
      sent_.emplace_back(std::string(line.substr(0, sp1)), std::string(line.substr(sp1 + 1, sp2 - sp1 - 1)));
  }
  while (!bytes.empty()) {
    long n = ssl_ ? SSL_write(static_cast<SSL*>(ssl_), bytes.data(), static_cast<int>(bytes.size()))
                  : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long connection::read_some(char* buf, std::size_t n) {
  if (ssl_) return SSL_read(static_cast<SSL*>(ssl_), buf, static_cast<int>(n));
  return ::recv(fd_, buf, n, 0);
}

std::optional<client_response> connection::read_response(std::chrono::milliseconds timeout) {
  set_timeout(timeout);
  char chunk[16384];
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    long n = read_some(chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  client_response res;
  std::string head = buffer_.substr(0, head_end);
  auto line_end = head.find("\r\n");
  auto status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  res.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    auto line = head.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      res.headers[name] = value;
    }
    pos = end + 2;
  }
  buffer_.erase(0, head_end + 4);
  // Reads until the buffer holds at least `n` bytes.
  auto fill = [&](std::size_t n) {
    while (buffer_.size() < n) {
      long got = read_some(chunk, sizeof chunk);
      if (got <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
  };
  // Reads one CRLF-terminated line (without it).
  auto line = [&](std::string& out) {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos)
      if (!fill(buffer_.size() + 1)) return false;
    out = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return true;
  };
  auto te = res.headers.find("transfer-encoding");
  if (te != res.headers.end() && te->second.find("chunked") != std::string::npos) {
    // Other servers (a WireMock stub in bench/compare.sh) send chunked bodies.
    for (std::string size_line;;) {
      if (!line(size_line)) return std::nullopt;
      std::size_t size = std::stoul(size_line, nullptr, 16);
      if (size == 0) break;
      if (!fill(size + 2)) return std::nullopt;
      res.body += buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
    }
    for (std::string trailer; line(trailer) && !trailer.empty();) {
    }
  } else {
    std::size_t length = res.headers.count("content-length") ? std::stoul(res.headers["content-length"]) : 0;
    if (!fill(length)) return std::nullopt;
    res.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  }
  if (!sent_.empty()) {
    record_response(sent_.front().first, sent_.front().second, res.status, res.headers, res.body);
    sent_.pop_front();
  }
  return res;
}

bool connection::wait_closed(std::chrono::milliseconds timeout) {
  set_timeout(timeout);
  char chunk[4096];
  for (;;) {
    long n = read_some(chunk, sizeof chunk);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      return true;  // reset or TLS failure: closed as well
    }
  }
}

std::string build_request(const std::string& method, const std::string& target, const std::string& body,
                          const std::map<std::string, std::string>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\n";
  if (!headers.count("Host")) req += "Host: localhost\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  return req;
}

client_response request(std::uint16_t port, bool tls, const std::string& method, const std::string& target,
                        const std::string& body, const std::map<std::string, std::string>& headers,
                        const tls_options& options) {
  return request_to("", port, tls, method, target, body, headers, options);
}

client_response request_to(const std::string& host, std::uint16_t port, bool tls, const std::string& method,
                           const std::string& target, const std::string& body,
                           const std::map<std::string, std::string>& headers, const tls_options& options) {
  auto c = connection::open_between("", host, port, tls, options);
  if (!c->connected() || !c->send(build_request(method, target, body, headers))) return {};
  // Generous: a request answers in milliseconds, but under ASan on two busy cores heavy admin
  // work (a 100 000-persona world's sheet change) can take seconds; a hang still fails.
  auto res = c->read_response(std::chrono::seconds(30));
  return res ? *res : client_response{};
}

std::uint16_t unused_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace mynasim::test
