// SPDX-License-Identifier: Apache-2.0
// Wiring: the process (listeners, HTTP client, JPKI, background pool, log, metrics), its
// startup and shutdown. One world's parts: app/world_instance.cpp; the request pipeline:
// app/pipeline.cpp; named worlds: app/worlds.cpp; the admin guard: app/admin_guard.cpp; a split
// world's wiring: app/split_world.cpp.
#include "app/app.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "app/admin_guard.hpp"
#include "app/app_impl.hpp"
#include "app/world_link.hpp"
#include "config/yaml_reader.hpp"
#include "conformance/runner.hpp"
#include "core/file_lock.hpp"
#include "core/json_util.hpp"
#include "faults/decision_wire.hpp"
#include "jpki/jpki.hpp"
#include "net/http_client.hpp"
#include "net/server.hpp"
#include "portal/processor.hpp"
#include "systems/system_gate.hpp"

namespace mynasim {
namespace fs = std::filesystem;

namespace {

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

std::vector<sheet_change> startup_changes_of(const app_options& options) {
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
// How this machine reaches a listener bound to `address`, as a URL's host: a wildcard one
// through loopback, an IPv6 literal in brackets.
std::string reachable_host(const std::string& address) {
  if (address == "0.0.0.0" || address.empty()) return "127.0.0.1";
  if (address == "::") return "[::1]";
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

// Command-line settings over the world's server section, before any world is made of it.
void apply_server_overrides(world_config& w, const app_options& options) {
  auto& s = w.server;
  if (options.host) s.app.address = s.sp.address = s.systems.address = *options.host;
  if (options.admin_host) s.admin.address = *options.admin_host;
  if (options.admin_token) s.admin.bearer_token = *options.admin_token;
  for (auto* l : {&s.app, &s.sp, &s.admin, &s.systems})
    if (auto it = options.ports.find(l->name); it != options.ports.end()) l->port = it->second;
  if (!is_loopback(s.admin.address) && s.admin.bearer_token.empty())
    throw startup_error("the admin listener is bound to " + s.admin.address +
                        ": set server.listeners.admin.bearer_token or --admin-token");
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

simulator_app::impl::impl(world_config world, app_options opts)
    : options(std::move(opts)),
      log(options.out ? *options.out : std::cout, options.json_logs.value_or(world.logging.json),
          world.logging.requests),
      meters(world.systems) {
  apply_server_overrides(world, options);
  auto data = std::make_shared<world_data>(std::move(world.data));
  data->reindex();
  data_template = std::move(data);
  world.data = {};
  world_template = std::make_shared<const world_config>(std::move(world));
}

simulator_app::impl::~impl() = default;

void simulator_app::impl::apply_overrides() {
  const auto& w = *world_template;
  const auto& s = w.server;
  // Every process of a split world holds the admin token: their hops' seals agree.
  if (!s.admin.bearer_token.empty()) home->rt.hops = hop_seal::from_shared_secret(s.admin.bearer_token);
  running = select_systems(w, options.only);
  if (!options.world_owner.empty() && runs(system_kind::portal))
    throw startup_error(
        "--world-owner: the process that runs Myna Portal owns the world; start it without "
        "--world-owner and point the others at its admin listener");
  if (!options.world_owner.empty() && !options.scenario_file.empty())
    throw startup_error("--scenario: scenarios run in the world owner; start it there");
  if (!options.only.empty())
    for (auto* sys : running) node += (node.empty() ? "" : ",") + sys->id;
  // Internal hops go to the address the systems listener really has.
  systems_host = reachable_host(s.systems.address);
}

bool simulator_app::impl::runs(system_kind kind) const {
  return std::any_of(running.begin(), running.end(), [&](auto* s) { return s->kind == kind; });
}

// Base URL of a system in a world: this process's systems listener, or the peer template —
// with the world's prefix, so that a hop stays in its world.
std::string simulator_app::impl::url_of(const std::string& id, const std::string& prefix) const {
  bool local = std::any_of(running.begin(), running.end(), [&](auto* s) { return s->id == id; });
  if (!local && !options.peer_url_template.empty()) {
    auto url = options.peer_url_template;
    for (auto pos = url.find("{id}"); pos != std::string::npos; pos = url.find("{id}")) url.replace(pos, 4, id);
    if (!prefix.empty())
      if (auto scheme = url.find("://"); scheme != std::string::npos) {
        auto path = url.find('/', scheme + 3);
        url.insert(path == std::string::npos ? url.size() : path, prefix);
      }
    return url;
  }
  auto it = ports.find("systems");
  return "http://" + systems_host + ":" + std::to_string(it == ports.end() ? 0 : it->second) + prefix + "/systems/" +
         id;
}

// The routes of the process, not of a world: health on every listener, metrics, the split
// world's owner side, the worlds' life cycle. On the default world's routers only.
void simulator_app::impl::build_process_routes(router& admin) {
  auto blocker = [this]() -> std::string { return link ? link->not_ready_reason() : ""; };
  for (const char* name : {"app", "sp", "admin", "systems"})
    add_health_routes(home->routers[name], ready, server, name, blocker);
  if (home->rt.world.logging.metrics)
    admin.add_sync("GET", "/metrics", [this](http_request&) { return metrics_page(); });
  register_owner_journal_route(admin);
  register_world_routes(admin);
  // The CA to trust for the app and sp listeners, for a client that cannot read this process's
  // files (a service container, Testcontainers): public, but on the admin plane like the rest.
  admin.add_sync("GET", "/__admin/certs/ca.crt", [this](http_request&) {
    if (!ca_pem || ca_pem->empty()) return json_error(404, "not_found", "this process has no CA certificate");
    http_response res{200, {}, *ca_pem};
    res.set("content-type", "application/x-pem-file");
    return res;
  });
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
  return {{"version", MYNASIM_VERSION},
          {"systems", systems},
          {"uptime_ms",
           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()},
          {"open_connections", server ? server->open_connections() : 0},
          {"log_lines_dropped", log.dropped()},
          {"world_owner", link ? link->status() : nlohmann::json("self")},
          {"peer_connections", peers}};
}

// A GET of an API user's callback (the conformance runner's forged one): `done` gets the
// status line, or the transport error and true. `hold` keeps its world until then.
void simulator_app::impl::get_callback(const std::string& url, std::function<void(std::string, bool)> done,
                                       std::shared_ptr<world_instance> hold) {
  client_request get;
  get.method = "GET";
  get.url = url;
  get.timeout = std::chrono::seconds(5);
  get.body_limit = std::size_t{64} * 1024;
  client->send(std::move(get), [this, done = std::move(done), hold = std::move(hold)](const client_result& r) {
    guarded("conformance_callback", [&] {
      if (r.status == 0) return done(r.error, true);
      done("HTTP " + std::to_string(r.status), false);
    });
  });
}

// Every 100 ms: due scenario steps and conformance runs of every world, the world owner's
// state, --watch, buffered log lines; every second, idle worlds expire. Each step is guarded
// on its own: one that throws is logged, and the other steps and the next tick run all the same.
void simulator_app::impl::housekeeping() {
  std::vector<std::shared_ptr<world_instance>> all{home};
  {
    std::lock_guard lock(worlds_mutex);
    for (const auto& [id, w] : worlds) all.push_back(w);
  }
  for (const auto& w : all) w->tick();
  all.clear();
  if (link) guarded("world_link", [this] { link->tick(); });
  ++ticks;
  if (options.watch && ticks % 10 == 0) guarded("watch", [this] { reload_if_changed(); });
  if (ticks % 10 == 0) guarded("worlds", [this] { expire_worlds(); });
  guarded("faketime", [this] { keep_faketime_files(false); });
  guarded("log", [this] { log.flush(); });
  server->schedule(std::chrono::milliseconds(100), [this] { housekeeping(); });
}

// After a world's personas changed: the simulated cards' keys are shared by every world, so
// JPKI plans the cards of the default world's sheets and of every other sheet in use.
void simulator_app::impl::sync_pki() {
  if (!pki) return;
  std::vector<std::shared_ptr<const world_data>> sheets{home->rt.data.get()};
  {
    std::lock_guard lock(worlds_mutex);
    for (const auto& [id, w] : worlds)
      if (auto d = w->rt.data.get(); std::find(sheets.begin(), sheets.end(), d) == sheets.end())
        sheets.push_back(std::move(d));
  }
  if (sheets.size() == 1) return pki->sync(*sheets.front(), home->rt.clock.now());
  world_data merged;
  std::set<std::string> serials;
  for (const auto& d : sheets)
    for (const auto& p : d->personas)
      if (serials.insert(p.card.serial).second) merged.personas.push_back(p);
  pki->sync(merged, home->rt.clock.now());
}

// --watch: a world file changed since the last look → reload.
void simulator_app::impl::reload_if_changed() {
  if (!home->editor->files_changed()) return;
  // Every world reloads the files under its own runtime changes. Worked out on the background
  // pool; logged from there.
  std::vector<std::shared_ptr<world_instance>> all{home};
  {
    std::lock_guard lock(worlds_mutex);
    for (const auto& [id, w] : worlds) all.push_back(w);
  }
  for (const auto& w : all)
    w->editor->reload("a world file changed (--watch)", [this, w](const edit_outcome& o) {
      auto body = o.body;
      if (!w->is_default() && body.is_object()) body["world"] = w->settings.id;
      log.event(o.status == 200 ? "reloaded" : "reload_refused", body);
    });
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

http_response simulator_app::impl::metrics_page() {
  metrics_snapshot s;
  if (!link) {
    auto now = home->rt.clock.now();
    for (auto* sys : running) s.system_up[sys->id] = home->rt.availability.status(sys->id, now).up;
  }
  // Processes and journals: every world's together.
  std::vector<std::shared_ptr<world_instance>> all{home};
  {
    std::lock_guard lock(worlds_mutex);
    for (const auto& [id, w] : worlds) all.push_back(w);
  }
  for (const auto& w : all) {
    if (w->processes) {
      auto c = w->processes->counts();
      s.processes_pending += c.pending;
      s.processes_ready += c.ready;
      s.processes_expired += c.expired;
    }
    auto j = w->journal.stats();
    s.journal_entries += j["entries"].get<std::size_t>();
    s.journal_bytes += j["bytes"].get<std::size_t>();
    s.journal_dropped += j["dropped"].get<std::uint64_t>();
  }
  s.worlds = all.size() - 1;
  s.log_lines_dropped = log.dropped();
  s.open_connections = server ? server->open_connections() : 0;
  http_response res{200, {}, meters.scrape(s)};
  res.set("content-type", "text/plain; version=0.0.4; charset=utf-8");
  res.set("cache-control", "no-store");
  return res;
}

// The control room as a browser that reached the app listener at `app_host` reaches it: the
// same host name when the admin listener answers on every address, else its own address.
std::string simulator_app::impl::control_room_url(const std::string& app_host, const std::string& prefix) const {
  const auto& admin = world_template->server.admin;
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
  return "http://" + host + ":" + std::to_string(it->second) + prefix + "/__admin/ui";
}

void simulator_app::impl::listen_all() {
  const auto& s = world_template->server;
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

// --ready-file: the listeners' actual URLs and ports, for a harness that started this process
// on port 0 (or a --port-base) and needs no log parsing. Written whole (a temporary file
// renamed into place) before the process answers; a path that cannot be written stops startup.
void simulator_app::impl::write_ready_file() {
  if (options.ready_file.empty()) return;
  const auto& s = world_template->server;
  nlohmann::json urls = nlohmann::json::object(), bound = nlohmann::json::object();
  for (const auto* l : {&s.app, &s.sp, &s.admin, &s.systems}) {
    auto it = ports.find(l->name);
    if (it == ports.end()) continue;
    urls[l->name] = std::string(l->tls.enabled ? "https" : "http") + "://" + reachable_host(l->address) + ":" +
                    std::to_string(it->second);
    bound[l->name] = it->second;
  }
  nlohmann::json doc{{"pid", ::getpid()},
                     {"version", MYNASIM_VERSION},
                     {"urls", urls},
                     {"ports", bound},
                     {"ca_file", (fs::path(s.certs_dir) / "ca.crt").string()},
                     {"virtual_time", format_instant(home->rt.clock.now())}};
  auto temporary = options.ready_file + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << doc.dump(2) << "\n";
    if (!out.flush()) throw startup_error("--ready-file: cannot write " + temporary);
  }
  std::error_code ec;
  fs::rename(temporary, options.ready_file, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw startup_error("--ready-file: cannot write " + options.ready_file);
  }
  ready_file_written = true;
  log.event("ready_file", {{"path", options.ready_file}});
}

void simulator_app::impl::remove_ready_file() {
  if (!ready_file_written) return;  // never someone else's file at that path
  ready_file_written = false;
  std::error_code ec;
  fs::remove(options.ready_file, ec);
}

// Compose says where it publishes the ports (MYNASIM_PUBLISH_ADDRESS): beyond the host's
// loopback with the well-known development token, anyone on the network drives the admin plane.
void simulator_app::impl::warn_if_exposed() {
  const char* published = std::getenv("MYNASIM_PUBLISH_ADDRESS");
  if (!published || !*published || is_loopback(published)) return;
  if (world_template->server.admin.bearer_token != "dev-admin-token") return;
  log.event("admin_token_is_the_default",
            {{"published_on", std::string(published).substr(0, 64)},
             {"message",
              "the admin listener is published beyond loopback with the default token dev-admin-token: "
              "set MYNASIM_ADMIN_TOKEN to a secret of your own"}});
}

// MYNASIM_CA_EXPORT_DIR: where a developer picks up the CAs to trust (a Compose bind mount).
void simulator_app::impl::export_cas() {
  const auto& certs = world_template->server.certs_dir;
  {  // GET /__admin/certs/ca.crt answers it from memory (read once here, before serving)
    std::ifstream in(fs::path(certs) / "ca.crt", std::ios::binary);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (pem.size() <= 65536) ca_pem = std::make_shared<const std::string>(std::move(pem));
  }
  const char* dir = std::getenv("MYNASIM_CA_EXPORT_DIR");
  if (!dir || !*dir) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  // The copies belong to whoever owns the folder (a developer's bind mount), not to the
  // container's user: they can be replaced and removed without root.
  struct stat owner {};
  bool owned = ::stat(dir, &owner) == 0;
  for (auto [from, to] :
       {std::pair{fs::path(certs) / "ca.crt", "ca.crt"}, {fs::path(certs) / "jpki/ca.crt", "jpki-ca.crt"}}) {
    if (!fs::exists(from, ec)) continue;
    auto copy = fs::path(dir) / to;
    fs::copy_file(from, copy, fs::copy_options::overwrite_existing, ec);
    if (!ec && owned && ::geteuid() == 0) (void)::chown(copy.c_str(), owner.st_uid, owner.st_gid);
  }
  if (ec)
    log.event("ca_export_failed", {{"dir", dir}, {"message", ec.message()}});
  else
    log.event("ca_exported", {{"dir", dir}});
}

// --scenario: loaded against the world and started now (and again on every reset).
void simulator_app::impl::start_scenario_file() {
  try {
    home->startup_scenario = load_scenario_file(options.scenario_file, home->rt.world, *home->rt.data.get());
  } catch (const config_error& e) {
    throw startup_error(std::string("scenario: ") + e.what());
  }
  home->scenarios.start(*home->startup_scenario);
}

simulator_app::simulator_app(world_config world, app_options options) {
  auto changes = startup_changes_of(options);
  try {
    apply_sheet_changes(world, world.data, changes);
  } catch (const config_error& e) {
    throw startup_error(e.what());
  }
  impl_ = std::make_unique<impl>(std::move(world), std::move(options));
  auto& i = *impl_;
  i.startup_changes = changes;
  i.home = std::make_shared<world_instance>(i, world_settings{}, *i.world_template, i.data_template);
  i.apply_overrides();
  const auto& s = i.world_template->server;
  i.server = std::make_unique<http_server>(
      settings_for(s), [&i](http_request& req, respond_fn respond) { i.dispatch(req, std::move(respond)); },
      [&i](const http_request& req, const http_response& res, std::chrono::microseconds latency) {
        i.complete(req, res, latency);
      });
  i.client = std::make_unique<http_client>(*i.server);
  try {
    i.pki = std::make_unique<jpki>(s.certs_dir + "/jpki", *i.data_template, i.home->rt.clock.now());
  } catch (const std::exception& e) {
    throw startup_error(std::string("JPKI: ") + e.what());
  }
  i.home->build(changes);
  if (!i.options.world_owner.empty()) i.follow_world_owner();
  i.build_process_routes(i.home->routers["admin"]);
  if (!i.options.scenario_file.empty()) i.start_scenario_file();
  i.declare_worlds();
  i.listen_all();
  i.warn_if_exposed();
  i.export_cas();  // after listen_all, which generates the TLS certificates on a first start
  if (!i.options.faketime_dir.empty()) {
    std::error_code ec;
    fs::create_directories(fs::path(i.options.faketime_dir) / "worlds", ec);
    if (ec) throw startup_error("--faketime-dir: cannot create " + i.options.faketime_dir + "/worlds: " + ec.message());
    i.keep_faketime_files(true);  // before ready: an app started then finds its clock
  }
  i.server->schedule(std::chrono::milliseconds(100), [&i] { i.housekeeping(); });
}

simulator_app::~simulator_app() {
  impl_->guarded("faketime", [this] { impl_->remove_faketime_files(); });
  impl_->guarded("log", [this] { impl_->log.flush(); });
}

void simulator_app::run() {
  // Ready — the ready file, the log line — only once the server runs with its SIGINT/SIGTERM
  // handling in place: a harness that stops the process as soon as it reads either gets a
  // graceful shutdown, never a process killed by the signal's default action.
  std::string failed;
  impl_->server->schedule(std::chrono::milliseconds(0), [this, &failed] {
    try {
      impl_->write_ready_file();
    } catch (const startup_error& e) {
      failed = e.what();
      impl_->server->shutdown();
      return;
    }
    impl_->ready = true;
    impl_->log.event("ready", {{"virtual_time", format_instant(impl_->home->rt.clock.now())}});
  });
  impl_->server->run();
  impl_->remove_ready_file();
  impl_->remove_faketime_files();
  impl_->log.event("stopped", nlohmann::json::object());
  if (!failed.empty()) throw startup_error(failed);
}

void simulator_app::start() {
  impl_->write_ready_file();
  impl_->ready = true;
  impl_->server->start();
}

void simulator_app::shutdown() {
  impl_->ready = false;
  impl_->server->shutdown();
}

void simulator_app::join() {
  impl_->server->join();
  impl_->remove_ready_file();
}

std::uint16_t simulator_app::port(const std::string& listener) const {
  auto it = impl_->ports.find(listener);
  return it == impl_->ports.end() ? 0 : it->second;
}

world_runtime& simulator_app::runtime() {
  return impl_->home->rt;
}

world_runtime* simulator_app::runtime(std::string_view world) {
  auto w = impl_->find_world(world);
  return w ? &w->rt : nullptr;  // the world keeps it while it exists
}

std::vector<std::tuple<std::string, std::string, std::string>> simulator_app::routes() const {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& [listener, r] : impl_->home->routers)
    for (auto& [method, pattern] : r.routes()) out.emplace_back(listener, method, pattern);
  return out;
}

}  // namespace mynasim
