// SPDX-License-Identifier: Apache-2.0
#include "faults/decision_wire.hpp"

#include <algorithm>

#include "core/json_util.hpp"

namespace mynasim {

namespace {
using action = transport_fault::action;
constexpr std::pair<action, const char*> actions[] = {{action::none, "none"},         {action::hang, "hang"},
                                                      {action::reset, "reset"},       {action::empty, "empty"},
                                                      {action::truncate, "truncate"}, {action::malformed, "malformed"},
                                                      {action::slow, "slow"}};
}  // namespace

nlohmann::json decision_json(const fault_decision& d) {
  nlohmann::json j{{"fired", d.fired}};
  const char* what = "none";
  for (auto [a, name] : actions)
    if (a == d.transport.what) what = name;
  j["transport"] = {{"what", what},
                    {"delay_ms", d.transport.delay.count()},
                    {"pause_ms", d.transport.pause.count()},
                    {"chunk", d.transport.chunk}};
  if (d.response) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& h : d.response->headers) headers.push_back({h.name, h.value});
    j["response"] = {
        {"status", d.response->status}, {"headers", headers}, {"body", d.response->body}, {"close", d.response->close}};
  }
  return j;
}

std::optional<fault_decision> decision_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  fault_decision d;
  if (j.contains("fired") && j["fired"].is_array())
    for (const auto& f : j["fired"])
      if (f.is_string()) d.fired.push_back(f.get<std::string>());
  if (j.contains("transport") && j["transport"].is_object()) {
    const auto& t = j["transport"];
    auto what = string_member(t, "what", "none");
    for (auto [a, name] : actions)
      if (what == name) d.transport.what = a;
    auto ms = [&](const char* k) {
      return t.contains(k) && t[k].is_number_integer() ? std::clamp<long long>(t[k].get<long long>(), 0, 3'600'000) : 0;
    };
    d.transport.delay = std::chrono::milliseconds(ms("delay_ms"));
    d.transport.pause = std::chrono::milliseconds(ms("pause_ms"));
    if (t.contains("chunk") && t["chunk"].is_number_unsigned())
      d.transport.chunk = std::clamp<std::size_t>(t["chunk"].get<std::size_t>(), 1, 65536);
  }
  if (j.contains("response") && j["response"].is_object()) {
    const auto& r = j["response"];
    if (!r.contains("status") || !r["status"].is_number_integer()) return std::nullopt;
    http_response res;
    res.status = std::clamp(r["status"].get<int>(), 100, 599);
    res.body = string_member(r, "body");
    res.close = r.contains("close") && r["close"].is_boolean() && r["close"].get<bool>();
    if (r.contains("headers") && r["headers"].is_array())
      for (const auto& h : r["headers"])
        if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string())
          res.headers.push_back({h[0].get<std::string>(), h[1].get<std::string>()});
    d.response = std::move(res);
  }
  return d;
}

nlohmann::json clock_state_json(const clock_state& s) {
  return {{"now_ms", s.now.time_since_epoch().count()}, {"speed", s.speed}, {"frozen", s.frozen}};
}

std::optional<clock_state> clock_state_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("now_ms") || !j["now_ms"].is_number_integer() || !j.contains("speed") ||
      !j["speed"].is_number() || !j.contains("frozen") || !j["frozen"].is_boolean())
    return std::nullopt;
  clock_state s{instant(millis(j["now_ms"].get<long long>())), j["speed"].get<double>(), j["frozen"].get<bool>()};
  if (!in_supported_range(s.now) || s.speed < 0 || s.speed > 1e6) return std::nullopt;
  return s;
}

}  // namespace mynasim
