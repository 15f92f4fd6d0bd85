// SPDX-License-Identifier: Apache-2.0
#include "systems/backend_routes.hpp"

#include <map>
#include <mutex>

#include "core/json_stream.hpp"
#include "core/json_util.hpp"
#include "intermediate/query.hpp"
#include "net/http_client.hpp"
#include "systems/system_gate.hpp"

namespace mynasim {
namespace {

nlohmann::json person_json(const persona& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"kana", p.kana},
          {"birth_date", p.birth_date},
          {"sex", p.sex},
          {"address", p.address},
          {"municipality", p.municipality}};
}

http_response identify(world_runtime& rt, const system_config& sys, http_request& req) {
  if (auto closed = closed_response(rt, sys)) return std::move(*closed);
  std::string error;
  auto body = parse_json_object(req.body, error);
  if (!body || !body->contains("card_serial") || !(*body)["card_serial"].is_string())
    return json_error(400, "invalid_request", body ? "card_serial is required" : error);
  const auto data = rt.data.get();
  const auto* p = data->find_persona_by_card((*body)["card_serial"].get<std::string>());
  if (!p) return json_error(404, "not_found", "no resident holds this card");
  return json_response(200, {{"system", sys.id}, {"person", person_json(*p)}});
}

http_response query(world_runtime& rt, const system_config& sys, http_request& req) {
  if (auto closed = closed_response(rt, sys)) return std::move(*closed);
  std::string error;
  auto ask = read_query_request(req.body, error);
  if (!ask) return json_error(400, "invalid_request", error);
  const auto* q = &ask->query;
  const auto snapshot = rt.data.get();
  const auto& data = *snapshot;
  const auto* p = data.find_persona(ask->person_id);
  if (!p) return json_error(404, "not_found", "unknown person");
  auto today = compact_date(rt.clock.now());
  // {"results":[{"body","item","name","records":[…]}…],"system"}, written as dump_json would
  // write that object (keys in order), the records straight from the world: nothing copied.
  std::string out = R"({"results":[)";
  bool first = true;
  for (const auto& code : ask->items) {
    const auto* item = data.find_item(code);
    if (!item) continue;
    for (const auto& entry : p->data) {
      if (entry.item != item->code || entry.holder != sys.id) continue;
      auto records = select_records(*item, entry.records(), *q, today);
      if (records.empty()) continue;
      out += first ? R"({"body":)" : R"(,{"body":)";
      first = false;
      append_json_string(out, entry.body);
      out += R"(,"item":)";
      append_json_string(out, item->code);
      out += R"(,"name":)";
      append_json_string(out, item->name);
      out += R"(,"records":[)";
      for (std::size_t i = 0; i < records.size(); ++i) {
        if (i) out += ',';
        append_json(out, *records[i]);
      }
      out += "]}";
    }
  }
  out += R"(],"system":)";
  append_json_string(out, sys.id);
  out += '}';
  return http_response::json(200, std::move(out));
}

// Gathers the holders' answers; answers the portal when the last one arrives.
struct fan_out {
  // Not defaulted: an implicit default constructor is noexcept, yet nlohmann::json's may throw.
  fan_out(nlohmann::json identified_person, respond_fn respond_to)
      : person(std::move(identified_person)), respond(std::move(respond_to)) {}

  std::mutex mutex;
  std::size_t pending = 0;
  nlohmann::json person;
  std::map<std::string, std::string> holders;  // each holder's entry as JSON text, by system id (in id order)
  respond_fn respond;
};

nlohmann::json holder_entry(const system_config& sys, const client_result& r) {
  nlohmann::json e{{"system", sys.id}, {"name", sys.name}};
  std::string parse_error;
  auto body = parse_json(r.body, parse_error).value_or(nlohmann::json());
  if (r.status == 200 && body.is_object()) {
    e["status"] = "ok";
    if (body.contains("results"))
      e["results"] = std::move(body["results"]);
    else
      e["results"] = nlohmann::json::array();
  } else if (r.status == 503 && body.is_object() && body.contains("reason")) {
    e["status"] = "unavailable";
    e["reason"] = body["reason"];
    e["reopens_at"] = body.value("reopens_at", nlohmann::json());
  } else {
    e["status"] = "error";
    e["detail"] = r.status ? "HTTP " + std::to_string(r.status) : r.error;
    // A 200 whose body is not a JSON object says what was wrong with the body, not just "HTTP 200".
    if (r.status == 200)
      e["detail"] = "HTTP 200, but the body is not a JSON object (" +
                    (parse_error.empty() ? std::string("not an object") : parse_error.substr(0, 160)) + ")";
    if (body.is_object() && body.contains("reason") && body["reason"].is_object()) e["reason"] = body["reason"];
  }
  return e;
}

// The same entry as text. An answer that is an object has its results copied on as they came,
// never built into a document; anything else is described by holder_entry.
std::string holder_entry_text(const system_config& sys, const client_result& r) {
  if (r.status == 200) {
    std::string out = R"({"name":)";
    append_json_string(out, sys.name);
    out += R"(,"results":)";
    auto results = copy_member(r.body, "results", out);
    if (results == member_copy::copied || results == member_copy::absent) {
      if (results == member_copy::absent) out += "[]";
      out += R"(,"status":"ok","system":)";
      append_json_string(out, sys.id);
      out += '}';
      return out;
    }
  }
  return dump_json(holder_entry(sys, r));
}

// The world's 住基ネット, which names the person behind a card.
const system_config* juki_of(const world_config& world) {
  for (const auto& s : world.systems)
    if (s.kind == system_kind::juki) return &s;
  return nullptr;
}

// The headers of every hop a provision makes: JSON, and the request's tracing headers passed on.
std::vector<http_header> hop_headers(const http_request& req) {
  std::vector<http_header> headers{{"content-type", "application/json"}};
  for (const char* h :
       {"x-mynasim-client-id", "x-mynasim-persona", "x-mynasim-process-id", "x-mynasim-telegram-id", hop_seal_header})
    if (const auto* v = req.header(h)) headers.push_back({h, *v});
  return headers;
}

// 住基ネット closed or failing: the whole provision fails, naming it.
http_response identify_failure(const system_config& juki, const client_result& r) {
  std::string ignored;
  auto upstream = parse_json(r.body, ignored).value_or(nlohmann::json());
  nlohmann::json out = upstream.is_object() ? upstream : nlohmann::json::object();
  out["system"] = juki.id;
  out["name"] = juki.name;
  if (!out.contains("error")) out["error"] = r.status ? "upstream_error" : "upstream_unreachable";
  if (!r.error.empty()) out["detail"] = r.error;
  return json_response(r.status == 503 || r.status == 404 ? r.status : 502, out);
}

// The person 住基ネット named; an empty object when its answer names none.
nlohmann::json identified_person(const client_result& r) {
  std::string ignored;
  auto identified = parse_json_object(r.body, ignored).value_or(nlohmann::json::object());
  auto person = identified.value("person", nlohmann::json::object());
  if (!person.is_object()) person = nlohmann::json::object();
  return person;
}

// Which holder gets which items (ids and codes as the world snapshot holds them).
using items_by_holder = std::map<std::string_view, std::vector<const std::string*>>;

items_by_holder group_by_holder(const world_data& data, const nlohmann::json& items) {
  items_by_holder by_holder;
  for (const auto& code : items) {
    const auto* item = code.is_string() ? data.find_item(code.get_ref<const std::string&>()) : nullptr;
    if (!item) continue;
    for (const auto& h : item->holders) by_holder[h].push_back(&item->code);
  }
  return by_holder;
}

// A holder's query, {"inquiry","items","person_id"} as dump_json would write it: the same text
// before and after the items for every holder.
struct holder_query {
  std::string before_items;
  std::string after_items;

  holder_query(const nlohmann::json& inquiry, const nlohmann::json& person) : before_items(R"({"inquiry":)") {
    append_json(before_items, inquiry);
    before_items += R"(,"items":)";
    after_items = R"(,"person_id":)";
    append_json_string(after_items, string_member(person, "id"));
    after_items += '}';
  }

  std::string body_for(const std::vector<const std::string*>& codes) const {
    std::string body;
    body.reserve(before_items.size() + after_items.size() + codes.size() * 24 + 2);
    body = before_items;
    body += '[';
    for (std::size_t i = 0; i < codes.size(); ++i) {
      if (i) body += ',';
      append_json_string(body, *codes[i]);
    }
    body += ']';
    body += after_items;
    return body;
  }
};

// {"holders":[…],"person":{…}}, as dump_json would write it.
std::string gathered_answer(const fan_out& state) {
  std::size_t size = 32;
  for (const auto& [id, e] : state.holders) size += e.size() + 1;
  std::string out;
  out.reserve(size + 512);
  out += R"({"holders":[)";
  bool first = true;
  for (const auto& [id, e] : state.holders) {
    if (!first) out += ',';
    first = false;
    out += e;
  }
  out += R"(],"person":)";
  append_json(out, state.person);
  out += '}';
  return out;
}

// Keeps one holder's answer; the last one to arrive answers the portal.
void gather(fan_out& state, const system_config& holder, const client_result& r) {
  std::lock_guard lock(state.mutex);
  state.holders[holder.id] = holder_entry_text(holder, r);
  if (--state.pending != 0) return;
  state.respond(http_response::json(200, gathered_answer(state)));
}

// Sends each holder the query for its items.
void ask_holders(const backend_context& ctx, const std::shared_ptr<fan_out>& state, const items_by_holder& by_holder,
                 const holder_query& query, const std::vector<http_header>& forwarded, millis timeout) {
  const auto& world = ctx.runtime->world;
  state->pending = by_holder.size();
  for (const auto& [holder_id, codes] : by_holder) {
    const auto* holder = world.find_system(holder_id);
    client_request q;
    q.url = ctx.url_of(holder->id) + "/query";
    q.body = query.body_for(codes);
    q.headers = forwarded;
    q.timeout = timeout;
    ctx.client->send(std::move(q), [state, holder](const client_result& qr) { gather(*state, *holder, qr); });
  }
}

// 住基ネット answered: fan the items out to their holders, or answer at once when none holds any.
void fan_out_to_holders(const backend_context& ctx, const nlohmann::json& request_body,
                        const std::vector<http_header>& forwarded, respond_fn respond, const client_result& r) {
  auto state = std::make_shared<fan_out>(identified_person(r), std::move(respond));
  const auto data = ctx.runtime->data.get();
  const auto by_holder = group_by_holder(*data, request_body["items"]);
  if (by_holder.empty())
    return state->respond(json_response(200, {{"person", state->person}, {"holders", nlohmann::json::array()}}));
  ask_holders(ctx, state, by_holder, holder_query(request_body["inquiry"], state->person), forwarded,
              data->portal.hop_timeout);
}

// POST /provision: 住基ネット names the person behind the card, then every holder of the items
// asked for answers with its records.
void provision(const backend_context& ctx, const system_config& sys, http_request& req, respond_fn respond) {
  auto& rt = *ctx.runtime;
  if (auto closed = closed_response(rt, sys)) return respond(std::move(*closed));
  std::string error;
  auto body = parse_json_object(req.body, error);
  if (!body || !body->contains("card_serial") || !body->contains("items") || !(*body)["items"].is_array() ||
      !body->contains("inquiry"))
    return respond(json_error(400, "invalid_request", body ? "expected card_serial, items and inquiry" : error));
  const auto* juki = juki_of(rt.world);
  client_request identify_req;
  identify_req.url = ctx.url_of(juki->id) + "/identify";
  identify_req.body = R"({"card_serial":)";
  append_json(identify_req.body, (*body)["card_serial"]);
  identify_req.body += '}';
  auto forwarded = hop_headers(req);
  identify_req.headers = forwarded;
  identify_req.timeout = rt.data.get()->portal.hop_timeout;
  auto request_body = std::make_shared<nlohmann::json>(std::move(*body));
  ctx.client->send(std::move(identify_req),
                   [ctx, juki, request_body, forwarded, respond = std::move(respond)](const client_result& r) mutable {
                     if (r.status != 200) return respond(identify_failure(*juki, r));
                     fan_out_to_holders(ctx, *request_body, forwarded, std::move(respond), r);
                   });
}

}  // namespace

void register_backend_routes(router& r, const backend_context& ctx, const std::vector<const system_config*>& running) {
  auto& rt = *ctx.runtime;
  for (const auto* sys : running) {
    const std::string base = "/systems/" + sys->id;
    switch (sys->kind) {
      case system_kind::juki:
        r.add_sync("POST", base + "/identify", [&rt, sys](http_request& req) { return identify(rt, *sys, req); });
        break;
      case system_kind::intermediate:
        r.add_sync("POST", base + "/query", [&rt, sys](http_request& req) { return query(rt, *sys, req); });
        break;
      case system_kind::network:
        r.add("POST", base + "/provision",
              [ctx, sys](http_request& req, respond_fn respond) { provision(ctx, *sys, req, std::move(respond)); });
        break;
      case system_kind::portal:
        break;
    }
  }
}

}  // namespace mynasim
