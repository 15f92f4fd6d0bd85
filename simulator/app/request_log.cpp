#include "app/request_log.hpp"

#include <cstdio>

#include "core/json_util.hpp"

namespace mynasim {

std::string request_log::system_of(const http_request& req) {
  if (req.listener == "app" || req.listener == "sp") return "portal";
  if (req.listener == "admin") return "admin";
  constexpr std::string_view prefix = "/systems/";
  if (req.path.rfind(prefix, 0) == 0) {
    auto end = req.path.find('/', prefix.size());
    return req.path.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
  }
  return req.listener;
}

void request_log::request(const http_request& req, const http_response& res, std::chrono::microseconds latency,
                          instant virtual_time) {
  if (!requests_) return;
  double ms = static_cast<double>(latency.count()) / 1000.0;
  std::string line;
  if (json_) {
    nlohmann::json j{{"ts", format_instant(virtual_time)}, {"request_id", req.request_id},
                     {"system", system_of(req)},           {"listener", req.listener},
                     {"method", req.method},               {"path", req.path},
                     {"status", res.status},               {"latency_ms", std::round(ms * 1000) / 1000},
                     {"remote", req.remote_address}};
    line = dump_json(j);
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%d %.3fms", res.status, ms);
    line = format_instant(virtual_time) + " " + req.request_id + " " + system_of(req) + "/" + req.listener + " " +
           req.method + " " + req.path + " -> " + buf;
  }
  std::lock_guard lock(mutex_);
  pending_ += line;
  pending_ += '\n';
  if (pending_.size() > 64 * 1024) {
    *out_ << pending_;
    out_->flush();
    pending_.clear();
  }
}

void request_log::flush() {
  std::lock_guard lock(mutex_);
  if (pending_.empty()) return;
  *out_ << pending_;
  out_->flush();
  pending_.clear();
}

void request_log::event(const std::string& name, const nlohmann::json& fields) {
  std::string line;
  if (json_) {
    nlohmann::json j{{"event", name}};
    j.update(fields);
    line = dump_json(j);
  } else {
    line = name;
    for (auto& [k, v] : fields.items()) line += " " + k + "=" + (v.is_string() ? v.get<std::string>() : dump_json(v));
  }
  std::lock_guard lock(mutex_);
  *out_ << pending_ << line << '\n';
  pending_.clear();
  out_->flush();
}

}  // namespace mynasim
