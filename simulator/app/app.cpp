// SPDX-License-Identifier: Apache-2.0
#include "app/app.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <arpa/inet.h>
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
#include "core/background_pool.hpp"
#include "core/expiring_store.hpp"
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

// A name that can only mean this machine: an IP literal of the loopback interface — an IPv4
// dotted quad in 127.0.0.0/8 exactly as inet_pton reads it (four decimal parts; no 127.1, no
// 0x7f.0.0.1), ::1, or an IPv4-mapped ::ffff:127.x.y.z — or `localhost` in any case. Anything
// else is a DNS name whose answer someone else controls (127.attacker.example,
// 127.0.0.1.nip.io, localhost., *.localhost): not loopback, whatever its spelling starts with.
bool is_loopback(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  const std::string text(name);
  unsigned char v4[4];
  if (::inet_pton(AF_INET, text.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, text.c_str(), v6) == 1) {
    static constexpr unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::equal(v6, v6 + 16, loopback) || (std::equal(v6, v6 + 12, mapped) && v6[12] == 127);
  }
  return text.size() == 9 && std::equal(text.begin(), text.end(), "localhost", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// A Host header (RFC 9110: uri-host [":" port]) whose name is_loopback: an IPv6 literal only in
// brackets, the port (if any) decimal digits.
bool is_loopback_host(std::string_view host) {
  std::string_view name = host, port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(1, close - 1);
    auto rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    if (name.find(':') == std::string_view::npos) return false;  // [127.0.0.1] is no IPv6 literal
  } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return is_loopback(name);
}

// The first value of `key` in a form body, or "".
std::string form_field(std::string_view body, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> form;
  if (!parse_form(body, form)) return "";
  for (auto& [k, v] : form)
    if (k == key) return std::move(v);
  return "";
}

// The client a request names for itself, proved or not: ?client_id=, a form's client_id (the
// token endpoint), a JSON body's (the kiosk). Bounded: it becomes a journal field.
constexpr std::size_t max_claim_bytes = 64;
std::string claimed_client_of(const http_request& req) {
  auto claim = req.query_param("client_id").value_or("");
  if (claim.empty() && req.method == "POST" && !req.body.empty() && req.body.size() < 65536 && req.body[0] != '{')
    claim = form_field(req.body, "client_id");
  if (claim.empty() && req.json_body && req.json_body->is_object()) claim = string_member(*req.json_body, "client_id");
  if (claim.size() > max_claim_bytes) claim.resize(max_claim_bytes);
  return claim;
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
  // Authorization codes a token exchange was answered 200 for → the client (the proof that a
  // later exchange presenting the same code is that client's: MPE2003, code reused).
  expiring_store<std::string> exchanged_codes{10000, std::chrono::hours(24)};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Key work off the I/O threads, fair per owner. Last: stopped first, before what its jobs use.
  background_pool background{{2, 512, 16}};

  impl(world_config world, app_options opts)
      : options(std::move(opts)),
        rt(std::move(world)),
        log(options.out ? *options.out : std::cout, options.json_logs.value_or(rt.world.logging.json),
            rt.world.logging.requests),
        cards(rt.data),
        auth(rt.data, rt.clock, cards, ids),
        faults(rt),
        journal(rt.world.qa.journal_max_entries, rt.world.qa.journal_max_bytes, rt.world.qa.journal_body_bytes),
        scenarios(rt, faults, cards),
        meters(rt.world.systems) {}

  void fill_facts(http_request& req);
  void fill_hop_facts(http_request& req) const;
  void authenticate_client(http_request& req);
  void attribute_screen(http_request& req);
  static bool is_token_exchange(const http_request& req);
  void file_under_identity(const http_request& req, const http_response& res, journal_entry& e);
  void notified(const notification_report& r, const process_record& p);
  void count(const http_request& req, const http_response& res, const std::string& error_code,
             std::chrono::microseconds latency);
  void observe_world();
  http_response metrics_page();
  void complete(const http_request& req, const http_response& res, std::chrono::microseconds latency);
  void reset_all();
  void housekeeping();
  void reload_if_changed();
  static constexpr std::size_t max_error_bytes = 300;
  void guarded(const char* step, const std::function<void()>& work) noexcept;

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
  std::optional<http_response> header_fault(http_request& req, const std::string& spec, fault_decision& decision,
                                            std::string& bound);
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
  // Every process of a split world holds the admin token: their hops' seals agree.
  if (!s.admin.bearer_token.empty()) rt.hops = hop_seal::from_shared_secret(s.admin.bearer_token);
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
  auto blocker = [this]() -> std::string { return link ? link->not_ready_reason() : ""; };
  for (const char* name : {"app", "sp", "admin", "systems"})
    add_health_routes(routers[name], ready, server, name, blocker);
  register_admin_routes(routers["admin"], {&rt, [this] { return health_facts(); }});
  kiosk_context kiosk{&rt.data,   &rt.clock, &auth, &cards, pki.get(), &ids, rt.world.server.sp.tls.require_client_cert,
                      &background};
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
  client->send(std::move(get), [this, done = std::move(done)](const client_result& r) {
    guarded("conformance_callback", [&] {
      if (r.status == 0) return done(r.error, true);
      done("HTTP " + std::to_string(r.status), false);
    });
  });
}

// IF001-05: the faults decide each notification's fate; every attempt is reported.
void simulator_app::impl::hook_notifications() {
  processes->set_hooks({[this](const std::string& client_id, const std::string& persona, bool& drop, millis& delay,
                               int& copies, std::vector<std::string>& fired) {
                          guarded("notification_faults", [&] {
                            auto d = faults.decide_notification(client_id, persona);
                            drop = d.drop;
                            delay = d.delay;
                            copies = d.copies;
                            fired = d.fired;
                          });
                        },
                        [this](const notification_report& r, const process_record& p) {
                          guarded("notification_report", [&] { notified(r, p); });
                        }});
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
  exchanged_codes.clear();
  if (startup_scenario) scenarios.start(*startup_scenario);
}

// Every 100 ms: due scenario steps, conformance runs, the world owner's state, --watch,
// buffered log lines. Each step is guarded on its own: one that throws is logged, and the
// other steps and the next tick run all the same.
void simulator_app::impl::housekeeping() {
  guarded("scenarios", [this] { scenarios.tick(); });
  if (conformance) guarded("conformance", [this] { conformance->tick(); });
  if (link) guarded("world_link", [this] { link->tick(); });
  if (options.watch && ++ticks % 10 == 0) guarded("watch", [this] { reload_if_changed(); });
  guarded("log", [this] { log.flush(); });
  server->schedule(std::chrono::milliseconds(100), [this] { housekeeping(); });
}

// --watch: a world file changed since the last look → reload.
void simulator_app::impl::reload_if_changed() {
  if (!editor->files_changed()) return;
  // Worked out on the background pool; logged from there.
  editor->reload("a world file changed (--watch)",
                 [this](const edit_outcome& o) { log.event(o.status == 200 ? "reloaded" : "reload_refused", o.body); });
}

// Runs one step of background work; whatever it throws ends as a `background_error` event
// (the message bounded: it may carry a path or a peer's words) instead of ending the caller.
void simulator_app::impl::guarded(const char* step, const std::function<void()>& work) noexcept {
  std::string what;
  try {
    work();
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  try {
    if (what.size() > max_error_bytes) what = what.substr(0, max_error_bytes) + "…";
    log.event("background_error", {{"step", step}, {"message", what}});
  } catch (...) {  // nothing left to tell it with
  }
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

// Who a request concerns, for fault narrowing and the journal: only an identity the request
// proved (docs/api.md, "Who a request is filed under"). A client_id it merely names is a claim:
// the journal keeps it as claimed_client_id, nothing narrows or attributes by it.
// A hop between simulated systems names who it is for in X-Mynasim-* headers; they count only
// under a seal this simulator made (core/hop_seal.hpp): a direct request to /systems/... is
// filed under nobody, spends no service's faults and feeds no service's lint.
void simulator_app::impl::fill_hop_facts(http_request& req) const {
  auto value = [&](const char* name) {
    const auto* v = req.header(name);
    return v ? std::string_view(*v) : std::string_view();
  };
  const hop_attribution claimed{value("x-mynasim-client-id"), value("x-mynasim-persona"), value("x-mynasim-process-id"),
                                value("x-mynasim-telegram-id")};
  const auto* seal = req.header(hop_seal_header);
  if (!seal || !rt.hops.verify(claimed, *seal)) return;
  req.client_id = claimed.client_id;
  req.persona = claimed.persona;
  req.process_id = claimed.process_id;
  req.telegram_id = claimed.telegram_id;
}

void simulator_app::impl::fill_facts(http_request& req) {
  req.system = request_log::system_of(req);
  if (req.listener == "systems") return fill_hop_facts(req);
  if (req.listener != "app" && req.listener != "sp") return;
  if (!req.body.empty() && req.body[0] == '{' && req.body.size() < 262144) {
    std::string ignored;
    if (const auto* j = request_json_object(req, ignored); j && j->contains("commonHeader")) {
      req.telegram_id = string_member((*j)["commonHeader"], "telegramId");
      req.process_id = string_member((*j)["commonHeader"], "processId");
    }
  }
  if (const auto* a = req.header("authorization"); a && a->rfind("Bearer ", 0) == 0)
    if (auto t = auth.check_token(a->substr(7))) {
      req.client_id = t->client_id;
      req.persona = t->persona_id;
      return;
    }
  if (req.listener == "sp")
    authenticate_client(req);
  else
    attribute_screen(req);
}

// The sp listener without a token: the client a request names is authenticated by a client
// certificate registered for it (under mutual TLS), or — at the token endpoint — by the
// authorization code it presents, when an earlier exchange of that client presented it (a code
// is issued to one client and redirect_uri: only that client, or whom it leaked it to, has it).
void simulator_app::impl::authenticate_client(http_request& req) {
  auto claim = claimed_client_of(req);
  if (claim.empty()) return;
  if (rt.world.server.sp.tls.require_client_cert && !req.client_cert_sha256.empty() &&
      rt.data.get()->find_service(claim) &&
      auth.client_allowed(claim, {req.client_cert_sha256, req.client_cert_subject, req.remote_address}, true)) {
    req.client_id = claim;
    return;
  }
  if (!is_token_exchange(req)) return;
  auto code = form_field(req.body, "code");
  if (!code.empty() && exchanged_codes.get(code, rt.clock.now()) == claim) req.client_id = claim;
}

// The browser screens carry no credential. authorize is public (anyone may start a service's
// flow, as on the real portal): it is filed under the service when the portal accepts it for
// that service — a registered client_id with one of its registered redirect_uris, the only
// place the flow can return to. The screens after it are filed under their session's service.
void simulator_app::impl::attribute_screen(http_request& req) {
  if (req.method == "GET" && req.path == paths::authorize) {
    auto claim = req.query_param("client_id").value_or("");
    auto redirect = req.query_param("redirect_uri").value_or("");
    const auto data = rt.data.get();
    const auto* service = data->find_service(claim);
    if (!service || std::find(service->redirect_uris.begin(), service->redirect_uris.end(), redirect) ==
                        service->redirect_uris.end())
      return;
    req.client_id = claim;
    req.persona = req.query_param("mynasim_persona").value_or("");
    return;
  }
  if (req.method != "POST" || req.body.empty() || req.body.size() >= 65536 || req.body[0] == '{') return;
  auto session = form_field(req.body, "session");
  if (auto s = session.empty() ? std::nullopt : auth.session(session)) {
    req.client_id = s->client_id;
    req.persona = s->persona_id;
  }
}

bool simulator_app::impl::is_token_exchange(const http_request& req) {
  return req.listener == "sp" && req.method == "POST" && (req.path == paths::token || req.path == paths::stub_token);
}

// The journal's client_id: the identity fill_facts found, or the client a token endpoint issued
// an access token to (IF001-03: the single-use code issued to that client and redirect_uri is
// the proof, and the code is remembered as the client's; the kiosk: its signed challenge).
// Anything else a request named is only claimed_client_id.
void simulator_app::impl::file_under_identity(const http_request& req, const http_response& res, journal_entry& e) {
  e.client_id = req.client_id;
  if (req.listener != "app" && req.listener != "sp") return;
  bool exchange = is_token_exchange(req);
  bool issued = res.status == 200 && (exchange || (req.listener == "sp" && req.path == paths::kiosk_token));
  if (!e.client_id.empty() && !issued) return;
  auto claim = claimed_client_of(req);
  if (issued && exchange && !claim.empty())
    if (auto code = form_field(req.body, "code"); !code.empty() && code.size() <= max_claim_bytes)
      exchanged_codes.put(code, claim, rt.clock.now(), claim);
  if (e.client_id.empty()) (issued ? e.client_id : e.claimed_client_id) = std::move(claim);
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
  file_under_identity(req, res, e);
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
// IF001-04 request causes (bound to its authenticated service and telegramId, once; `bound`
// names it, for dispatch to drop it when the request is refused). It never outlives the
// request, and is honoured only where the world allows it (by default: loopback).
std::optional<http_response> simulator_app::impl::header_fault(http_request& req, const std::string& spec,
                                                               fault_decision& decision, std::string& bound) {
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
    if (req.telegram_id.empty()) {
      error = "a fault for '" + f->target +
              "' needs an IF001-04 request: its service and telegramId bind the fault to the hops it causes";
      f.reset();
    } else if (req.client_id.empty()) {
      // No valid access token: no service to bind it to, and no process, no hops — the portal
      // refuses the request itself (MPE3001). Bound to nothing.
      return std::nullopt;
    } else {
      f->remaining = 1;
      f->client_id = req.client_id;
      f->telegram_id = req.telegram_id;
      f->id.clear();
      if (auto id = faults.add_for_request(*f, error))
        bound = *id;
      else
        f.reset();
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
  std::string bound;  // a per-request fault for the hops this request causes
  if (const auto* spec = req.header("x-mynasim-fault"); spec && fault_header_allowed(req.listener))
    if (auto refused = header_fault(req, *spec, decision, bound)) return respond(std::move(*refused));
  if (!bound.empty())  // no process started, no hop: the fault goes with its request
    respond = [this, bound, respond = std::move(respond)](http_response res) {
      if (res.status != 200 || !error_code_of(res).empty()) faults.remove(bound);
      respond(std::move(res));
    };
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
      link_callbacks{[this](const clock_state& c) { guarded("adopt_clock", [&] { rt.clock.adopt(c); }); },
                     [this](std::vector<sheet_change> owners, sheets_adopted_fn done) {
                       guarded("adopt_sheets", [&] {
                         editor->adopt(std::move(owners), [this, done](const edit_outcome& o) {
                           log.event(o.status == 200 ? "sheets_adopted" : "sheets_refused", o.body);
                           done(o.status == 200, o.body.value("message", o.body.value("error", std::string())));
                         });
                       });
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
  i.editor = std::make_unique<world_editor>(
      i.rt, std::move(changes),
      [&i](const world_data& data) {
        i.guarded("sync_cards", [&] { i.cards.sync(); });
        i.guarded("sync_jpki", [&] {
          if (i.pki) i.pki->sync(data, i.rt.clock.now());
        });
      },
      &i.background, [&i](const std::string& event, const nlohmann::json& detail) { i.log.event(event, detail); });
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
  impl_->guarded("log", [this] { impl_->log.flush(); });
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
