// SPDX-License-Identifier: Apache-2.0
#include "admin/portal_admin_routes.hpp"

#include "core/json_util.hpp"

namespace mynasim {
namespace {

// GET /__admin/personas: every persona with the state of its card.
http_response list_personas(const portal_admin_context& ctx) {
  nlohmann::json list = nlohmann::json::array();
  const auto data = ctx.runtime->data.get();
  for (const auto& p : data->personas) {
    auto card = ctx.cards->status(p.card.serial);
    list.push_back({{"id", p.id},
                    {"name", p.name},
                    {"note", p.note},
                    {"card_serial", p.card.serial},
                    {"pin_tries_left", card ? card->tries_left : 0},
                    {"locked", !card || card->tries_left <= 0},
                    {"has_data", !p.data.empty()},
                    {"certificate", to_string(card ? card->certificate : p.card.certificate)}});
  }
  return json_response(200, {{"personas", list}});
}

// GET /__admin/personas/{id}/access-records: who read this persona's data, and how it ended.
http_response persona_access_records(const portal_admin_context& ctx, http_request& req) {
  const auto& id = req.params["id"];
  if (!ctx.runtime->data.get()->find_persona(id)) return json_error(404, "unknown_persona", "no persona '" + id + "'");
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : ctx.processes->access_records(id))
    list.push_back({{"at", format_instant(a.at)},
                    {"client_id", a.client_id},
                    {"service", a.service_name},
                    {"process_id", a.process_id},
                    {"outcome", a.outcome},
                    {"items", a.items ? *a.items : std::vector<std::string>()}});
  return json_response(200, {{"persona", id}, {"access_records", list}});
}

// GET /__admin/processes/{id}: one process with its provider status and notification attempts.
http_response process_detail(const portal_admin_context& ctx, http_request& req) {
  auto p = ctx.processes->find(req.params["id"]);
  if (!p) return json_error(404, "unknown_process", "no process '" + req.params["id"] + "'");
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : p->notifications)
    attempts.push_back(
        {{"at", format_instant(a.at)}, {"status", a.status}, {"error", a.error}, {"telegram_type", a.telegram_type}});
  return json_response(200, {{"process_id", p->process_id},
                             {"client_id", p->client_id},
                             {"persona", p->persona_id},
                             {"telegram_id", p->telegram_id},
                             {"ready", p->ready},
                             {"error_key", p->error_key},
                             {"inquiry", inquiry_json(p->query)},
                             {"provider_status", p->result->provider_status},
                             {"notifications", attempts},
                             {"created", format_instant(p->created)}});
}

// GET /__admin/processes?limit=N: the newest processes kept, newest first.
http_response list_processes(const portal_admin_context& ctx, http_request& req) {
  constexpr std::size_t max_limit = 200;
  std::size_t limit = 50;
  if (auto v = req.query_param("limit"); v && !v->empty()) {
    auto n = std::strtoul(v->c_str(), nullptr, 10);
    if (n == 0 || n > max_limit || v->find_first_not_of("0123456789") != std::string::npos)
      return json_error(400, "invalid_request", "limit must be 1–200");
    limit = n;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : ctx.processes->recent(limit))
    list.push_back({{"process_id", p.process_id},
                    {"client_id", p.client_id},
                    {"persona", p.persona_id},
                    {"telegram_id", p.telegram_id},
                    {"ready", p.ready},
                    {"error_key", p.error_key},
                    {"error_code", p.error_code},
                    {"created", format_instant(p.created)},
                    {"ready_at", p.ready ? nlohmann::json(format_instant(p.ready_at)) : nlohmann::json()},
                    {"notifications", p.notifications.size()},
                    {"expired", ctx.processes->expired(p)}});
  return json_response(200, {{"processes", list}});
}

// POST /__admin/cards/{serial}/reset: the card's PIN tries and certificate back to the start.
http_response reset_card(const portal_admin_context& ctx, http_request& req) {
  const auto& serial = req.params["serial"];
  if (!ctx.cards->reset(serial)) return json_error(404, "unknown_card", "no persona holds card '" + serial + "'");
  auto card = ctx.cards->status(serial);
  return json_response(200, {{"card_serial", serial},
                             {"pin_tries_left", card ? card->tries_left : 0},
                             {"certificate", card ? to_string(card->certificate) : ""}});
}

// POST /__admin/cards/reset: every card back to the start.
http_response reset_cards(const portal_admin_context& ctx) {
  ctx.cards->reset();
  return json_response(200, {{"status", "cards reset"}});
}

}  // namespace

void register_portal_admin_routes(router& r, portal_admin_context ctx) {
  r.add_sync("GET", "/__admin/personas", [ctx](http_request&) { return list_personas(ctx); });
  r.add_sync("GET", "/__admin/personas/{id}/access-records",
             [ctx](http_request& req) { return persona_access_records(ctx, req); });
  r.add_sync("GET", "/__admin/processes/{id}", [ctx](http_request& req) { return process_detail(ctx, req); });
  r.add_sync("GET", "/__admin/processes", [ctx](http_request& req) { return list_processes(ctx, req); });
  r.add_sync("POST", "/__admin/cards/{serial}/reset", [ctx](http_request& req) { return reset_card(ctx, req); });
  r.add_sync("POST", "/__admin/cards/reset", [ctx](http_request&) { return reset_cards(ctx); });
}

}  // namespace mynasim
