// SPDX-License-Identifier: Apache-2.0
// A split world (README "Command line"): the process that runs the portal owns the default
// world; the others follow it (app/world_link.hpp). Both sides of that wiring are here: the
// owner's routes a follower calls, and a follower adopting the owner's clock and sheets.
#include <nlohmann/json.hpp>

#include "app/app_impl.hpp"
#include "app/world_link.hpp"
#include "core/json_util.hpp"
#include "faults/decision_wire.hpp"
#include "net/http_client.hpp"
#include "systems/system_gate.hpp"

namespace mynasim {

// The world owner's side of a split world (see app/world_link.hpp).
void simulator_app::impl::register_owner_routes(router& r) {
  r.add_sync("POST", "/__admin/world/decide", [this](http_request& req) {
    std::string error;
    auto body = parse_json_object(req.body, error);
    if (!body) return json_error(400, "invalid_request", error);
    http_request facts;
    facts.system = string_member(*body, "system");
    facts.listener = string_member(*body, "listener", "systems");
    facts.method = string_member(*body, "method");
    facts.path = string_member(*body, "path");
    facts.client_id = string_member(*body, "client_id");
    facts.persona = string_member(*body, "persona");
    facts.telegram_id = string_member(*body, "telegram_id");
    facts.process_id = string_member(*body, "process_id");
    home->scenarios.tick();
    auto d = home->faults.decide(facts);
    // A system the owner knows to be closed — forced down included — answers closed there too.
    bool health = facts.path.size() >= 8 && facts.path.compare(facts.path.size() - 8, 8, "/healthz") == 0;
    if (!d.response && !health)
      if (const auto* sys = home->rt.world.find_system(facts.system))
        if (auto closed = closed_response(home->rt, *sys)) d.response = std::move(*closed);
    return json_response(200, {{"clock", clock_state_json(home->rt.clock.state())}, {"decision", decision_json(d)}});
  });
  r.add_sync("GET", "/__admin/world/state", [this](http_request&) {
    return json_response(
        200, {{"clock", clock_state_json(home->rt.clock.state())}, {"sheets_version", home->editor->version()}});
  });
  r.add_sync("POST", "/__admin/world/journal", [this](http_request& req) {
    std::string error;
    auto body = parse_json_object(req.body, error);
    if (!body || !body->contains("entries") || !(*body)["entries"].is_array())
      return json_error(400, "invalid_request", error.empty() ? "expected {\"entries\": [...]}" : error);
    const auto& entries = (*body)["entries"];
    if (entries.size() > 1000) return json_error(413, "too_many_entries", "at most 1000 entries per call");
    std::size_t taken = 0;
    for (const auto& j : entries)
      if (auto e = journal_entry_from_json(j)) {
        home->journal.record(std::move(*e));
        ++taken;
      }
    return json_response(200, {{"recorded", taken}});
  });
}

// --world-owner: this process follows the owner, adopting its clock and sheets.
void simulator_app::impl::follow_world_owner() {
  link = std::make_unique<world_link>(
      options.world_owner, home->rt.world.server.admin.bearer_token, node, *client,
      link_callbacks{[this](const clock_state& c) { guarded("adopt_clock", [&] { home->rt.clock.adopt(c); }); },
                     [this](std::vector<sheet_change> owners, sheets_adopted_fn done) {
                       guarded("adopt_sheets", [&] {
                         home->editor->adopt(std::move(owners), [this, done](const edit_outcome& o) {
                           log.event(o.status == 200 ? "sheets_adopted" : "sheets_refused", o.body);
                           done(o.status == 200, o.body.value("message", o.body.value("error", std::string())));
                         });
                       });
                     },
                     [this](const std::string& event, const nlohmann::json& detail) { log.event(event, detail); }});
}

}  // namespace mynasim
