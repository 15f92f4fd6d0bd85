// SPDX-License-Identifier: Apache-2.0
// One line per request on stdout: JSON (default) or human-readable text. Logging never
// blocks or ends serving: lines go to a bounded queue that a writer thread drains; when the
// reader is slow or gone, lines are dropped and counted instead.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include <nlohmann/json_fwd.hpp>

#include "clock/time.hpp"
#include "core/http.hpp"

namespace mynasim {

class request_log {
 public:
  // std::cout is written through file descriptor 1 by a writer thread; any other stream
  // (tests) is written directly when flushed.
  request_log(std::ostream& out, bool json, bool requests);
  ~request_log();  // writes what is queued, for at most a second
  request_log(const request_log&) = delete;
  request_log& operator=(const request_log&) = delete;

  // `error_code`: what the response carries (error_code_of), found once by the caller.
  void request(const http_request& req, const http_response& res, std::chrono::microseconds latency,
               instant virtual_time, const std::string& error_code);
  // Lifecycle and error lines: {"event": name, ...fields}; written at once.
  void event(const std::string& name, const nlohmann::json& fields);
  // Request lines are batched; the app flushes every 100 ms and at exit.
  void flush();
  std::uint64_t dropped() const { return dropped_.load(); }

  // Most bytes waiting for a slow reader before lines are dropped.
  static constexpr std::size_t max_queued_bytes = std::size_t{4} * 1024 * 1024;

  // Which simulated system a request addressed: portal, admin, or /systems/<id>.
  static std::string system_of(const http_request& req);

 private:
  void enqueue(std::string&& line, bool urgent);
  void writer_loop();
  bool write_fd(std::string_view bytes, std::chrono::steady_clock::time_point give_up);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::ostream* out_;
  bool json_;
  bool requests_;
  std::string queued_;
  bool urgent_ = false, stopping_ = false, broken_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> stop_requested_{false};
  int fd_ = -1;  // 1 when writing stdout through the writer thread
  std::thread writer_;
};

}  // namespace mynasim
