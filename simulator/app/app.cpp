#include "app/app.hpp"

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>
#include <map>
#include <nlohmann/json.hpp>

#include "admin/admin_routes.hpp"
#include "admin/portal_admin_routes.hpp"
#include "app/request_log.hpp"
#include "app/runtime.hpp"
#include "core/json_util.hpp"
#include "core/router.hpp"
#include "net/http_client.hpp"
#include "net/server.hpp"
#include "portal/api_routes.hpp"
#include "portal/authorization.hpp"
#include "portal/cards.hpp"
#include "portal/processor.hpp"
#include "portal/web_routes.hpp"
#include "systems/backend_routes.hpp"
#include "systems/system_routes.hpp"

namespace mynasim {
namespace fs = std::filesystem;

namespace {

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

std::vector<const system_config*> select_systems(const world_config& w, const std::vector<std::string>& only) {
  std::vector<const system_config*> out;
  for (const auto& id : only) {
    if (!w.find_system(id)) {
      std::string known;
      for (const auto& s : w.systems) known += (known.empty() ? "" : ", ") + s.id;
      throw startup_error("--only: unknown system '" + id + "' (known: " + known + ")");
    }
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

void add_health_routes(router& r, const std::atomic<bool>& ready, const std::string& listener) {
  r.add_sync("GET", "/healthz", [listener](http_request&) {
    return json_response(200, {{"status", "ok"}, {"listener", listener}});
  });
  r.add_sync("GET", "/readyz", [&ready, listener](http_request&) {
    bool ok = ready.load();
    return json_response(ok ? 200 : 503, {{"status", ok ? "ready" : "not ready"}, {"listener", listener}});
  });
}

}  // namespace

void ensure_certificates(const server_config& server) {
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
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  impl(world_config world, app_options opts)
      : options(std::move(opts)),
        rt(std::move(world)),
        log(options.out ? *options.out : std::cout, options.json_logs.value_or(rt.world.logging.json),
            rt.world.logging.requests),
        cards(rt.world.data),
        auth(rt.world.data, rt.clock, cards, ids) {}

  // Base URL of a system: this process's systems listener, or the peer template.
  std::string url_of(const std::string& id) const {
    bool local = std::any_of(running.begin(), running.end(), [&](auto* s) { return s->id == id; });
    if (!local && !options.peer_url_template.empty()) {
      auto url = options.peer_url_template;
      for (auto pos = url.find("{id}"); pos != std::string::npos; pos = url.find("{id}")) url.replace(pos, 4, id);
      return url;
    }
    auto it = ports.find("systems");
    return "http://127.0.0.1:" + std::to_string(it == ports.end() ? 0 : it->second) + "/systems/" + id;
  }

  bool runs(system_kind kind) const {
    return std::any_of(running.begin(), running.end(), [&](auto* s) { return s->kind == kind; });
  }
  void apply_overrides();
  void build_routes();
  void dispatch(http_request& req, respond_fn respond);
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
}

void simulator_app::impl::build_routes() {
  for (const char* name : {"app", "sp", "admin", "systems"}) add_health_routes(routers[name], ready, name);
  register_admin_routes(routers["admin"], {&rt, [this] {
                                             nlohmann::json systems = nlohmann::json::array();
                                             for (auto* s : running) systems.push_back(s->id);
                                             return nlohmann::json{
                                                 {"systems", systems},
                                                 {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                   std::chrono::steady_clock::now() - started)
                                                                   .count()},
                                                 {"open_connections", server ? server->open_connections() : 0}};
                                           }});
  std::vector<const system_config*> backends;
  for (auto* s : running)
    if (s->kind != system_kind::portal) backends.push_back(s);
  register_system_routes(routers["systems"], rt, backends);
  register_backend_routes(routers["systems"], {&rt, client.get(), [this](const std::string& id) { return url_of(id); }},
                          backends);
  if (runs(system_kind::portal)) {
    register_web_routes(routers["app"], rt.world.data, auth);
    register_api_routes(routers["sp"], {&rt.world.data, &auth, processes.get(), rt.world.server.sp.tls.require_client_cert});
  }
  register_portal_admin_routes(routers["admin"], {&rt, processes.get(), &cards, &auth});
}

void simulator_app::impl::dispatch(http_request& req, respond_fn respond) {
  auto it = routers.find(req.listener);
  if (it == routers.end()) return respond(json_error(404, "not_found", "no such listener"));
  const auto& token = rt.world.server.admin.bearer_token;
  if (req.listener == "admin" && !token.empty() && req.path.rfind("/__admin", 0) == 0) {
    const auto* given = req.header("authorization");
    if (!given || *given != "Bearer " + token) {
      auto res = json_error(401, "unauthorized", "the admin API needs Authorization: Bearer <token>");
      res.set("www-authenticate", "Bearer");
      return respond(std::move(res));
    }
  }
  it->second.dispatch(req, std::move(respond));
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
    log.event("listening", {{"listener", l->name},
                            {"url", std::string(l->tls.enabled ? "https" : "http") + "://" + host + ":" +
                                        std::to_string(port)}});
  }
}

simulator_app::simulator_app(world_config world, app_options options)
    : impl_(std::make_unique<impl>(std::move(world), std::move(options))) {
  auto& i = *impl_;
  i.apply_overrides();
  const auto& s = i.rt.world.server;
  server_settings settings;
  settings.threads = s.threads == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : s.threads;
  settings.read_timeout = s.read_timeout;
  settings.write_timeout = s.write_timeout;
  settings.handshake_timeout = s.handshake_timeout;
  settings.shutdown_grace = s.shutdown_grace;
  settings.header_limit = s.header_limit;
  settings.body_limit = s.body_limit;
  settings.max_connections = s.max_connections;
  i.server = std::make_unique<http_server>(
      settings, [&i](http_request& req, respond_fn respond) { i.dispatch(req, std::move(respond)); },
      [&i](const http_request& req, const http_response& res, std::chrono::microseconds latency) {
        i.log.request(req, res, latency, i.rt.clock.now());
      });
  i.client = std::make_unique<http_client>(*i.server);
  i.processes = std::make_unique<processor>(i.rt, *i.server, *i.client, [&i](const std::string& id) { return i.url_of(id); },
                                            i.ids);
  i.build_routes();
  i.listen_all();
}

simulator_app::~simulator_app() = default;

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

void simulator_app::join() { impl_->server->join(); }

std::uint16_t simulator_app::port(const std::string& listener) const {
  auto it = impl_->ports.find(listener);
  return it == impl_->ports.end() ? 0 : it->second;
}

world_runtime& simulator_app::runtime() { return impl_->rt; }

}  // namespace mynasim
