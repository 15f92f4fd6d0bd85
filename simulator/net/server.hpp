// SPDX-License-Identifier: Apache-2.0
// The HTTP(S) transport: listeners, one coroutine per connection, deadlines, limits and
// graceful shutdown. Beast/Asio stay inside net/*.cpp; this header is plain C++.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http.hpp"

namespace boost::asio {
class io_context;
}

namespace mynasim {

struct server_settings {
  int threads = 1;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds write_timeout{15000};
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds handler_timeout{30000};
  std::chrono::milliseconds shutdown_grace{5000};
  std::size_t header_limit = std::size_t{16} * 1024;
  std::size_t body_limit = std::size_t{1024} * 1024;
  std::size_t max_connections = 2048;  // per listener unless the listener sets its own
  // Requests this process sends to its own plain listeners over loopback are handed over in
  // memory (same bytes, parsers, handlers, journal and faults; no kernel round trip).
  bool in_memory_hops = true;
};

struct listen_settings {
  std::string name;  // reported in http_request::listener
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = false;
  std::string cert_file, key_file;
  bool require_client_cert = false;
  std::string client_ca_file;
  std::size_t max_connections = 0;  // open connections at once; 0: server_settings' value
};

// Called after every response with the time it took (for logs and the journal).
using completion_fn = std::function<void(const http_request&, const http_response&, std::chrono::microseconds latency)>;

class http_server {
 public:
  http_server(server_settings settings, handler_fn handler, completion_fn on_complete = {});
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds at once (port 0 picks a free port) and returns the bound port; throws
  // std::runtime_error naming the listener on failure.
  std::uint16_t listen(const listen_settings& listener);

  // Serves on `threads` threads (the caller included) until shutdown; SIGINT/SIGTERM
  // trigger a graceful shutdown. Returns when everything has stopped.
  void run();
  // Serves on background threads; pair with shutdown() and join().
  void start();
  // Stops accepting, lets in-flight requests finish within shutdown_grace, then stops.
  void shutdown();
  void join();

  // Runs fn on the server's threads after `delay` (timers for background work).
  void schedule(std::chrono::milliseconds delay, std::function<void()> fn);
  std::size_t open_connections() const;
  bool stopping() const;
  // For net/ internals (the HTTP client): the io_context the server runs on.
  boost::asio::io_context& io_context();
  // Whether a request to host:port would be one of this process's own plain listeners,
  // reached over loopback, with in-memory hops on (net/loopback.hpp carries it out).
  bool serves_in_memory(const std::string& host, const std::string& port) const;

  struct impl;
  impl& internals() { return *impl_; }  // net/*.cpp only

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace mynasim
