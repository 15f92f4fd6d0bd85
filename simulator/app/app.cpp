// SPDX-License-Identifier: Apache-2.0
#include "app/app.hpp"

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "admin/admin_routes.hpp"
#include "admin/conformance_routes.hpp"
#include "admin/journal.hpp"
#include "admin/portal_admin_routes.hpp"
#include "admin/qa_routes.hpp"
#include "admin/sheet_routes.hpp"
#include "app/metrics.hpp"
#include "app/request_log.hpp"
#include "app/runtime.hpp"
#include "app/world_editor.hpp"
#include "app/world_link.hpp"
#include "config/yaml_reader.hpp"
#include "core/file_lock.hpp"
#include "core/json_util.hpp"
#include "core/router.hpp"
#include "faults/decision_wire.hpp"
#include "faults/fault_registry.hpp"
#include "faults/scenario.hpp"
#include "jpki/jpki.hpp"
#include "net/http_client.hpp"
#include "net/server.hpp"
#include "portal/api_routes.hpp"
#include "portal/authorization.hpp"
#include "portal/cards.hpp"
#include "portal/kiosk_routes.hpp"
#include "portal/processor.hpp"
#include "portal/web_routes.hpp"
#include "systems/backend_routes.hpp"
#include "systems/system_gate.hpp"
#include "systems/system_routes.hpp"
#include "ui/ui_routes.hpp"

namespace mynasim {
namespace fs = std::filesystem;

namespace {

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

// A Host header naming a loopback address or localhost, with or without a port.
bool is_loopback_host(std::string_view host) {
  if (host.rfind("[::1]", 0) == 0) return host.size() == 5 || host[5] == ':';
  auto name = std::string(host.substr(0, host.rfind(':')));
  return is_loopback(name);
}

// Compares secrets without leaking where they first differ (only whether the lengths do).
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// HTTP Basic credentials ("user:password" in base64, user name ignored) carrying the token.
bool basic_password_is(std::string_view credentials, std::string_view token) {
  if (credentials.size() > 1024) return false;
  auto decoded = base64_decode(std::string(credentials));
  if (!decoded) return false;
  auto colon = decoded->find(':');
  return colon != std::string::npos && constant_time_equal(std::string_view(*decoded).substr(colon + 1), token);
}

std::vector<const system_config*> select_systems(const world_config& w, const std::vector<std::string>& only) {
  std::vector<const system_config*> out;
  auto unknown = std::find_if(only.begin(), only.end(), [&](const std::string& id) { return !w.find_system(id); });
  if (unknown != only.end()) {
    std::string known;
    for (const auto& s : w.systems) {
      if (!known.empty()) known += ", ";
      known += s.id;
    }
    throw startup_error("--only: unknown system '" + *unknown + "' (known: " + known + ")");
  }
  for (const auto& s : w.systems)
    if (only.empty() || std::find(only.begin(), only.end(), s.id) != only.end()) out.push_back(&s);
  return out;
}

listen_settings to_listen(const listener_config& l, const server_config& server) {
  listen_settings s;
  s.name = l.name;
  s.address = l.address;
  s.port = l.port;
  s.tls = l.tls.enabled;
  s.cert_file = l.tls.cert_file.empty() ? server.certs_dir + "/" + l.name + ".crt" : l.tls.cert_file;
  s.key_file = l.tls.key_file.empty() ? server.certs_dir + "/" + l.name + ".key" : l.tls.key_file;
  s.require_client_cert = l.tls.require_client_cert;
  s.client_ca_file = l.tls.client_ca_file.empty() ? server.certs_dir + "/ca.crt" : l.tls.client_ca_file;
  return s;
}

// `blocker` names what keeps the process from serving (e.g. an unreachable world owner).
void add_health_routes(router& r, const std::atomic<bool>& ready, const std::unique_ptr<http_server>& server,
                       const std::string& listener, const std::function<std::string()>& blocker) {
  auto healthy = R"({"listener":")" + listener + R"(","status":"ok"})";
  r.add_sync("GET", "/healthz", [healthy](http_request&) { return http_response::json(200, healthy); });
  r.add_sync("GET", "/readyz", [&ready, &server, listener, blocker](http_request&) {
    bool ok = ready.load() && server && !server->stopping();
    auto why = blocker ? blocker() : std::string();
    nlohmann::json body{{"status", ok && why.empty() ? "ready" : "not ready"}, {"listener", listener}};
    if (!why.empty()) body["reason"] = why;
    return json_response(ok && why.empty() ? 200 : 503, body);
  });
}

}  // namespace

void ensure_certificates(const server_config& server) {
  file_lock lock(server.certs_dir + "/.lock");
  bool missing = false;
  for (const char* f : {"ca.crt", "app.crt", "app.key", "sp.crt", "sp.key", "client.crt", "client.key"})
    missing = missing || !fs::exists(fs::path(server.certs_dir) / f);
  if (!missing) return;
  if (!fs::exists(server.certs_script))
    throw startup_error("certificates missing in " + server.certs_dir + " and no script at " + server.certs_script);
  std::string cmd = "bash '" + server.certs_script + "' '" + server.certs_dir + "' >&2";
  if (std::system(cmd.c_str()) != 0)
    throw startup_error("certificate generation failed: " + cmd + " (is the openssl CLI installed?)");
}

struct simulator_app::impl {
  app_options options;
  world_runtime rt;
  request_log log;
  std::map<std::string, router> routers;  // by listener name
  std::vector<const system_config*> running;
  std::atomic<bool> ready{false};
  std::map<std::string, std::uint16_t> ports;
  std::unique_ptr<http_server> server;
  std::unique_ptr<http_client> client;
  id_generator ids;
  card_registry cards;
  authorization auth;
  std::unique_ptr<processor> processes;
  std::unique_ptr<jpki> pki;
  fault_registry faults;
  request_journal journal;
  scenario_runner scenarios;
  std::unique_ptr<conformance_runner> conformance;  // made with the HTTP client it sends forged callbacks with
  metrics meters;
  std::optional<scenario> startup_scenario;
  std::unique_ptr<world_editor> editor;
  std::unique_ptr<world_link> link;        // set when this process follows a world owner
  std::string node;                        // journal tag in a split world: the systems this process runs
  std::string systems_host = "127.0.0.1";  // how this process reaches its own systems listener
  int ticks = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  impl(world_config world, app_options opts)
      : options(std::move(opts)),
        rt(std::move(world)),
        log(options.out ? *options.out : std::cout, options.json_logs.value_or(rt.world.logging.json),
            rt.world.logging.requests),
        cards(rt.data),
        auth(rt.data, rt.clock, cards, ids),
        faults(rt),
        journal(rt.world.qa.journal_max_entries, rt.world.qa.journal_max_bytes, rt.world.qa.journal_body_bytes),
        scenarios(rt, faults, cards) {}

  void fill_facts(http_request& req);
  void notified(const notification_report& r, const process_record& p);
  void count(const http_request& req, const http_response& res, const std::string& error_code,
             std::chrono::microseconds latency);
  void observe_world();
  http_response metrics_page();
  void complete(const http_request& req, const http_response& res, std::chrono::microseconds latency);
  void reset_all();
  void housekeeping();

  // Base URL of a system: this process's systems listener, or the peer template.
  std::string url_of(const std::string& id) const {
    bool local = std::any_of(running.begin(), running.end(), [&](auto* s) { return s->id == id; });
    if (!local && !options.peer_url_template.empty()) {
      auto url = options.peer_url_template;
      for (auto pos = url.find("{id}"); pos != std::string::npos; pos = url.find("{id}")) url.replace(pos, 4, id);
      return url;
    }
    auto it = ports.find("systems");
    return "http://" + systems_host + ":" + std::to_string(it == ports.end() ? 0 : it->second) + "/systems/" + id;
  }

  bool runs(system_kind kind) const {
    return std::any_of(running.begin(), running.end(), [&](auto* s) { return s->kind == kind; });
  }
  void apply_overrides();
  void build_routes();
  nlohmann::json health_facts() const;
  void register_system_side_routes(const kiosk_context& kiosk);
  void register_portal_routes(const kiosk_context& kiosk);
  void get_callback(const std::string& url, std::function<void(std::string, bool)> done);
  void hook_notifications();
  void follow_world_owner();
  void start_scenario_file();
  void dispatch(http_request& req, respond_fn respond);
  void finish_dispatch(std::shared_ptr<http_request> req, fault_decision decision, fault_decision more,
                       respond_fn respond);
  void register_owner_routes(router& r);
  void export_cas();
  http_response as_telegram(const http_request& req, const http_response& res);
  std::optional<http_response> header_fault(http_request& req, const std::string& spec, fault_decision& decision);
  bool fault_header_allowed(const std::string& listener) const;
  std::optional<http_response> admin_refusal(const http_request& req) const;
  std::string control_room_url(const std::string& app_host) const;
  void listen_all();
};

void simulator_app::impl::apply_overrides() {
  auto& s = rt.world.server;
  if (options.host) s.app.address = s.sp.address = s.systems.address = *options.host;
  if (options.admin_host) s.admin.address = *options.admin_host;
  if (options.admin_token) s.admin.bearer_token = *options.admin_token;
  if (!is_loopback(s.admin.address) && s.admin.bearer_token.empty())
    throw startup_error("the admin listener is bound to " + s.admin.address +
                        ": set server.listeners.admin.bearer_token or --admin-token");
  running = select_systems(rt.world, options.only);
  if (!options.world_owner.empty() && runs(system_kind::portal))
    throw startup_error(
        "--world-owner: the process that runs Myna Portal owns the world; start it without "
        "--world-owner and point the others at its admin listener");
  if (!options.world_owner.empty() && !options.scenario_file.empty())
    throw startup_error("--scenario: scenarios run in the world owner; start it there");
  if (!options.only.empty())
    for (auto* sys : running) node += (node.empty() ? "" : ",") + sys->id;
  // Internal hops go to the address the systems listener really has (a wildcard one is
  // reached through loopback).
  const auto& a = s.systems.address;
  systems_host = a == "0.0.0.0" || a.empty()        ? "127.0.0.1"
                 : a == "::"                        ? "[::1]"
                 : a.find(':') != std::string::npos ? "[" + a + "]"
                                                    : a;
}

void simulator_app::impl::build_routes() {
  auto blocker = [this]() -> std::string {
    if (!link || link->connected()) return "";
    return "the world owner " + link->owner() + " is not reachable: " + link->status()["last_error"].get<std::string>();
  };
  for (const char* name : {"app", "sp", "admin", "systems"})
    add_health_routes(routers[name], ready, server, name, blocker);
  register_admin_routes(routers["admin"], {&rt, [this] { return health_facts(); }});
  kiosk_context kiosk{&rt.data, &rt.clock, &auth, &cards, pki.get(), &ids, rt.world.server.sp.tls.require_client_cert};
  register_system_side_routes(kiosk);
  if (runs(system_kind::portal)) register_portal_routes(kiosk);
  auto log_event = [this](const std::string& event, const nlohmann::json& detail) { log.event(event, detail); };
  register_portal_admin_routes(routers["admin"], {&rt, processes.get(), &cards, &auth});
  register_qa_routes(routers["admin"], {&rt, &faults, &scenarios, &journal, [this] { reset_all(); }, log_event});
  conformance = std::make_unique<conformance_runner>(
      conformance_deps{&rt, &faults, &auth, &journal, &cards,
                       [this](const std::string& url, std::function<void(std::string, bool)> done) {
                         get_callback(url, std::move(done));
                       },
                       log_event});
  register_conformance_routes(routers["admin"], *conformance);
  register_sheet_routes(routers["admin"], {&rt, editor.get(), log_event});
  if (rt.world.logging.metrics)
    routers["admin"].add_sync("GET", "/metrics", [this](http_request&) { return metrics_page(); });
  register_owner_routes(routers["admin"]);
  register_control_room_routes(routers["admin"]);
  hook_notifications();
  observe_world();
}

// This process's own facts for /__admin/health: its systems, uptime, connections, world owner.
nlohmann::json simulator_app::impl::health_facts() const {
  nlohmann::json systems = nlohmann::json::array();
  for (auto* s : running) systems.push_back(s->id);
  auto p = client->stats();
  nlohmann::json peers{{"idle", p.idle},
                       {"reused", p.reused},
                       {"opened", p.opened},
                       {"names_cached", p.names_cached},
                       {"in_memory", p.in_memory}};
  return {{"systems", systems},
          {"uptime_ms",
           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()},
          {"open_connections", server ? server->open_connections() : 0},
          {"log_lines_dropped", log.dropped()},
          {"world_owner", link ? link->status() : nlohmann::json("self")},
          {"peer_connections", peers}};
}

// The systems listener: the backend systems this process runs, and the virtual cards they use.
void simulator_app::impl::register_system_side_routes(const kiosk_context& kiosk) {
  std::vector<const system_config*> backends;
  for (auto* s : running)
    if (s->kind != system_kind::portal) backends.push_back(s);
  register_system_routes(routers["systems"], rt, backends);
  register_backend_routes(routers["systems"], {&rt, client.get(), [this](const std::string& id) { return url_of(id); }},
                          backends);
  if (!backends.empty()) register_virtual_card_routes(routers["systems"], kiosk);
}

// Myna Portal: its web pages and landing page on the app listener, the kiosk and the API on sp.
void simulator_app::impl::register_portal_routes(const kiosk_context& kiosk) {
  register_kiosk_routes(routers["sp"], kiosk);
  register_web_routes(routers["app"], rt.data, auth);
  register_landing_routes(routers["app"],
                          {&rt, &cards, [this](const std::string& host) { return control_room_url(host); },
                           [this] { return std::to_string(ports.count("sp") ? ports.at("sp") : 0); }});
  register_api_routes(routers["sp"], {&rt.data, &auth, processes.get(), rt.world.server.sp.tls.require_client_cert});
}

// A GET of an API user's callback (the conformance runner's forged one): `done` gets the
// status line, or the transport error and true.
void simulator_app::impl::get_callback(const std::string& url, std::function<void(std::string, bool)> done) {
  client_request get;
  get.method = "GET";
  get.url = url;
  get.timeout = std::chrono::seconds(5);
  get.body_limit = std::size_t{64} * 1024;
  client->send(std::move(get), [done = std::move(done)](const client_result& r) {
    if (r.status == 0) return done(r.error, true);
    done("HTTP " + std::to_string(r.status), false);
  });
}

// IF001-05: the faults decide each notification's fate; every attempt is reported.
void simulator_app::impl::hook_notifications() {
  processes->set_hooks({[this](const std::string& client_id, const std::string& persona, bool& drop, millis& delay,
                               int& copies, std::vector<std::string>& fired) {
                          auto d = faults.decide_notification(client_id, persona);
                          drop = d.drop;
                          delay = d.delay;
                          copies = d.copies;
                          fired = d.fired;
                        },
                        [this](const notification_report& r, const process_record& p) { notified(r, p); }});
}

void simulator_app::impl::reset_all() {
  if (conformance) conformance->reset();  // puts its arrangements back first
  faults.clear();
  scenarios.stop();
  rt.clock.reset();
  cards.reset();
  auth.reset();
  processes->reset();
  journal.clear();
  if (startup_scenario) scenarios.start(*startup_scenario);
}

// Every 100 ms: due scenario steps, buffered log lines.
void simulator_app::impl::housekeeping() {
  scenarios.tick();
  if (conformance) conformance->tick();
  if (link) link->tick();
  if (options.watch && ++ticks % 10 == 0 && editor->files_changed()) {
    auto o = editor->reload("a world file changed (--watch)");
    if (o.status == 200)
      log.event("reloaded", o.body);
    else
      log.event("reload_refused", o.body);
  }
  log.flush();
  server->schedule(std::chrono::milliseconds(100), [this] { housekeeping(); });
}

// One IF001-05 attempt: journal entry, log line, metrics.
void simulator_app::impl::notified(const notification_report& r, const process_record& p) {
  journal_entry e;
  e.at = rt.clock.now();
  e.direction = "out";
  e.system = "api-user";
  e.method = "POST";
  e.url = r.url;
  e.path = r.url.substr(std::min(r.url.size(), r.url.find('/', r.url.find("//") + 2)));
  e.status = r.status;
  e.latency_ms = static_cast<double>(r.latency.count());
  e.client_id = p.client_id;
  e.persona = p.persona_id;
  e.telegram_id = p.telegram_id;
  e.process_id = p.process_id;
  e.request_body = r.sent_body;
  e.response_body = r.answer;
  e.faults = r.fired;
  journal.record(std::move(e));
  nlohmann::json line{{"url", r.url},
                      {"client_id", p.client_id},
                      {"process_id", p.process_id},
                      {"telegram_id", p.telegram_id},
                      {"attempt", r.attempt},
                      {"outcome", r.outcome},
                      {"status", r.status},
                      {"latency_ms", r.latency.count()}};
  if (r.outcome != "delivered") line["error"] = r.answer.substr(0, 200);
  line["next_retry_ms"] = r.next_retry ? nlohmann::json(r.next_retry->count()) : nlohmann::json();
  if (!r.fired.empty()) line["faults"] = r.fired;
  log.event("notification", line);
  meters.notification(r.outcome, r.attempt);
}

// What happens without a request asking for it: clock changes, faults firing, scenario steps.
void simulator_app::impl::observe_world() {
  rt.clock.on_change([this](const char* how, const clock_state& s) {
    log.event("clock_changed",
              {{"how", how}, {"now", format_instant(s.now)}, {"speed", s.speed}, {"frozen", s.frozen}});
    meters.clock_change(how);
  });
  faults.on_fire([this](const fault& f) {
    log.event("fault_fired", {{"id", f.id},
                              {"kind", to_string(f.kind)},
                              {"target", f.target},
                              {"remaining", f.remaining ? nlohmann::json(*f.remaining) : nlohmann::json()}});
    meters.fault_fired(to_string(f.kind), f.target);
  });
  scenarios.on_step([this](const nlohmann::json& step) {
    log.event("scenario_step", step);
    meters.scenario_step();
  });
}

http_response simulator_app::impl::metrics_page() {
  metrics_snapshot s;
  if (!link) {
    auto now = rt.clock.now();
    for (auto* sys : running) s.system_up[sys->id] = rt.availability.status(sys->id, now).up;
  }
  if (processes) {
    auto c = processes->counts();
    s.processes_pending = c.pending;
    s.processes_ready = c.ready;
    s.processes_expired = c.expired;
  }
  auto j = journal.stats();
  s.journal_entries = j["entries"].get<std::size_t>();
  s.journal_bytes = j["bytes"].get<std::size_t>();
  s.journal_dropped = j["dropped"].get<std::uint64_t>();
  s.log_lines_dropped = log.dropped();
  s.open_connections = server ? server->open_connections() : 0;
  http_response res{200, {}, meters.scrape(s)};
  res.set("content-type", "text/plain; version=0.0.4; charset=utf-8");
  res.set("cache-control", "no-store");
  return res;
}

// Who a request concerns: for fault narrowing and the journal.
void simulator_app::impl::fill_facts(http_request& req) {
  req.system = request_log::system_of(req);
  if (req.listener == "systems") {
    for (auto [name, field] : {std::pair{"x-mynasim-client-id", &req.client_id},
                               {"x-mynasim-persona", &req.persona},
                               {"x-mynasim-process-id", &req.process_id},
                               {"x-mynasim-telegram-id", &req.telegram_id}})
      if (const auto* v = req.header(name)) *field = *v;
    return;
  }
  if (req.listener != "app" && req.listener != "sp") return;
  if (const auto* a = req.header("authorization"); a && a->rfind("Bearer ", 0) == 0)
    if (auto t = auth.check_token(a->substr(7))) {
      req.client_id = t->client_id;
      req.persona = t->persona_id;
    }
  if (req.client_id.empty()) req.client_id = req.query_param("client_id").value_or("");
  if (req.persona.empty()) req.persona = req.query_param("mynasim_persona").value_or("");
  if (req.client_id.empty() && req.method == "POST" && req.body.size() < 65536 && !req.body.empty() &&
      req.body[0] != '{') {
    std::vector<std::pair<std::string, std::string>> form;
    if (parse_form(req.body, form))
      for (auto& [k, v] : form) {
        if (k == "client_id") req.client_id = v;
        // The consent and card screens carry the session: the journal files them under its service.
        if (k == "session" && req.listener == "app" && req.client_id.empty())
          if (auto s = auth.session(v)) req.client_id = s->client_id;
      }
  }
  if (!req.body.empty() && req.body[0] == '{' && req.body.size() < 262144) {
    std::string ignored;
    if (const auto* j = request_json_object(req, ignored); j && j->contains("commonHeader")) {
      req.telegram_id = string_member((*j)["commonHeader"], "telegramId");
      req.process_id = string_member((*j)["commonHeader"], "processId");
    }
  }
}

void simulator_app::impl::count(const http_request& req, const http_response& res, const std::string& error_code,
                                std::chrono::microseconds latency) {
  auto route = req.route;
  if (route.empty())  // answered before routing (a fault, the closed portal)
    if (auto it = routers.find(req.listener); it != routers.end()) route = it->second.route_of(req.method, req.path);
  meters.request(req.system.empty() ? request_log::system_of(req) : req.system, route.empty() ? "unmatched" : route,
                 res.status, error_code, static_cast<double>(latency.count()) / 1e6);
}

void simulator_app::impl::complete(const http_request& req, const http_response& res,
                                   std::chrono::microseconds latency) {
  auto error_code = error_code_of(res);  // once: for the log line and the metrics
  log.request(req, res, latency, rt.clock.now(), error_code);
  if (rt.world.logging.metrics) count(req, res, error_code, latency);
  if (req.listener == "admin" || req.path == "/healthz" || req.path == "/readyz") return;
  journal_entry e;
  e.at = rt.clock.now();
  e.system = req.system.empty() ? request_log::system_of(req) : req.system;
  e.listener = req.listener;
  e.method = req.method;
  e.path = req.path;
  if (req.listener == "app" && req.path == paths::authorize) e.url = req.target;  // the lint reads its query
  e.status = res.status;
  e.latency_ms = static_cast<double>(latency.count()) / 1000.0;
  e.client_id = req.client_id;
  e.persona = req.persona;
  e.telegram_id = req.telegram_id;
  e.process_id = req.process_id;
  e.request_id = req.request_id;
  e.error_code = error_code;
  e.request_body = req.body;
  e.response_body = res.body;
  if (const auto* f = res.header("x-mynasim-faults")) e.faults.push_back(*f);
  e.node = node;
  if (link)
    link->record(std::move(e));  // the owner keeps the one journal
  else
    journal.record(std::move(e));
}

// X-Mynasim-Fault shapes this one request, or — for a system further down — the hops this
// IF001-04 request causes (bound to its service and telegramId, once). It never outlives
// the request, and is honoured only where the world allows it (by default: loopback).
std::optional<http_response> simulator_app::impl::header_fault(http_request& req, const std::string& spec,
                                                               fault_decision& decision) {
  std::string error;
  auto j = parse_json(spec, error, {4096, 8}).value_or(nlohmann::json());
  if (j.is_object() && !j.contains("target")) j["target"] = req.system;
  auto f = error.empty() ? parse_fault(j, rt.clock.now(), error) : std::nullopt;
  if (f && (f->kind == fault_kind::down || is_notification_fault(f->kind))) {
    // Faults that outlive one request (down) or act on notifications belong in /__admin/faults.
    error = std::string(to_string(f->kind)) + " is not available per request; use /__admin/faults";
    f.reset();
  }
  if (f && (!f->client_id.empty() || !f->persona.empty() || !f->telegram_id.empty())) {
    error = "a per-request fault is always narrowed to its own request: leave out client_id, persona and telegram_id";
    f.reset();
  }
  if (f && f->target != req.system && !(req.system == "portal" && (f->target == "app" || f->target == "sp"))) {
    if (req.telegram_id.empty() || req.client_id.empty()) {
      error = "a fault for '" + f->target +
              "' needs an IF001-04 request: its telegramId binds the fault to the hops it causes";
      f.reset();
    } else {
      f->remaining = 1;
      f->client_id = req.client_id;
      f->telegram_id = req.telegram_id;
      f->id.clear();
      if (!faults.add_for_request(*f, error)) f.reset();
    }
  } else if (f) {
    f->id = "header";
    f->remaining.reset();
    fault_registry once(rt);
    if (once.add(*f, error))
      decision = once.decide(req);
    else
      f.reset();
  }
  if (!f) return json_error(400, "invalid_fault_header", "X-Mynasim-Fault: " + error);
  return std::nullopt;
}

bool simulator_app::impl::fault_header_allowed(const std::string& listener) const {
  if (rt.world.qa.allow_fault_header) return *rt.world.qa.allow_fault_header;
  const auto& s = rt.world.server;
  const auto& l = listener == "app" ? s.app : listener == "sp" ? s.sp : s.systems;
  return is_loopback(l.address);
}

// The control room as a browser that reached the app listener at `app_host` reaches it: the
// same host name when the admin listener answers on every address, else its own address.
std::string simulator_app::impl::control_room_url(const std::string& app_host) const {
  const auto& admin = rt.world.server.admin;
  auto it = ports.find("admin");
  if (!admin.enabled || it == ports.end() || it->second == 0) return "";
  std::string host = admin.address;
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    host = app_host.empty() ? "127.0.0.1" : app_host;
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
      host.resize(colon);
    else if (auto bracket = host.rfind("]:"); bracket != std::string::npos)
      host.resize(bracket + 1);
  } else if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return "http://" + host + ":" + std::to_string(it->second) + "/__admin/ui";
}

// The admin plane: without the token only the health probes answer, whatever the path's
// spelling; and a browser page from another origin cannot drive it (DNS rebinding, CSRF).
std::optional<http_response> simulator_app::impl::admin_refusal(const http_request& req) const {
  if (req.path == "/healthz" || req.path == "/readyz") return std::nullopt;
  const auto& token = rt.world.server.admin.bearer_token;
  const auto* origin = req.header("origin");
  if (!token.empty()) {
    // Bearer for programs; Basic (any user name, the token as password) for a browser, which
    // then sends it with every call of the control room — and, unasked, with a page of
    // another origin's calls, so those are refused by Origin below.
    const auto* given = req.header("authorization");
    bool basic = given && given->rfind("Basic ", 0) == 0 && basic_password_is(given->substr(6), token);
    if (!basic && (!given || !constant_time_equal(*given, "Bearer " + token))) {
      bool page = req.path == "/" || req.path.rfind("/__admin/ui", 0) == 0;
      auto res = json_error(401, "unauthorized", "the admin API needs Authorization: Bearer <token>");
      res.set("www-authenticate", page ? "Basic realm=\"mynasim admin\", charset=\"UTF-8\"" : "Bearer");
      return res;
    }
    if (!basic) return std::nullopt;
  }
  const auto* host = req.header("host");
  if (origin && (!host || (*origin != "http://" + *host && *origin != "https://" + *host)))
    return json_error(403, "cross_origin", "the admin API answers only same-origin browser requests");
  if (!token.empty()) return std::nullopt;
  if (host && !is_loopback_host(*host))
    return json_error(403, "bad_host", "without a token the admin API answers only requests to a loopback host name");
  return std::nullopt;
}

void simulator_app::impl::dispatch(http_request& req, respond_fn respond) {
  auto it = routers.find(req.listener);
  if (it == routers.end()) return respond(json_error(404, "not_found", "no such listener"));
  if (req.listener == "admin") {
    if (auto refused = admin_refusal(req)) return respond(std::move(*refused));
    // A follower's admin plane is the owner's: one clock, one set of faults, one journal —
    // but its health and its metrics are its own.
    if (link && req.path != "/healthz" && req.path != "/readyz" && req.path != "/__admin/health" &&
        req.path != "/metrics")
      return link->forward(req, std::move(respond));
    return it->second.dispatch(req, std::move(respond));
  }
  if (req.path == "/healthz" || req.path == "/readyz") return it->second.dispatch(req, std::move(respond));
  fill_facts(req);
  scenarios.tick();
  fault_decision decision;
  if (const auto* spec = req.header("x-mynasim-fault"); spec && fault_header_allowed(req.listener))
    if (auto refused = header_fault(req, *spec, decision)) return respond(std::move(*refused));
  if (link) {  // a follower: the world owner decides; the request outlives this call, so copy it
    auto copy = std::make_shared<http_request>(req);
    link->decide(*copy, [this, copy, decision = std::move(decision), respond = std::move(respond)](
                            std::optional<fault_decision> more, const std::string& error) mutable {
      if (!more) return respond(json_error(503, "world_owner_unreachable", error));
      finish_dispatch(copy, std::move(decision), std::move(*more), std::move(respond));
    });
    return;
  }
  auto more = faults.decide(req);
  finish_dispatch(std::shared_ptr<http_request>(&req, [](http_request*) {}), std::move(decision), std::move(more),
                  std::move(respond));
}

// Applies the faults decided (here, or by the world owner), then routes.
void simulator_app::impl::finish_dispatch(std::shared_ptr<http_request> req, fault_decision decision,
                                          fault_decision more, respond_fn respond) {
  if (more.response && !decision.response) decision.response = std::move(more.response);
  decision.transport.delay += more.transport.delay;
  if (more.transport.what != transport_fault::action::none)
    decision.transport = {more.transport.what, decision.transport.delay, more.transport.pause, more.transport.chunk};
  decision.fired.insert(decision.fired.end(), more.fired.begin(), more.fired.end());
  std::string fired;
  for (const auto& id : decision.fired) fired += (fired.empty() ? "" : ",") + id;
  auto with_fault = [respond = std::move(respond), t = decision.transport, fired, req](http_response res) {
    res.fault = t;
    if (!fired.empty()) res.set("x-mynasim-faults", fired);
    respond(std::move(res));
  };
  const auto& path = req->path;
  bool telegram = req->listener == "sp" && (path == paths::request || path == paths::result ||
                                            path == paths::stub_request || path == paths::stub_result);
  auto shaped = [&](http_response res) { return telegram ? as_telegram(*req, res) : std::move(res); };
  if (decision.response) return with_fault(shaped(std::move(*decision.response)));
  if (req->system == "portal")
    if (const auto* portal = rt.world.find_system("portal"))
      if (auto closed = closed_response(rt, *portal)) return with_fault(shaped(std::move(*closed)));
  routers.at(req->listener).dispatch(*req, std::move(with_fault));
}

// An answer on a telegram endpoint that did not come from the endpoint itself — a fault's,
// or the closed portal's — as a telegram of that endpoint's response type: the errorCode
// and message a fault declared, else the catalogue's for the failure.
http_response simulator_app::impl::as_telegram(const http_request& req, const http_response& res) {
  const auto data = rt.data.get();
  bool result = req.path == paths::result || req.path == paths::stub_result;
  std::string ignored;
  auto failure = parse_json_object(res.body, ignored).value_or(nlohmann::json::object());
  if (!failure.contains("name") || !failure["name"].is_string())
    failure["name"] = rt.world.find_system("portal") ? rt.world.find_system("portal")->name : "マイナポータル";
  auto key = processes->failure_key(failure);
  auto code = processor::declared_code(failure);
  if (code.empty()) code = data->errors.at(key).code;
  std::string mode;
  if (req.body.size() < 262144)
    if (auto j = parse_json_object(req.body, ignored); j && j->contains("commonHeader"))
      mode = string_member((*j)["commonHeader"], "mode");
  nlohmann::json header{
      {"telegramId", req.telegram_id},
      {"telegramType", result ? data->portal.result_response_type : data->portal.request_response_type},
      {"mode", mode},
      {"processId", req.process_id},
      {"errorCode", code}};
  auto out =
      json_response(res.status, {{"commonHeader", header}, {"errorMessage", processes->outage_message(key, failure)}});
  if (const auto* retry = res.header("retry-after")) out.set("retry-after", *retry);
  out.close = res.close;
  return out;
}

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
    scenarios.tick();
    auto d = faults.decide(facts);
    // A system the owner knows to be closed — forced down included — answers closed there too.
    bool health = facts.path.size() >= 8 && facts.path.compare(facts.path.size() - 8, 8, "/healthz") == 0;
    if (!d.response && !health)
      if (const auto* sys = rt.world.find_system(facts.system))
        if (auto closed = closed_response(rt, *sys)) d.response = std::move(*closed);
    return json_response(200, {{"clock", clock_state_json(rt.clock.state())}, {"decision", decision_json(d)}});
  });
  r.add_sync("GET", "/__admin/world/state", [this](http_request&) {
    return json_response(200, {{"clock", clock_state_json(rt.clock.state())}, {"sheets_version", editor->version()}});
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
        journal.record(std::move(*e));
        ++taken;
      }
    return json_response(200, {{"recorded", taken}});
  });
}

void simulator_app::impl::listen_all() {
  const auto& s = rt.world.server;
  std::vector<const listener_config*> wanted{&s.admin};
  if (runs(system_kind::portal)) {
    wanted.push_back(&s.app);
    wanted.push_back(&s.sp);
  }
  if (std::any_of(running.begin(), running.end(), [](auto* sys) { return sys->kind != system_kind::portal; }))
    wanted.push_back(&s.systems);
  bool need_certs = std::any_of(wanted.begin(), wanted.end(), [](auto* l) {
    return l->enabled && l->tls.enabled && (l->tls.cert_file.empty() || l->tls.client_ca_file.empty());
  });
  if (need_certs) ensure_certificates(s);
  for (const auto* l : wanted) {
    if (!l->enabled) continue;
    std::uint16_t port;
    try {
      port = server->listen(to_listen(*l, s));
    } catch (const std::exception& e) {
      throw startup_error(e.what());
    }
    ports[l->name] = port;
    auto host = l->address.find(':') != std::string::npos ? "[" + l->address + "]" : l->address;
    log.event("listening",
              {{"listener", l->name},
               {"url", std::string(l->tls.enabled ? "https" : "http") + "://" + host + ":" + std::to_string(port)}});
  }
}

namespace {}  // namespace

// MYNASIM_CA_EXPORT_DIR: where a developer picks up the CAs to trust (a Compose bind mount).
void simulator_app::impl::export_cas() {
  const char* dir = std::getenv("MYNASIM_CA_EXPORT_DIR");
  if (!dir || !*dir) return;
  const auto& certs = rt.world.server.certs_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (auto [from, to] :
       {std::pair{fs::path(certs) / "ca.crt", "ca.crt"}, {fs::path(certs) / "jpki/ca.crt", "jpki-ca.crt"}})
    if (fs::exists(from, ec)) fs::copy_file(from, fs::path(dir) / to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    log.event("ca_export_failed", {{"dir", dir}, {"message", ec.message()}});
  else
    log.event("ca_exported", {{"dir", dir}});
}

namespace {

std::vector<sheet_change> startup_changes(const app_options& options) {
  std::vector<sheet_change> out;
  for (const auto& spec : options.api_users) {
    std::string error;
    auto c = parse_api_user(spec, error);
    if (!c) throw startup_error("--api-user: " + error);
    out.push_back(std::move(*c));
  }
  return out;
}

// The server section as the HTTP server takes it; MYNASIM_INTERNAL_HOPS overrides in_memory_hops.
server_settings settings_for(const server_config& s) {
  server_settings settings;
  settings.threads = s.threads == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : s.threads;
  settings.read_timeout = s.read_timeout;
  settings.write_timeout = s.write_timeout;
  settings.handshake_timeout = s.handshake_timeout;
  settings.shutdown_grace = s.shutdown_grace;
  settings.header_limit = s.header_limit;
  settings.body_limit = s.body_limit;
  settings.max_connections = s.max_connections;
  settings.in_memory_hops = s.in_memory_hops;
  // For running a test suite both ways without editing its worlds.
  if (const char* env = std::getenv("MYNASIM_INTERNAL_HOPS"); env && *env) {
    const std::string how = env;
    if (how != "memory" && how != "tcp")
      throw startup_error("MYNASIM_INTERNAL_HOPS: expected memory or tcp, got '" + how + "'");
    settings.in_memory_hops = how == "memory";
  }
  return settings;
}
}  // namespace

// --world-owner: this process follows the owner, adopting its clock and sheets.
void simulator_app::impl::follow_world_owner() {
  link = std::make_unique<world_link>(
      options.world_owner, rt.world.server.admin.bearer_token, node, *client,
      link_callbacks{[this](const clock_state& c) { rt.clock.adopt(c); },
                     [this](std::vector<sheet_change> owners) {
                       auto o = editor->adopt(std::move(owners));
                       log.event(o.status == 200 ? "sheets_adopted" : "sheets_refused", o.body);
                     },
                     [this](const std::string& event, const nlohmann::json& detail) { log.event(event, detail); }});
}

// --scenario: loaded against the world and started now (and again on every reset).
void simulator_app::impl::start_scenario_file() {
  try {
    startup_scenario = load_scenario_file(options.scenario_file, rt.world, *rt.data.get());
  } catch (const config_error& e) {
    throw startup_error(std::string("scenario: ") + e.what());
  }
  scenarios.start(*startup_scenario);
}

simulator_app::simulator_app(world_config world, app_options options) {
  auto changes = startup_changes(options);
  try {
    apply_sheet_changes(world, world.data, changes);
  } catch (const config_error& e) {
    throw startup_error(e.what());
  }
  impl_ = std::make_unique<impl>(std::move(world), std::move(options));
  auto& i = *impl_;
  i.editor = std::make_unique<world_editor>(i.rt, std::move(changes), [&i](const world_data& data) {
    i.cards.sync();
    try {
      if (i.pki) i.pki->sync(data, i.rt.clock.now());
    } catch (const std::exception& e) {
      i.log.event("jpki_error", {{"message", e.what()}});
    }
  });
  i.apply_overrides();
  const auto& s = i.rt.world.server;
  i.server = std::make_unique<http_server>(
      settings_for(s), [&i](http_request& req, respond_fn respond) { i.dispatch(req, std::move(respond)); },
      [&i](const http_request& req, const http_response& res, std::chrono::microseconds latency) {
        i.complete(req, res, latency);
      });
  i.client = std::make_unique<http_client>(*i.server);
  if (!i.options.world_owner.empty()) i.follow_world_owner();
  i.processes = std::make_unique<processor>(
      i.rt, *i.server, *i.client, [&i](const std::string& id) { return i.url_of(id); }, i.ids);
  try {
    i.pki = std::make_unique<jpki>(s.certs_dir + "/jpki", *i.rt.data.get(), i.rt.clock.now());
  } catch (const std::exception& e) {
    throw startup_error(std::string("JPKI: ") + e.what());
  }
  i.build_routes();
  if (!i.options.scenario_file.empty()) i.start_scenario_file();
  i.listen_all();
  i.export_cas();  // after listen_all, which generates the TLS certificates on a first start
  i.server->schedule(std::chrono::milliseconds(100), [&i] { i.housekeeping(); });
}

simulator_app::~simulator_app() {
  impl_->log.flush();
}

void simulator_app::run() {
  impl_->ready = true;
  impl_->log.event("ready", {{"virtual_time", format_instant(impl_->rt.clock.now())}});
  impl_->server->run();
  impl_->log.event("stopped", nlohmann::json::object());
}

void simulator_app::start() {
  impl_->ready = true;
  impl_->server->start();
}

void simulator_app::shutdown() {
  impl_->ready = false;
  impl_->server->shutdown();
}

void simulator_app::join() {
  impl_->server->join();
}

std::uint16_t simulator_app::port(const std::string& listener) const {
  auto it = impl_->ports.find(listener);
  return it == impl_->ports.end() ? 0 : it->second;
}

world_runtime& simulator_app::runtime() {
  return impl_->rt;
}

std::vector<std::tuple<std::string, std::string, std::string>> simulator_app::routes() const {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& [listener, r] : impl_->routers)
    for (auto& [method, pattern] : r.routes()) out.emplace_back(listener, method, pattern);
  return out;
}

}  // namespace mynasim
