// SPDX-License-Identifier: Apache-2.0
#include "faults/fault.hpp"

#include <array>
#include <cmath>
#include <set>
#include <sstream>

namespace mynasim {
namespace {

constexpr std::array<std::pair<fault_kind, const char*>, 13> kinds = {{
    {fault_kind::latency, "latency"},
    {fault_kind::http_error, "http_error"},
    {fault_kind::hang, "hang"},
    {fault_kind::reset, "reset"},
    {fault_kind::empty_response, "empty_response"},
    {fault_kind::malformed_body, "malformed_body"},
    {fault_kind::truncated_body, "truncated_body"},
    {fault_kind::slow_body, "slow_body"},
    {fault_kind::down, "down"},
    {fault_kind::quota, "quota"},
    {fault_kind::notification_drop, "notification_drop"},
    {fault_kind::notification_delay, "notification_delay"},
    {fault_kind::notification_duplicate, "notification_duplicate"},
}};

const std::set<std::string> known_keys = {
    "id",     "kind",       "target",  "endpoint", "client_id",  "persona",        "telegram_id",  "probability",
    "seed",   "count",      "for",     "until",    "latency_ms", "latency_max_ms", "distribution", "sigma",
    "status", "error_code", "message", "limit",    "window",     "delay_ms",       "chunk_bytes"};

bool read_string(const nlohmann::json& j, const char* key, std::string& out, std::string& error) {
  if (!j.contains(key)) return true;
  if (!j[key].is_string()) {
    error = std::string(key) + " must be a string";
    return false;
  }
  out = j[key].get<std::string>();
  return true;
}

// A bound as people write it: 1 and 1000000000, not 1.000000 and 1000000000.000000; 0.5 as 0.5.
std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

bool read_number(const nlohmann::json& j, const char* key, double min, double max, double& out, std::string& error) {
  if (!j.contains(key)) return true;
  if (!j[key].is_number()) {
    error = std::string(key) + " must be a number";
    return false;
  }
  double v = j[key].get<double>();
  if (!(v >= min && v <= max)) {
    error = std::string(key) + " must be between " + number_text(min) + " and " + number_text(max);
    return false;
  }
  out = v;
  return true;
}

// A duration in milliseconds of at most ten minutes; 0 when absent.
bool read_millis(const nlohmann::json& j, const char* key, millis& out, std::string& error) {
  double v = 0;
  if (!read_number(j, key, 0, 600000, v, error)) return false;
  out = millis{static_cast<long>(v)};
  return true;
}

bool only_known_keys(const nlohmann::json& j, std::string& error) {
  for (auto& [key, value] : j.items())
    if (!known_keys.count(key)) {
      error = "unknown key '" + key + "'";
      return false;
    }
  return true;
}

// kind is required and one of `kinds`.
bool read_kind(const nlohmann::json& j, fault& f, std::string& error) {
  std::string kind;
  if (!read_string(j, "kind", kind, error)) return false;
  bool found = false;
  for (const auto& [k, name] : kinds)
    if (kind == name) {
      f.kind = k;
      found = true;
    }
  if (!found) error = kind.empty() ? "kind is required" : "unknown kind '" + kind + "'";
  return found;
}

// The string fields: what the fault targets, how it is narrowed, and the texts of its kind.
bool read_texts(const nlohmann::json& j, fault& f, std::string& error) {
  if (!read_string(j, "id", f.id, error) || !read_string(j, "target", f.target, error) ||
      !read_string(j, "endpoint", f.endpoint, error) || !read_string(j, "client_id", f.client_id, error) ||
      !read_string(j, "persona", f.persona, error) || !read_string(j, "telegram_id", f.telegram_id, error) ||
      !read_string(j, "distribution", f.distribution, error) || !read_string(j, "error_code", f.error_code, error) ||
      !read_string(j, "message", f.message, error))
    return false;
  if (f.target.empty()) {
    error = "target is required (a system id, or app / sp)";
    return false;
  }
  return true;
}

// How often the fault fires: its probability, the seed that draws it, and how many times.
bool read_firing(const nlohmann::json& j, fault& f, std::string& error) {
  if (!read_number(j, "probability", 0, 1, f.probability, error)) return false;
  if (j.contains("seed")) {
    if (!j["seed"].is_number_integer() || j["seed"].get<std::int64_t>() < 0) {
      error = "seed must be a non-negative integer";
      return false;
    }
    f.seed = j["seed"].get<std::uint64_t>();
  }
  double count = -1;
  if (!read_number(j, "count", 1, 1e9, count, error)) return false;
  if (count > 0) f.remaining = static_cast<long>(count);
  return true;
}

// The numbers of the kinds: latency, status, quota limit, delay and chunk size.
bool read_parameters(const nlohmann::json& j, fault& f, std::string& error) {
  if (!read_millis(j, "latency_ms", f.latency, error) || !read_millis(j, "latency_max_ms", f.latency_max, error) ||
      !read_number(j, "sigma", 0, 5, f.sigma, error))
    return false;
  double v = f.status;
  if (!read_number(j, "status", 100, 599, v, error)) return false;
  f.status = static_cast<int>(v);
  if (f.kind == fault_kind::quota && !j.contains("status")) f.status = 429;
  v = static_cast<double>(f.limit);
  if (!read_number(j, "limit", 0, 1e9, v, error)) return false;
  f.limit = static_cast<long>(v);
  if (!read_millis(j, "delay_ms", f.delay, error)) return false;
  v = static_cast<double>(f.chunk);
  if (!read_number(j, "chunk_bytes", 1, 65536, v, error)) return false;
  f.chunk = static_cast<std::size_t>(v);
  return true;
}

bool check_distribution(const fault& f, std::string& error) {
  if (f.distribution != "fixed" && f.distribution != "uniform" && f.distribution != "lognormal") {
    error = "distribution must be fixed, uniform or lognormal";
    return false;
  }
  if (f.distribution == "uniform" && f.latency_max < f.latency) {
    error = "latency_max_ms must be at least latency_ms for a uniform latency";
    return false;
  }
  return true;
}

// How long the fault lasts: a quota's window, and "for" (from `now`) or "until" an instant.
bool read_durations(const nlohmann::json& j, instant now, fault& f, std::string& error) {
  for (const char* key : {"window", "for"}) {
    if (!j.contains(key)) continue;
    auto d = j[key].is_string() ? parse_duration(j[key].get<std::string>()) : std::nullopt;
    if (!d || d->count() <= 0) {
      error = std::string(key) + " must be a positive ISO-8601 duration such as PT10M";
      return false;
    }
    if (std::string(key) == "window")
      f.window = *d;
    else
      f.until = now + *d;
  }
  if (j.contains("until")) {
    auto t = j["until"].is_string() ? parse_instant(j["until"].get<std::string>()) : std::nullopt;
    if (!t) {
      error = "until must be an ISO-8601 instant";
      return false;
    }
    f.until = *t;
  }
  return true;
}

}  // namespace

const char* to_string(fault_kind k) {
  for (const auto& [kind, name] : kinds)
    if (kind == k) return name;
  return "unknown";
}

bool is_notification_fault(fault_kind k) {
  return k == fault_kind::notification_drop || k == fault_kind::notification_delay ||
         k == fault_kind::notification_duplicate;
}

std::optional<fault> parse_fault(const nlohmann::json& j, instant now, std::string& error) {
  if (!j.is_object()) {
    error = "a fault is a JSON object";
    return std::nullopt;
  }
  fault f;
  if (!only_known_keys(j, error) || !read_kind(j, f, error) || !read_texts(j, f, error) || !read_firing(j, f, error) ||
      !read_parameters(j, f, error) || !check_distribution(f, error) || !read_durations(j, now, f, error))
    return std::nullopt;
  return f;
}

nlohmann::json fault_json(const fault& f) {
  nlohmann::json j{{"id", f.id},
                   {"kind", to_string(f.kind)},
                   {"target", f.target},
                   {"probability", f.probability},
                   {"seed", f.seed}};
  if (!f.endpoint.empty()) j["endpoint"] = f.endpoint;
  if (!f.client_id.empty()) j["client_id"] = f.client_id;
  if (!f.persona.empty()) j["persona"] = f.persona;
  if (!f.telegram_id.empty()) j["telegram_id"] = f.telegram_id;
  if (f.remaining) j["remaining"] = *f.remaining;
  if (f.until) j["until"] = format_instant(*f.until);
  switch (f.kind) {
    case fault_kind::latency:
      j["distribution"] = f.distribution;
      j["latency_ms"] = f.latency.count();
      if (f.distribution == "uniform") j["latency_max_ms"] = f.latency_max.count();
      if (f.distribution == "lognormal") j["sigma"] = f.sigma;
      break;
    case fault_kind::http_error:
      j["status"] = f.status;
      j["error_code"] = f.error_code;
      j["message"] = f.message;
      break;
    case fault_kind::quota:
      j["limit"] = f.limit;
      j["window"] = std::to_string(f.window.count() / 1000) + "s";
      break;
    case fault_kind::notification_delay:
      j["delay_ms"] = f.delay.count();
      break;
    case fault_kind::slow_body:
      j["delay_ms"] = f.delay.count();
      j["chunk_bytes"] = f.chunk;
      break;
    default:
      break;
  }
  return j;
}

}  // namespace mynasim
