// SPDX-License-Identifier: Apache-2.0
#include "systems/system_gate.hpp"

#include "calendar/availability_view.hpp"
#include "core/json_util.hpp"

namespace mynasim {

std::optional<http_response> closed_response(const world_runtime& rt, const system_config& system) {
  auto now = rt.clock.now();
  if (rt.availability.status(system.id, now).up) return std::nullopt;
  auto a = rt.availability.query(system.id, now);
  nlohmann::json body{
      {"error", "system_unavailable"},
      {"error_description", system.name + " は現在利用できません: " + a.reason_text()},
      {"system", system.id},
      {"name", system.name},
      {"reason", reason_json(a)},
      {"at", format_instant(now)},
      {"reopens_at", a.next_change ? nlohmann::json(format_instant(*a.next_change)) : nlohmann::json()}};
  auto res = json_response(503, body);
  if (a.next_change) {
    auto seconds = std::chrono::ceil<std::chrono::seconds>(*a.next_change - now).count();
    res.set("retry-after", std::to_string(std::max<long long>(1, seconds)));
  }
  return res;
}

}  // namespace mynasim
