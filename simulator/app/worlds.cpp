// SPDX-License-Identifier: Apache-2.0
// Named worlds: which world a request is for, and their life cycle through the admin API
// (POST/GET /__admin/worlds, GET/DELETE /__admin/worlds/{id}, bindings) and the world YAML.
//
// A request is for the world its path names (/worlds/{id}/…, the prefix taken off before
// routing), else — on app and sp — for the world its service is bound to, else for the
// default world. Creating a world copies the files' configuration (a few kB) and shares the
// files' sheets until its first runtime change; it runs on the background pool, never on an
// I/O thread. A removed world is retired at once (404 on its URLs, its state cleared) and
// released when its last pending hop, timer or request lets go of it.
#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "app/admin_guard.hpp"
#include "app/app_impl.hpp"
#include "config/sheet_changes.hpp"
#include "config/yaml_reader.hpp"
#include "core/json_util.hpp"
#include "net/server.hpp"

namespace mynasim {

namespace {

// A caller's text in an error message, at most `n` bytes.
std::string clip(std::string_view text, std::size_t n) {
  return std::string(text.substr(0, n));
}

std::string random_hex(std::size_t digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(digits, '0');
  for (auto& c : out) c = hex[rng() % 16];
  return out;
}

// The host a caller reached the admin listener by, without its port: the base URLs a world
// answers with use the same name ("127.0.0.1" without a Host header).
std::string host_name_of(const http_request& req) {
  const auto* host = req.header("host");
  std::string h = host && !host->empty() && host->size() < 256 ? *host : "127.0.0.1";
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    return close == std::string::npos ? "127.0.0.1" : h.substr(0, close + 1);
  }
  if (auto colon = h.find(':'); colon != std::string::npos) h.resize(colon);
  return h;
}

std::optional<world_settings> read_settings(const nlohmann::json& body, const worlds_config& limits,
                                            std::string& error) {
  static const std::set<std::string> known{"id", "ttl", "clock", "bind", "api_users"};
  for (const auto& [key, value] : body.items())
    if (!known.count(key)) {
      error = "unknown member '" + (clip(key, 64)) + "' (known: id, ttl, clock, bind, api_users)";
      return std::nullopt;
    }
  world_settings s;
  s.ttl = std::chrono::duration_cast<std::chrono::seconds>(limits.idle_ttl);
  if (body.contains("id")) {
    s.id = string_member(body, "id");
    if (!is_world_id(s.id)) {
      error = "id: expected 1-63 of a-z, 0-9 and '-' starting with a letter or digit";
      return std::nullopt;
    }
  }
  if (body.contains("ttl")) {
    auto d = parse_duration(string_member(body, "ttl"));
    if (!d || *d < std::chrono::seconds(1) || *d > limits.max_ttl) {
      error = "ttl: expected an ISO-8601 duration from PT1S to the configured max_ttl (" +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limits.max_ttl).count()) + " s)";
      return std::nullopt;
    }
    s.ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  if (body.contains("clock")) {
    auto c = string_member(body, "clock");
    if (!parse_instant(c)) {
      error = "clock: expected an ISO-8601 instant such as 2026-12-29T10:00:00+09:00";
      return std::nullopt;
    }
    s.clock = c;
  }
  for (const char* list : {"bind", "api_users"}) {
    if (!body.contains(list)) continue;
    const auto& v = body[list];
    if (!v.is_array() || v.size() > 100 ||
        !std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string() && e.size() <= 2048; })) {
      error = std::string(list) + ": expected an array of at most 100 strings";
      return std::nullopt;
    }
    auto& out = std::string(list) == "bind" ? s.bound : s.api_users;
    for (const auto& e : v) out.push_back(e.get<std::string>());
  }
  return s;
}

}  // namespace

std::size_t simulator_app::impl::max_worlds() const {
  return home->rt.world.worlds.max;
}

std::shared_ptr<world_instance> simulator_app::impl::find_world(std::string_view id) const {
  std::lock_guard lock(worlds_mutex);
  auto it = worlds.find(id);
  return it == worlds.end() ? nullptr : it->second;
}

std::optional<std::string> simulator_app::impl::world_of_token(std::string_view token) const {
  if (token.size() != 64) return std::nullopt;
  std::lock_guard lock(worlds_mutex);
  for (const auto& [id, w] : worlds)
    if (constant_time_equal(token, w->settings.token)) return id;
  return std::nullopt;
}

std::optional<world_path> split_world_path(std::string_view path) {
  if (path.rfind("/worlds/", 0) != 0) return std::nullopt;
  path.remove_prefix(8);
  auto slash = path.find('/');
  return world_path{path.substr(0, slash), slash == std::string_view::npos ? "/" : std::string(path.substr(slash))};
}

std::shared_ptr<world_instance> simulator_app::impl::resolve(http_request& req, std::string& error) {
  if (auto named = split_world_path(req.path)) {
    auto w = is_world_id(named->id) ? find_world(named->id) : nullptr;
    if (!w) {
      error = "no world '" + (clip(named->id, 63)) + "' (GET /__admin/worlds lists them)";
      return nullptr;
    }
    req.world = std::string(named->id);
    req.path = std::move(named->rest);
    return w;
  }
  if (req.listener == "app" || req.listener == "sp")
    if (auto w = bound_world(req)) {
      req.world = w->settings.id;
      return w;
    }
  return home;
}

// An unprefixed request of a service bound to a world: the client_id it names (authorize, the
// token endpoint, the kiosk — the same reading the journal's claimed_client_id gets), or the
// world whose access token it carries (IF001-04, -06). The body is read outside the lock, and
// a JSON body once for the whole pipeline.
std::shared_ptr<world_instance> simulator_app::impl::bound_world(http_request& req) const {
  {
    std::lock_guard lock(worlds_mutex);
    if (bindings.empty()) return nullptr;
  }
  if (!req.body.empty() && req.body[0] == '{' && req.body.size() < 262144) {
    std::string ignored;
    request_json_object(req, ignored);  // kept in the request for fill_facts and the handler
  }
  const auto claim = claimed_client_of(req);
  std::vector<std::shared_ptr<world_instance>> candidates;
  {
    std::lock_guard lock(worlds_mutex);
    if (!claim.empty())
      if (auto b = bindings.find(claim); b != bindings.end())
        if (auto w = worlds.find(b->second); w != worlds.end()) return w->second;
    for (const auto& [client_id, id] : bindings)
      if (auto w = worlds.find(id);
          w != worlds.end() && std::find(candidates.begin(), candidates.end(), w->second) == candidates.end())
        candidates.push_back(w->second);
  }
  const auto* a = req.header("authorization");
  if (!a || a->rfind("Bearer ", 0) != 0) return nullptr;
  auto token = a->substr(7);
  for (const auto& w : candidates)
    if (w->auth.check_token(token)) return w;
  return nullptr;
}

// Why a world with these settings cannot be added now ("" when it can). Under worlds_mutex.
std::string simulator_app::impl::refusal_locked(const world_settings& s) const {
  if (worlds.count(s.id)) return "world '" + s.id + "' exists";
  if (worlds.size() >= max_worlds())
    return "at most " + std::to_string(max_worlds()) +
           " named worlds at once (worlds.max): delete one (DELETE /__admin/worlds/{id}) or wait for an idle one to "
           "expire";
  for (const auto& client_id : s.bound)
    if (auto b = bindings.find(client_id); b != bindings.end())
      return "bind: " + clip(client_id, 64) + " is bound to world '" + b->second + "'";
  return "";
}

// The files' sheets, or — with api_users — a copy with those changes applied (added to
// `startup`, which the world's editor replays at every reload). nullptr and `error` if refused.
std::shared_ptr<const world_data> simulator_app::impl::sheets_for(const world_settings& s,
                                                                  std::vector<sheet_change>& startup,
                                                                  std::string& error) const {
  if (s.api_users.empty()) return data_template;
  std::vector<sheet_change> extra;
  for (const auto& spec : s.api_users) {
    auto c = parse_api_user(spec, error);
    if (!c) {
      error.insert(0, "api_users: ");
      return nullptr;
    }
    extra.push_back(std::move(*c));
  }
  auto copy = *world_template;
  copy.data = *data_template;
  try {
    apply_sheet_changes(copy, copy.data, extra);
  } catch (const config_error& e) {
    error = std::string("api_users: ") + e.what();
    return nullptr;
  }
  startup.insert(startup.end(), extra.begin(), extra.end());
  auto indexed = std::make_shared<world_data>(std::move(copy.data));
  indexed->reindex();
  return indexed;
}

// Builds a world from the files' configuration; nullptr and `error` when it cannot be made.
// Runs on the background pool (or at startup).
std::shared_ptr<world_instance> simulator_app::impl::make_world(world_settings s, std::string& error) {
  if (s.id.empty()) s.id = "w-" + random_hex(12);
  s.token = random_hex(64);
  {
    std::lock_guard lock(worlds_mutex);
    if (error = refusal_locked(s); !error.empty()) return nullptr;
  }
  auto startup = startup_changes;
  auto data = sheets_for(s, startup, error);
  if (!data) return nullptr;
  for (const auto& client_id : s.bound)
    if (!data->find_service(client_id)) {
      error = "bind: no service '" + clip(client_id, 64) + "'";
      return nullptr;
    }
  auto config = *world_template;
  if (s.clock) config.clock.start = parse_instant(*s.clock);
  auto w = std::make_shared<world_instance>(*this, s, std::move(config), data);
  w->rt.hops = home->rt.hops;
  w->build(startup);
  std::lock_guard lock(worlds_mutex);
  if (error = refusal_locked(s); !error.empty()) return nullptr;  // raced with another create
  worlds.emplace(s.id, w);
  for (const auto& client_id : s.bound) bindings[client_id] = s.id;
  return w;
}

bool simulator_app::impl::remove_world(const std::string& id, const char* why) {
  std::shared_ptr<world_instance> w;
  {
    std::lock_guard lock(worlds_mutex);
    auto it = worlds.find(id);
    if (it == worlds.end()) return false;
    w = std::move(it->second);
    worlds.erase(it);
    std::erase_if(bindings, [&](const auto& b) { return b.second == id; });
  }
  w->retire();
  log.event("world_removed", {{"world", id}, {"why", why}, {"requests", w->requests.load()}});
  // Released off the I/O thread when nothing else holds it.
  if (!background.submit("worlds", [w = std::move(w)]() mutable { w.reset(); })) w.reset();
  return true;
}

// Every second: named worlds idle beyond their TTL (on the wall clock: a world's own clock
// may be frozen) are removed.
void simulator_app::impl::expire_worlds() {
  std::vector<std::string> idle;
  {
    std::lock_guard lock(worlds_mutex);
    for (const auto& [id, w] : worlds)
      if (!w->settings.declared && w->idle() > w->settings.ttl) idle.push_back(id);
  }
  for (const auto& id : idle) remove_world(id, "idle beyond its ttl");
}

// `worlds: declare:` in the world YAML: made at startup, never expiring.
void simulator_app::impl::declare_worlds() {
  for (const auto& d : home->rt.world.worlds.declared) {
    world_settings s;
    s.id = d.id;
    s.clock = d.clock;
    s.bound = d.bind;
    s.api_users = d.api_users;
    s.declared = true;
    std::string error;
    if (!make_world(std::move(s), error)) throw startup_error("worlds: " + d.id + ": " + error);
  }
}

nlohmann::json simulator_app::impl::described(const world_instance& w, const world_bases& bases) const {
  auto j = w.describe(bases.admin, bases.app, bases.sp);
  nlohmann::json bound = nlohmann::json::array();
  std::lock_guard lock(worlds_mutex);
  for (const auto& [client_id, id] : bindings)
    if (id == w.settings.id) bound.push_back(client_id);
  j["bound"] = bound;
  return j;
}

// The base URLs of the listeners as a caller that reached the admin listener by its Host
// header reaches them.
world_bases simulator_app::impl::bases_for(const http_request& req) const {
  auto host = host_name_of(req);
  auto base = [&](const char* listener, bool tls) -> std::string {
    auto it = ports.find(listener);
    if (it == ports.end() || it->second == 0) return "";
    return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(it->second);
  };
  const auto& s = world_template->server;
  return {base("admin", false), base("app", s.app.tls.enabled), base("sp", s.sp.tls.enabled)};
}

void simulator_app::impl::create_world(http_request& req, respond_fn respond) {
  std::string error;
  auto body = req.body.empty() ? std::optional(nlohmann::json::object()) : parse_json_object(req.body, error);
  auto s = body ? read_settings(*body, world_template->worlds, error) : std::nullopt;
  if (!s) return respond(json_error(400, "invalid_world", error));
  // Shared: a job the pool refuses is dropped unrun, and its caller still needs an answer.
  auto answer = std::make_shared<respond_fn>(std::move(respond));
  auto job = [this, s = std::move(*s), answer, bases = bases_for(req)]() mutable {
    auto& reply = *answer;
    std::string why;
    auto began = std::chrono::steady_clock::now();
    auto w = make_world(std::move(s), why);
    if (!w) {
      int status = why.find("exists") != std::string::npos ? 409 : why.rfind("at most", 0) == 0 ? 429 : 400;
      const char* code = status == 429 ? "world_limit" : status == 409 ? "world_exists" : "invalid_world";
      return reply(json_error(status, code, why));
    }
    auto j = described(*w, bases);
    j["token"] = w->settings.token;
    auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
    log.event("world_created", {{"world", w->settings.id}, {"ms", took}});
    auto res = json_response(201, j);
    res.set("location", "/__admin/worlds/" + w->settings.id);
    reply(std::move(res));
  };
  // Fair per caller: one job's burst of creations waits behind itself, not before another's.
  if (!background.submit("create-world:" + req.remote_address, std::move(job)))
    (*answer)(json_error(503, "busy", "too many worlds being created at once; try again"));
}

void simulator_app::impl::register_world_routes(router& admin) {
  admin.add("POST", "/__admin/worlds",
            [this](http_request& req, respond_fn respond) { create_world(req, std::move(respond)); });
  admin.add_sync("GET", "/__admin/worlds", [this](http_request& req) {
    auto bases = bases_for(req);
    nlohmann::json list = nlohmann::json::array();
    std::vector<std::shared_ptr<world_instance>> all;
    {
      std::lock_guard lock(worlds_mutex);
      for (const auto& [id, w] : worlds) all.push_back(w);
    }
    for (const auto& w : all) list.push_back(described(*w, bases));
    return json_response(200, {{"worlds", list}, {"count", all.size()}, {"max", max_worlds()}});
  });
  admin.add_sync("GET", "/__admin/worlds/{id}", [this](http_request& req) {
    auto w = find_world(req.params["id"]);
    if (!w) return json_error(404, "unknown_world", "no world '" + clip(req.params["id"], 63) + "'");
    return json_response(200, described(*w, bases_for(req)));
  });
  admin.add_sync("DELETE", "/__admin/worlds/{id}", [this](http_request& req) {
    if (!remove_world(req.params["id"], "deleted through the admin API"))
      return json_error(404, "unknown_world", "no world '" + clip(req.params["id"], 63) + "'");
    return json_response(200, {{"deleted", req.params["id"]}});
  });
  register_binding_routes(admin);
}

void simulator_app::impl::register_binding_routes(router& admin) {
  admin.add_sync("PUT", "/__admin/worlds/{id}/bindings/{client_id}", [this](http_request& req) {
    const auto& id = req.params["id"];
    const auto& client_id = req.params["client_id"];
    auto w = find_world(id);
    if (!w) return json_error(404, "unknown_world", "no world '" + (clip(id, 63)) + "'");
    if (!w->rt.data.get()->find_service(client_id))
      return json_error(404, "unknown_service", "no service '" + (clip(client_id, 64)) + "' in that world");
    std::lock_guard lock(worlds_mutex);
    if (auto b = bindings.find(client_id); b != bindings.end() && b->second != id)
      return json_error(409, "bound_elsewhere", clip(client_id, 64) + " is bound to world '" + b->second + "'");
    bindings[client_id] = id;
    return json_response(200, {{"world", id}, {"client_id", client_id}});
  });
  admin.add_sync("DELETE", "/__admin/worlds/{id}/bindings/{client_id}", [this](http_request& req) {
    const auto& id = req.params["id"];
    const auto& client_id = req.params["client_id"];
    std::lock_guard lock(worlds_mutex);
    auto b = bindings.find(client_id);
    if (b == bindings.end() || b->second != id)
      return json_error(404, "not_bound", clip(client_id, 64) + " is not bound to world '" + (clip(id, 63)) + "'");
    bindings.erase(b);
    return json_response(200, {{"world", id}, {"unbound", client_id}});
  });
}

}  // namespace mynasim
