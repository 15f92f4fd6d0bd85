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

// Keeps idle keep-alive connections — plain HTTP and established TLS sessions — per peer,
// and resolved names (defined in http_client.cpp, where Asio is).
struct connection_pool;

struct pool_stats {
  std::size_t idle = 0, reused = 0, opened = 0, names_cached = 0;
  std::size_t in_memory = 0;  // exchanges with this process's own listeners, carried in memory
};

class http_client {
 public:
  explicit http_client(http_server& server);
  ~http_client();
  void send(client_request request, std::function<void(client_result)> done);
  pool_stats stats() const;

  // Bounds of the pool: idle connections per peer and in all, how long one stays idle, and
  // how long a resolved name is used before it is resolved again.
  static constexpr std::size_t max_idle_per_peer = 16, max_idle_total = 256;
  static constexpr std::chrono::seconds idle_limit{5}, name_ttl{30};

 private:
  http_server* server_;
  std::shared_ptr<connection_pool> pool_;
};

// Splits http(s)://host:port/path; false when the URL is not of that shape.
bool split_url(const std::string& url, bool& tls, std::string& host, std::string& port, std::string& target);

}  // namespace mynasim
