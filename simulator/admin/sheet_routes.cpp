// SPDX-License-Identifier: Apache-2.0
#include "admin/sheet_routes.hpp"

#include "core/json_util.hpp"

namespace mynasim {
namespace {

struct section_info {
  const char* name;      // services | connections | personas
  const char* singular;  // for messages
};

bool valid_id(const std::string& section, const std::string& id) {
  if (section != "personas") return is_client_id(id);
  if (id.empty() || id.size() > 64) return false;
  return id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
}

std::optional<nlohmann::json> entry_json(const world_data& d, const std::string& section, const std::string& id) {
  if (section == "services") {
    const auto* s = d.find_service(id);
    if (!s) return std::nullopt;
    return service_view(d, *s);
  }
  if (section == "connections") {
    const auto* c = d.find_connection(id);
    if (!c) return std::nullopt;
    auto j = connection_json(*c);
    j["defined_at"] = c->defined_at;
    return j;
  }
  const auto* p = d.find_persona(id);
  if (!p) return std::nullopt;
  auto j = persona_json(*p);
  j["defined_at"] = p->defined_at;
  return j;
}

http_response outcome_response(const edit_outcome& o) {
  return json_response(o.status, o.body);
}

void register_section(router& r, sheet_context ctx, section_info info) {
  std::string section = info.name;
  std::string base = "/__admin/" + section;
  auto bad_id = [section](const std::string& id) {
    return json_error(400, "invalid_request",
                      section == "personas" ? "a persona id is 1–64 letters, digits, '_' or '-'"
                                            : "'" + id + "' is not a client_id such as SP00000086_AA0003");
  };
  if (section != "personas")  // GET /__admin/personas lists the cards' state (portal admin routes)
    r.add_sync("GET", base, [ctx, section](http_request&) {
      auto d = ctx.runtime->data.get();
      nlohmann::json list = nlohmann::json::array();
      if (section == "services")
        for (const auto& s : d->services) list.push_back(*entry_json(*d, section, s.client_id));
      else
        for (const auto& c : d->connections) list.push_back(*entry_json(*d, section, c.client_id));
      return json_response(200, {{section, list}});
    });
  r.add_sync("GET", base + "/{id}", [ctx, section, info, bad_id](http_request& req) {
    const auto& id = req.params["id"];
    if (!valid_id(section, id)) return bad_id(id);
    auto j = entry_json(*ctx.runtime->data.get(), section, id);
    if (!j) return json_error(404, "not_found", std::string("no ") + info.singular + " '" + id + "'");
    return json_response(200, *j);
  });
  // Worked out off the I/O thread (world_editor); the answer comes when the change is applied.
  auto edit = [ctx, section, bad_id](http_request& req, respond_fn respond, sheet_change::op op) {
    const auto& id = req.params["id"];
    if (!valid_id(section, id)) return respond(bad_id(id));
    sheet_change c{op, section, id, req.body, req.method + " " + req.path};
    ctx.editor->change(std::move(c), [ctx, section, id, op, respond = std::move(respond)](const edit_outcome& o) {
      if (o.status != 200) return respond(outcome_response(o));
      if (op == sheet_change::op::remove) return respond(json_response(200, {{"removed", id}}));
      auto j = entry_json(*ctx.runtime->data.get(), section, id);
      respond(json_response(o.created ? 201 : 200, j.value_or(nlohmann::json())));
    });
  };
  r.add("PUT", base + "/{id}",
        [edit](http_request& req, respond_fn respond) { edit(req, std::move(respond), sheet_change::op::put); });
  r.add("PATCH", base + "/{id}",
        [edit](http_request& req, respond_fn respond) { edit(req, std::move(respond), sheet_change::op::patch); });
  r.add("DELETE", base + "/{id}",
        [edit](http_request& req, respond_fn respond) { edit(req, std::move(respond), sheet_change::op::remove); });
}

// The answer to a reload (or to forgetting the changes), logged with what it dropped.
edit_done reload_answer(const sheet_context& ctx, respond_fn respond) {
  return [ctx, respond = std::move(respond)](const edit_outcome& o) {
    if (ctx.log) ctx.log(o.status == 200 ? "reloaded" : "reload_refused", o.body);
    respond(outcome_response(o));
  };
}

}  // namespace

void register_sheet_routes(router& r, sheet_context ctx) {
  register_section(r, ctx, {"services", "service"});
  register_section(r, ctx, {"connections", "connection"});
  register_section(r, ctx, {"personas", "persona"});
  r.add("POST", "/__admin/reload", [ctx](http_request&, respond_fn respond) {
    ctx.editor->reload("POST /__admin/reload", reload_answer(ctx, std::move(respond)));
  });
  r.add_sync("GET", "/__admin/changes", [ctx](http_request& req) {
    return json_response(200, {{"changes", ctx.editor->changes_json(req.query_param("full") == "1")},
                               {"version", ctx.editor->version()}});
  });
  r.add("DELETE", "/__admin/changes",
        [ctx](http_request&, respond_fn respond) { ctx.editor->forget(reload_answer(ctx, std::move(respond))); });
}

}  // namespace mynasim
