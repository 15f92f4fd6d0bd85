// SPDX-License-Identifier: Apache-2.0
// A peer that answers every HTTP request it receives with one malformed shape: for the
// tests that play a hostile API-user notification endpoint or a hostile peer system.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace mynasim::test {

struct peer_io;

enum class hostile_answer {
  huge_header,    // one 100 KiB header field
  huge_trailer,   // a chunked body whose trailer holds a 100 KiB field
  many_trailers,  // a chunked body whose trailer holds 10 000 small fields
  garbage,        // bytes that are not HTTP
  endless_body,   // a chunked body that never ends, a chunk every 20 ms
  reset,          // the connection reset without an answer
  deep_json,      // 200 OK with 100 000 nested arrays
  wrong_types,    // 200 OK with JSON whose fields have the wrong types
};
const char* to_string(hostile_answer a);

class hostile_peer {
 public:
  // tls: the same answers inside a TLS session (the test certificates), as a hostile HTTPS
  // notification endpoint sends them.
  explicit hostile_peer(hostile_answer answer, bool tls = false);
  ~hostile_peer();
  std::string url() const;  // http(s)://127.0.0.1:port
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void serve(int fd);
  void serve_on(peer_io& io);

  hostile_answer answer_;
  void* tls_ = nullptr;  // SSL_CTX*, kept out of this header
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace mynasim::test
