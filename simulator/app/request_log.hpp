// One line per request on stdout: JSON (default) or human-readable text.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>

#include "clock/time.hpp"
#include "core/http.hpp"

namespace mynasim {

class request_log {
 public:
  request_log(std::ostream& out, bool json, bool requests) : out_(&out), json_(json), requests_(requests) {}

  void request(const http_request& req, const http_response& res, std::chrono::microseconds latency,
               instant virtual_time);
  // Lifecycle and error lines: {"event": name, ...fields}; written at once.
  void event(const std::string& name, const nlohmann::json& fields);
  // Request lines are buffered (up to 64 KiB); the app flushes every 100 ms and at exit.
  void flush();

  // Which simulated system a request addressed: portal, admin, or /systems/<id>.
  static std::string system_of(const http_request& req);

 private:
  std::mutex mutex_;
  std::ostream* out_;
  bool json_;
  bool requests_;
  std::string pending_;
};

}  // namespace mynasim
