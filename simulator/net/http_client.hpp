// SPDX-License-Identifier: Apache-2.0
// Outgoing HTTP(S) calls: between the simulated systems and to API users' notification
// endpoints. Runs on the server's threads; completion is a callback on those threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/http.hpp"

namespace mynasim {

class http_server;

struct client_result {
  int status = 0;  // 0 when no response arrived
  std::string body;
  std::string error;  // transport failure, empty on a response
  std::vector<http_header> headers;
  const std::string* header(std::string_view name) const;
};

struct client_request {
  std::string method = "POST";
  std::string url;  // http://host:port/path or https://…
  std::string body;
  std::vector<http_header> headers;
  std::chrono::milliseconds timeout{10000};
  std::size_t body_limit = std::size_t{8} * 1024 * 1024;
  std::size_t header_limit = std::size_t{16} * 1024;  // status line and fields; the trailer has the same budget
};

// A blocking name lookup: the numeric addresses (IPv4 or IPv6 text) of `host`, or why there
// are none. http_client calls it on threads of its own, never on an I/O thread; tests give
// their own.
struct name_lookup_result {
  std::vector<std::string> addresses;
  std::string error;
};
using name_lookup_fn = std::function<name_lookup_result(const std::string& host)>;
// The system's resolver (getaddrinfo): at most 16 addresses.
name_lookup_result system_name_lookup(const std::string& host);
// Whether `host` (without brackets) is an IPv4 or IPv6 literal, which is never looked up.
bool is_numeric_host(const std::string& host);

// Keeps idle keep-alive connections — plain HTTP and established TLS sessions — per peer,
// resolved names, and the threads that look names up (defined in http_client.cpp, where Asio is).
struct connection_pool;

struct pool_stats {
  std::size_t idle = 0, reused = 0, opened = 0, names_cached = 0;
  std::size_t in_memory = 0;  // exchanges with this process's own listeners, carried in memory
};

class http_client {
 public:
  // `lookup`: how names are looked up (system_name_lookup when empty).
  explicit http_client(http_server& server, name_lookup_fn lookup = {});
  ~http_client();
  void send(client_request request, std::function<void(client_result)> done);
  pool_stats stats() const;

  // Bounds of the pool: idle connections per peer and in all, how long one stays idle, and
  // how long a resolved name is used before it is resolved again.
  static constexpr std::size_t max_idle_per_peer = 16, max_idle_total = 256;
  static constexpr std::chrono::seconds idle_limit{5}, name_ttl{30};
  // Name lookups: on a few threads of their own, names in turn, one lookup per name at a time
  // (later requests for that name wait for its answer, at most max_waiting_per_name of them),
  // at most max_lookups_queued waiting for a thread. A lookup that never answers holds one
  // thread and fails only the requests for its name, each at its own deadline (its timeout).
  static constexpr std::size_t lookup_threads = 4, max_lookups_queued = 256, max_waiting_per_name = 64;

 private:
  http_server* server_;
  std::shared_ptr<connection_pool> pool_;
};

// Splits http(s)://host:port/path; false when the URL is not of that shape.
bool split_url(const std::string& url, bool& tls, std::string& host, std::string& port, std::string& target);

}  // namespace mynasim
