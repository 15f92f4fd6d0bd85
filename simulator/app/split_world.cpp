// SPDX-License-Identifier: Apache-2.0
// A split world (README "Command line"): the process that runs the portal owns the default
// world and every named one; the others follow it (app/world_link.hpp). Both sides of that
// wiring are here: the owner's routes a follower calls, and a follower asking the owner about
// each request, adopting each world's clock and sheets, and copying a named world the first
// time a request names it.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/app_impl.hpp"
#include "app/world_link.hpp"
#include "core/json_util.hpp"
#include "faults/decision_wire.hpp"
#include "net/http_client.hpp"
#include "systems/system_gate.hpp"

namespace mynasim {

// The world owner's side of a split world (see app/world_link.hpp), for one world: a follower
// asks under the world's prefix (/worlds/{id}/__admin/world/decide for a named one).
void simulator_app::impl::register_owner_routes(router& r, world_instance& w) {
  r.add_sync("POST", "/__admin/world/decide", [&w](http_request& req) {
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
    w.scenarios.tick();
    auto d = w.faults.decide(facts);
    // A system the owner knows to be closed — forced down included — answers closed there too.
    bool health = facts.path.size() >= 8 && facts.path.compare(facts.path.size() - 8, 8, "/healthz") == 0;
    if (!d.response && !health)
      if (const auto* sys = w.rt.world.find_system(facts.system))
        if (auto closed = closed_response(w.rt, *sys)) d.response = std::move(*closed);
    return json_response(200, {{"clock", clock_state_json(w.rt.clock.state())},
                               {"decision", decision_json(d)},
                               {"sheets_version", w.editor->version()}});
  });
  r.add_sync("GET", "/__admin/world/state", [&w](http_request&) {
    return json_response(200,
                         {{"clock", clock_state_json(w.rt.clock.state())}, {"sheets_version", w.editor->version()}});
  });
}

// Journal entries from the followers, each filed in its world ("world": a named one; an
// entry of a world removed meanwhile is dropped).
void simulator_app::impl::register_owner_journal_route(router& r) {
  r.add_sync("POST", "/__admin/world/journal", [this](http_request& req) {
    std::string error;
    auto body = parse_json_object(req.body, error);
    if (!body || !body->contains("entries") || !(*body)["entries"].is_array())
      return json_error(400, "invalid_request", error.empty() ? "expected {\"entries\": [...]}" : error);
    const auto& entries = (*body)["entries"];
    if (entries.size() > 1000) return json_error(413, "too_many_entries", "at most 1000 entries per call");
    std::size_t taken = 0;
    std::shared_ptr<world_instance> w;
    for (const auto& j : entries) {
      auto id = j.is_object() && j.contains("world") && j["world"].is_string() ? j["world"].get<std::string>() : "";
      w = id.empty() ? home : (w && w->settings.id == id ? w : find_world(id));
      if (!w) continue;
      if (auto e = journal_entry_from_json(j)) {
        w->journal.record(std::move(*e));
        ++taken;
      }
    }
    return json_response(200, {{"recorded", taken}});
  });
}

// A follower's request in world `w`: the owner decides its faults and says the world's clock
// and the version of its sheets, adopted here before the request is answered.
void simulator_app::impl::ask_owner(const std::shared_ptr<world_instance>& w, http_request& req,
                                    fault_decision decision, respond_fn respond) {
  auto copy = std::make_shared<http_request>(req);  // the request outlives this call
  link->decide(*copy, w->prefix,
               [this, w, copy, decision = std::move(decision), respond = std::move(respond)](owner_verdict v) mutable {
                 if (v.unknown_world) {
                   if (!w->is_default()) remove_world(w->settings.id, "the world owner holds it no more");
                   return respond(json_error(404, "unknown_world", v.error));
                 }
                 if (!v.decision) return respond(json_error(503, "world_owner_unreachable", v.error));
                 if (v.clock) guarded("adopt_clock", [&] { w->rt.clock.adopt(*v.clock); });
                 auto finish = [this, w, copy, decision = std::move(decision), more = std::move(*v.decision),
                                respond = std::move(respond)](const std::string& why) mutable {
                   if (!why.empty()) return respond(json_error(503, "world_owner_unreachable", why));
                   finish_dispatch(*w, copy, std::move(decision), std::move(more), std::move(respond));
                 };
                 // The default world's sheets follow in the background (world_link::sync); a
                 // named world's before its request is answered.
                 if (w->is_default() || v.sheets_version == w->owner_sheets.load()) return finish("");
                 adopt_owner_sheets(w, v.sheets_version, std::move(finish));
               });
}

// A named world's runtime changes, read from the owner and adopted over this process's files.
void simulator_app::impl::adopt_owner_sheets(const std::shared_ptr<world_instance>& w, std::uint64_t version,
                                             std::function<void(std::string)> then) {
  link->world_changes(w->prefix, [this, w, version, then = std::move(then)](
                                     std::optional<std::vector<sheet_change>> changes, const std::string& why) {
    auto what = "the sheets of world '" + w->settings.id + "' ";
    if (!changes) return then(what + "could not be read from the world owner: " + why);
    try {
      w->editor->adopt(std::move(*changes), [this, w, version, then, what](const edit_outcome& o) {
        if (o.status != 200) {
          auto detail = o.body;
          if (detail.is_object()) detail["world"] = w->settings.id;
          log.event("sheets_refused", detail);
          return then(what + "were refused here: " + o.body.value("message", o.body.value("error", std::string())));
        }
        w->owner_sheets = version;
        then("");
      });
    } catch (const std::exception& e) {
      then(what + "could not be adopted: " + e.what());
    }
  });
}

// A request for a named world this follower has not served yet (its prefix already taken off
// `req`): if the owner holds it, a copy is made here (on the background pool) and the request
// goes on in it.
void simulator_app::impl::follow_world(const std::string& id, std::shared_ptr<http_request> req, respond_fn respond) {
  link->world_info(id, [this, id, req = std::move(req), respond = std::move(respond)](
                           int status, const nlohmann::json& about, const std::string& unanswered) mutable {
    if (status == 404)
      return respond(json_error(404, "unknown_world", "no world '" + id + "' (GET /__admin/worlds lists them)"));
    if (status != 200) return respond(json_error(503, "world_owner_unreachable", unanswered));
    world_settings s;
    s.id = id;
    if (about.contains("ttl_ms") && about["ttl_ms"].is_number_unsigned())
      s.ttl = std::max(std::chrono::seconds(1), std::chrono::seconds(about["ttl_ms"].get<std::uint64_t>() / 1000));
    else
      s.declared = true;
    auto job = [this, s = std::move(s), req, respond]() mutable {
      std::string why;
      if (make_world(s, why)) log.event("world_followed", {{"world", s.id}, {"owner", link->owner()}});
      auto w = find_world(s.id);  // made here, or by another request meanwhile
      if (!w)
        return respond(why.rfind("at most", 0) == 0 ? json_error(429, "world_limit", why)
                                                    : json_error(503, "world_unavailable", why));
      dispatch_in(w, *req, [req, respond](http_response res) { respond(std::move(res)); });
    };
    if (!background.submit("follow-world", std::move(job)))
      respond(json_error(503, "busy", "too many worlds being followed at once; try again"));
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
