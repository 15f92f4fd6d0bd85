// A peer that answers every HTTP request it receives with one malformed shape: for the
// tests that play a hostile API-user notification endpoint or a hostile peer system.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace mynasim::test {

enum class hostile_answer {
  huge_header,   // one 100 KiB header field
  huge_trailer,  // a chunked body whose trailer holds a 100 KiB field
  many_trailers, // a chunked body whose trailer holds 10 000 small fields
  garbage,       // bytes that are not HTTP
  endless_body,  // a chunked body that never ends, a chunk every 20 ms
  reset,         // the connection reset without an answer
  deep_json,     // 200 OK with 100 000 nested arrays
  wrong_types,   // 200 OK with JSON whose fields have the wrong types
};
const char* to_string(hostile_answer a);

class hostile_peer {
 public:
  explicit hostile_peer(hostile_answer answer);
  ~hostile_peer();
  std::string url() const;  // http://127.0.0.1:port
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void serve(int fd);

  hostile_answer answer_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace mynasim::test
