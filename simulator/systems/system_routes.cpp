// SPDX-License-Identifier: Apache-2.0
#include "systems/system_routes.hpp"

#include "calendar/availability_view.hpp"
#include "core/json_util.hpp"
#include "systems/system_gate.hpp"

namespace mynasim {

void register_system_routes(router& r, world_runtime& rt, const std::vector<const system_config*>& running) {
  for (const auto* sys : running) {
    const std::string base = "/systems/" + sys->id;
    r.add_sync("GET", base + "/healthz", [sys](http_request&) {
      return json_response(200, {{"status", "ok"}, {"system", sys->id}});
    });
    // Serving now? 200 when open, 503 + Retry-After when closed (hours, holiday, outage).
    r.add_sync("GET", base + "/status", [sys, &rt](http_request&) {
      if (auto closed = closed_response(rt, *sys)) return std::move(*closed);
      auto a = rt.availability.query(sys->id, rt.clock.now());
      return json_response(
          200, {{"system", sys->id},
                {"name", sys->name},
                {"up", true},
                {"reason", reason_json(a)},
                {"next_change", a.next_change ? nlohmann::json(format_instant(*a.next_change)) : nlohmann::json()}});
    });
  }
}

}  // namespace mynasim
