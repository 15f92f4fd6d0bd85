// SPDX-License-Identifier: Apache-2.0
// A small blocking HTTP/1.1 client over raw sockets and OpenSSL, for integration tests: it
// can send well-formed requests as well as garbage, slowly or all at once.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mynasim::test {

struct client_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct tls_options {
  std::string client_cert_file;  // empty: no client certificate
  std::string client_key_file;
};

class connection {
 public:
  // Connects to 127.0.0.1:port; with tls, performs the handshake (SNI localhost).
  static std::unique_ptr<connection> open(std::uint16_t port, bool tls, const tls_options& options = {});
  // The same from a chosen local address (e.g. 127.0.0.2, to play a second client).
  static std::unique_ptr<connection> open_from(std::uint16_t port, bool tls, const std::string& source,
                                               const tls_options& options = {});
  // To another IPv4 address (a test host in a network namespace).
  static std::unique_ptr<connection> open_to(const std::string& host, std::uint16_t port, bool tls,
                                             const tls_options& options = {});
  static std::unique_ptr<connection> open_between(const std::string& source, const std::string& destination,
                                                  std::uint16_t port, bool tls, const tls_options& options = {});
  ~connection();

  bool connected() const { return fd_ >= 0 && handshake_ok_; }
  bool send(std::string_view bytes);
  // Reads one response; nullopt when the peer closed or the timeout passed.
  std::optional<client_response> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the peer closes the connection within the timeout.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  connection() = default;
  long read_some(char* buf, std::size_t n);
  void set_timeout(std::chrono::milliseconds t);

  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool handshake_ok_ = true;
  void* ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;  // SSL*
  std::string buffer_;
  std::deque<std::pair<std::string, std::string>> sent_;  // method, target of requests not yet answered
};

// The suite run inside a named world (MYNASIM_TEST_WORLD): requests to a registered port get
// the world's prefix ("/worlds/{id}") before their target — all but the process's own paths
// (/healthz, /readyz, /metrics, /__admin/worlds…, /__admin/world/…) and targets already in a world.
void set_world_prefix(std::uint16_t port, const std::string& prefix);
void clear_world_prefix(std::uint16_t port);
std::string in_world(std::uint16_t port, const std::string& target);

// A loopback TCP port nobody listens on right now (for a server that must be started later
// on a port known in advance).
std::uint16_t unused_loopback_port();

// One request on a fresh connection.
client_response request(std::uint16_t port, bool tls, const std::string& method, const std::string& target,
                        const std::string& body = "", const std::map<std::string, std::string>& headers = {},
                        const tls_options& options = {});
// The same to another IPv4 address ("" = 127.0.0.1).
client_response request_to(const std::string& host, std::uint16_t port, bool tls, const std::string& method,
                           const std::string& target, const std::string& body = "",
                           const std::map<std::string, std::string>& headers = {}, const tls_options& options = {});
std::string build_request(const std::string& method, const std::string& target, const std::string& body = "",
                          const std::map<std::string, std::string>& headers = {});

}  // namespace mynasim::test
