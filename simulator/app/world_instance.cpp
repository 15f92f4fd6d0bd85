// SPDX-License-Identifier: Apache-2.0
// One world's parts and routers (app/app_impl.hpp): the default world and every named one are
// built here the same way, from the world's own runtime state.
#include <algorithm>

#include "admin/admin_routes.hpp"
#include "admin/conformance_routes.hpp"
#include "admin/portal_admin_routes.hpp"
#include "admin/qa_routes.hpp"
#include "admin/sheet_routes.hpp"
#include "app/app_impl.hpp"
#include "conformance/runner.hpp"
#include "jpki/jpki.hpp"
#include "net/http_client.hpp"
#include "net/server.hpp"
#include "portal/api_routes.hpp"
#include "portal/kiosk_routes.hpp"
#include "portal/processor.hpp"
#include "portal/web_routes.hpp"
#include "systems/backend_routes.hpp"
#include "systems/system_routes.hpp"
#include "ui/ui_routes.hpp"

namespace mynasim {

namespace {
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

world_instance::world_instance(simulator_app::impl& owner, world_settings s, world_config config,
                               std::shared_ptr<const world_data> data)
    : app(&owner),
      settings(std::move(s)),
      prefix(settings.id.empty() ? "" : "/worlds/" + settings.id),
      rt(std::move(config), std::move(data)),
      cards(rt.data),
      auth(rt.data, rt.clock, cards, ids),
      faults(rt),
      journal(rt.world.qa.journal_max_entries, rt.world.qa.journal_max_bytes, rt.world.qa.journal_body_bytes),
      scenarios(rt, faults, cards),
      last_used_ms(steady_ms()) {}

world_instance::~world_instance() = default;

void world_instance::build(const std::vector<sheet_change>& startup) {
  auto* a = app;
  std::weak_ptr<world_instance> weak = weak_from_this();
  editor = std::make_unique<world_editor>(
      rt, startup,
      [this, a](const world_data&) {
        a->guarded("sync_cards", [&] { cards.sync(); });
        a->guarded("sync_jpki", [a] { a->sync_pki(); });
      },
      &a->background, [a](const std::string& event, const nlohmann::json& detail) { a->log.event(event, detail); },
      is_default() ? "admin" : "world:" + settings.id);
  processes = std::make_unique<processor>(
      rt, *a->server, *a->client, [this](const std::string& id) { return url_of(id); }, ids);
  processes->set_keep_alive([weak] { return std::shared_ptr<void>(weak.lock()); });
  register_routes();
  hook_notifications();
  observe();
}

void world_instance::touch() {
  last_used_ms.store(steady_ms(), std::memory_order_relaxed);
  requests.fetch_add(1, std::memory_order_relaxed);
}

std::chrono::milliseconds world_instance::idle() const {
  return std::chrono::milliseconds(steady_ms() - last_used_ms.load(std::memory_order_relaxed));
}

std::string world_instance::url_of(const std::string& system_id) const {
  return app->url_of(system_id, prefix);
}

void world_instance::register_routes() {
  auto* a = app;
  auto& admin = routers["admin"];
  register_admin_routes(admin, {&rt, [a] { return a->health_facts(); }});
  kiosk_context kiosk{
      &rt.data,      &rt.clock, &auth, &cards, a->pki.get(), &ids, rt.world.server.sp.tls.require_client_cert,
      &a->background};
  kiosk.owner_prefix = is_default() ? "" : settings.id + "/";
  register_system_side_routes(kiosk);
  if (a->runs(system_kind::portal)) register_portal_routes(kiosk);
  auto log_event = [a, id = settings.id](const std::string& event, const nlohmann::json& detail) {
    auto d = detail;
    if (!id.empty() && d.is_object()) d["world"] = id;
    a->log.event(event, d);
  };
  register_portal_admin_routes(admin, {&rt, processes.get(), &cards, &auth});
  register_qa_routes(admin, {&rt, &faults, &scenarios, &journal, [this] { reset_all(); }, log_event});
  std::weak_ptr<world_instance> weak = weak_from_this();
  conformance = std::make_unique<conformance_runner>(
      conformance_deps{&rt, &faults, &auth, &journal, &cards,
                       [a, weak](const std::string& url, std::function<void(std::string, bool)> done) {
                         a->get_callback(url, std::move(done), weak.lock());
                       },
                       log_event});
  register_conformance_routes(admin, *conformance);
  register_sheet_routes(admin, {&rt, editor.get(), log_event});
  register_control_room_routes(admin);
  a->register_owner_routes(admin, *this);
}

// The systems listener: the backend systems this process runs, and the virtual cards they use.
void world_instance::register_system_side_routes(const kiosk_context& kiosk) {
  std::vector<const system_config*> backends;
  for (auto* s : app->running)
    if (s->kind != system_kind::portal) backends.push_back(rt.world.find_system(s->id));
  register_system_routes(routers["systems"], rt, backends);
  register_backend_routes(routers["systems"],
                          {&rt, app->client.get(), [this](const std::string& id) { return url_of(id); }}, backends);
  if (!backends.empty()) register_virtual_card_routes(routers["systems"], kiosk);
}

// Myna Portal: its web pages and landing page on the app listener, the kiosk and the API on sp.
void world_instance::register_portal_routes(const kiosk_context& kiosk) {
  auto* a = app;
  register_kiosk_routes(routers["sp"], kiosk);
  register_web_routes(routers["app"], rt.data, auth);
  register_landing_routes(
      routers["app"], {&rt, &cards, [a, p = prefix](const std::string& host) { return a->control_room_url(host, p); },
                       [a] { return std::to_string(a->ports.count("sp") ? a->ports.at("sp") : 0); }, prefix});
  register_api_routes(routers["sp"], {&rt.data, &auth, processes.get(), rt.world.server.sp.tls.require_client_cert});
}

// IF001-05: the faults decide each notification's fate; every attempt is reported.
void world_instance::hook_notifications() {
  auto* a = app;
  processes->set_hooks({[this, a](const std::string& client_id, const std::string& persona, bool& drop, millis& delay,
                                  int& copies, std::vector<std::string>& fired) {
                          a->guarded("notification_faults", [&] {
                            auto d = faults.decide_notification(client_id, persona);
                            drop = d.drop;
                            delay = d.delay;
                            copies = d.copies;
                            fired = d.fired;
                          });
                        },
                        [this, a](const notification_report& r, const process_record& p) {
                          a->guarded("notification_report", [&] { notified(r, p); });
                        },
                        [this] { return journal.begin(); }});
}

void world_instance::reset_all() {
  if (conformance) conformance->reset();  // puts its arrangements back first
  faults.clear();
  scenarios.stop();
  rt.clock.reset();  // to the world's starting clock
  cards.reset();
  auth.reset();
  processes->reset();
  journal.clear();
  exchanged_codes.clear();
  if (startup_scenario) scenarios.start(*startup_scenario);
}

void world_instance::tick() {
  app->guarded("scenarios", [this] { scenarios.tick(); });
  if (conformance) app->guarded("conformance", [this] { conformance->tick(); });
}

// Removed: nothing of it runs again. Pending timers and hops keep it alive until they fire
// (processor::set_keep_alive) and then find no process.
void world_instance::retire() {
  app->guarded("retire", [this] {
    if (conformance) conformance->reset();
    scenarios.stop();
    faults.clear();
    processes->reset();
    auth.reset();
    journal.clear();
    exchanged_codes.clear();
  });
}

// One IF001-05 attempt: journal entry, log line, metrics.
void world_instance::notified(const notification_report& r, const process_record& p) {
  journal_entry e;
  e.at = rt.clock.now();
  e.started = r.started == instant{} ? e.at : r.started;
  e.start_seq = r.start_seq;
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
  if (!settings.id.empty()) line["world"] = settings.id;
  if (r.outcome != "delivered") line["error"] = r.answer.substr(0, 200);
  line["next_retry_ms"] = r.next_retry ? nlohmann::json(r.next_retry->count()) : nlohmann::json();
  if (!r.fired.empty()) line["faults"] = r.fired;
  app->log.event("notification", line);
  app->meters.notification(r.outcome, r.attempt);
}

// What happens in this world without a request asking for it: clock changes, faults firing,
// scenario steps.
void world_instance::observe() {
  auto* a = app;
  auto id = settings.id;
  rt.clock.on_change([a, id](const char* how, const clock_state& s) {
    nlohmann::json line{{"how", how}, {"now", format_instant(s.now)}, {"speed", s.speed}, {"frozen", s.frozen}};
    if (!id.empty()) line["world"] = id;
    a->log.event("clock_changed", line);
    a->meters.clock_change(how);
  });
  faults.on_fire([a, id](const fault& f) {
    nlohmann::json line{{"id", f.id},
                        {"kind", to_string(f.kind)},
                        {"target", f.target},
                        {"remaining", f.remaining ? nlohmann::json(*f.remaining) : nlohmann::json()}};
    if (!id.empty()) line["world"] = id;
    a->log.event("fault_fired", line);
    a->meters.fault_fired(to_string(f.kind), f.target);
  });
  scenarios.on_step([a, id](const nlohmann::json& step) {
    auto line = step;
    if (!id.empty() && line.is_object()) line["world"] = id;
    a->log.event("scenario_step", line);
    a->meters.scenario_step();
  });
}

nlohmann::json world_instance::describe(const std::string& admin_base, const std::string& app_base,
                                        const std::string& sp_base) const {
  auto idle_ms = idle().count();
  nlohmann::json j{{"id", settings.id},
                   {"declared", settings.declared},
                   {"created", format_instant(std::chrono::time_point_cast<millis>(created))},
                   {"idle_ms", idle_ms},
                   {"ttl_ms", std::chrono::duration_cast<std::chrono::milliseconds>(settings.ttl).count()},
                   {"requests", requests.load(std::memory_order_relaxed)},
                   {"virtual_time", format_instant(rt.clock.now())},
                   {"urls",
                    {{"admin", admin_base + prefix + "/__admin"},
                     {"control_room", admin_base + prefix + "/__admin/ui"},
                     {"app", app_base.empty() ? "" : app_base + prefix},
                     {"sp", sp_base.empty() ? "" : sp_base + prefix}}}};
  if (settings.declared) j["ttl_ms"] = nullptr;
  return j;
}

}  // namespace mynasim
