// SPDX-License-Identifier: Apache-2.0
// The wiring's own parts, shared by the files of app/ (not included outside it): one world's
// parts (`world_instance`) and the process that serves them all (`simulator_app::impl`).
//
// A world is everything a user can change: its virtual clock, faults, scenario, journal,
// sessions, codes, tokens, processes, cards' PIN tries, runtime sheet changes, conformance
// runs — and its routers, built from them. The process holds what every world shares: the
// listeners, the HTTP client, the simulated cards' keys (JPKI), the background pool, the log
// and the metrics. The default world answers on the unprefixed paths; a named world under
// /worlds/{id}/ (app/worlds.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "app/metrics.hpp"
#include "app/request_log.hpp"
#include "clock/faketime.hpp"
#include "core/background_pool.hpp"
#include "core/expiring_store.hpp"
#include "core/http.hpp"
#include "core/ids.hpp"
#include "core/router.hpp"
#include "faults/fault_registry.hpp"
#include "faults/scenario.hpp"
#include "portal/authorization.hpp"
#include "portal/cards.hpp"
#include "world/editor.hpp"
#include "world/journal.hpp"
#include "world/runtime.hpp"

namespace mynasim {

class conformance_runner;
class http_client;
class http_server;
class jpki;
class processor;
class world_link;
struct kiosk_context;
struct notification_report;
struct process_record;

// What a named world was created with, and how it is reached.
struct world_settings {
  std::string id;
  std::string token;                   // its world token: its own /worlds/{id}/__admin/… only
  std::chrono::seconds ttl{3600};      // idle this long on the wall clock → removed
  std::vector<std::string> bound;      // client_ids whose unprefixed requests go to this world
  std::vector<std::string> api_users;  // [CLIENT_ID=]URL overrides of the API user's app
  std::optional<std::string> clock;    // starting instant (frozen there), ISO-8601
  bool declared = false;               // from the world YAML (`worlds:`): never expires
};

// The base URLs of the admin, app and sp listeners ("" for one not running).
struct world_bases {
  std::string admin, app, sp;
};

struct world_instance : std::enable_shared_from_this<world_instance> {
  world_instance(simulator_app::impl& owner, world_settings s, world_config config,
                 std::shared_ptr<const world_data> data);
  ~world_instance();
  world_instance(const world_instance&) = delete;
  world_instance& operator=(const world_instance&) = delete;

  // Builds the parts that need the shared_ptr (the processor's keep-alive) and the routers.
  void build(const std::vector<sheet_change>& startup);

  simulator_app::impl* app;
  world_settings settings;
  std::string prefix;  // "" for the default world, else "/worlds/{id}"
  world_runtime rt;
  id_generator ids;
  card_registry cards;
  authorization auth;
  std::unique_ptr<processor> processes;
  fault_registry faults;
  request_journal journal;
  scenario_runner scenarios;
  std::unique_ptr<conformance_runner> conformance;
  std::optional<scenario> startup_scenario;
  std::unique_ptr<world_editor> editor;
  std::map<std::string, router> routers;  // by listener name
  // Authorization codes a token exchange was answered 200 for → the client (the proof that a
  // later exchange presenting the same code is that client's: MPE2003, code reused).
  expiring_store<std::string> exchanged_codes{10000, std::chrono::hours(24)};
  std::chrono::system_clock::time_point created = std::chrono::system_clock::now();
  std::atomic<std::int64_t> last_used_ms{0};  // steady clock, for the TTL
  std::atomic<std::uint64_t> requests{0};
  // A follower's copy of a named world: the version of the owner's runtime changes adopted.
  std::atomic<std::uint64_t> owner_sheets{0};

  bool is_default() const { return prefix.empty(); }
  void touch();
  std::chrono::milliseconds idle() const;
  std::string url_of(const std::string& system_id) const;
  void reset_all();
  void tick();    // due scenario steps, conformance runs
  void retire();  // removed: pending work finds nothing to do
  void notified(const notification_report& r, const process_record& p);
  nlohmann::json describe(const std::string& admin_base, const std::string& app_base, const std::string& sp_base) const;

 private:
  void register_routes();
  void register_system_side_routes(const kiosk_context& kiosk);
  void register_portal_routes(const kiosk_context& kiosk);
  void hook_notifications();
  void observe();
};

// A path under a named world: "/worlds/{id}/rest" → {id, "/rest"} (the id a view into the path,
// not yet checked); nullopt for any other path (app/worlds.cpp).
struct world_path {
  std::string_view id;
  std::string rest;
};
std::optional<world_path> split_world_path(std::string_view path);

// The client a request names for itself, proved or not (?client_id=, a form's, a JSON body's
// once parsed), at most 64 bytes: the journal's claimed_client_id and a binding's key
// (app/pipeline.cpp).
std::string claimed_client_of(const http_request& req);

struct simulator_app::impl {
  impl(world_config world, app_options opts);
  ~impl();

  app_options options;
  request_log log;
  std::vector<const system_config*> running;
  std::atomic<bool> ready{false};
  std::map<std::string, std::uint16_t> ports;
  std::unique_ptr<http_server> server;
  std::unique_ptr<http_client> client;
  std::unique_ptr<jpki> pki;
  metrics meters;
  std::unique_ptr<world_link> link;        // set when this process follows a world owner
  std::string node;                        // journal tag in a split world: the systems this process runs
  std::string systems_host = "127.0.0.1";  // how this process reaches its own systems listener
  int ticks = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::vector<sheet_change> startup_changes;  // --api-user, applied to every world

  // The default world, and the named ones (app/worlds.cpp).
  std::shared_ptr<world_instance> home;
  mutable std::mutex worlds_mutex;
  std::map<std::string, std::shared_ptr<world_instance>, std::less<>> worlds;
  std::map<std::string, std::string, std::less<>> bindings;  // client_id → world id
  std::shared_ptr<const world_config> world_template;        // the files' world, sheets moved out
  std::shared_ptr<const world_data> data_template;           // the files' sheets + --api-user

  // Key work off the I/O threads, fair per owner. Last: stopped first, before what its jobs use.
  background_pool background{{2, 512, 16}};

  // app.cpp: startup, listeners, process-wide routes.
  void apply_overrides();
  void build_process_routes(router& admin);
  nlohmann::json health_facts() const;
  void get_callback(const std::string& url, std::function<void(std::string, bool)> done,
                    std::shared_ptr<world_instance> hold);
  void follow_world_owner();
  void start_scenario_file();
  void register_owner_routes(router& r, world_instance& w);
  void register_owner_journal_route(router& r);
  void export_cas();
  std::shared_ptr<const std::string> ca_pem;  // ca.crt, read by export_cas before serving
  bool ready_file_written = false;
  void write_ready_file();
  void warn_if_exposed();
  void remove_ready_file();
  // faketime_files.cpp: --faketime-dir, each world's clock for libfaketime. `inline_write`: on
  // the calling thread (at startup and stop), else on the background pool, one batch at a time.
  std::map<std::string, faketime_spec> faketime_written;  // "default" / "worlds/{id}" → as written
  std::shared_ptr<std::atomic<bool>> faketime_writing = std::make_shared<std::atomic<bool>>(false);
  void keep_faketime_files(bool inline_write);
  void remove_faketime_files();
  void listen_all();
  void housekeeping();
  void reload_if_changed();
  bool runs(system_kind kind) const;
  std::string url_of(const std::string& id, const std::string& prefix) const;
  std::string control_room_url(const std::string& app_host, const std::string& prefix) const;
  void observe_process();
  http_response metrics_page();
  void sync_pki();
  static constexpr std::size_t max_error_bytes = 300;
  void guarded(const char* step, const std::function<void()>& work) noexcept;

  // pipeline.cpp: from a request to the world's router, and the journal after it.
  void dispatch(http_request& req, respond_fn respond);
  void dispatch_in(const std::shared_ptr<world_instance>& w, http_request& req, respond_fn respond);
  // split_world.cpp: a follower's side of the worlds.
  void ask_owner(const std::shared_ptr<world_instance>& w, http_request& req, fault_decision decision,
                 respond_fn respond);
  void adopt_owner_sheets(const std::shared_ptr<world_instance>& w, std::uint64_t version,
                          std::function<void(std::string)> then);
  void follow_world(const std::string& id, std::shared_ptr<http_request> req, respond_fn respond);
  void finish_dispatch(world_instance& w, std::shared_ptr<http_request> req, fault_decision decision,
                       fault_decision more, respond_fn respond);
  void fill_facts(world_instance& w, http_request& req);
  void fill_hop_facts(world_instance& w, http_request& req) const;
  void authenticate_client(world_instance& w, http_request& req);
  void attribute_screen(world_instance& w, http_request& req);
  void file_under_identity(world_instance& w, const http_request& req, const http_response& res, journal_entry& e);
  void count(const http_request& req, const http_response& res, const std::string& error_code,
             std::chrono::microseconds latency);
  void complete(const http_request& req, const http_response& res, std::chrono::microseconds latency);
  http_response as_telegram(world_instance& w, const http_request& req, const http_response& res);
  std::optional<http_response> header_fault(world_instance& w, http_request& req, const std::string& spec,
                                            fault_decision& decision, std::string& bound);
  bool fault_header_allowed(const world_instance& w, const std::string& listener) const;

  // worlds.cpp: resolving, creating, listing, removing worlds.
  std::shared_ptr<world_instance> resolve(http_request& req, std::string& error);
  std::shared_ptr<world_instance> find_world(std::string_view id) const;
  std::shared_ptr<world_instance> bound_world(http_request& req) const;
  std::shared_ptr<world_instance> make_world(world_settings s, std::string& error);
  std::optional<std::string> world_of_token(std::string_view token) const;
  void register_world_routes(router& admin);
  nlohmann::json described(const world_instance& w, const world_bases& bases) const;
  world_bases bases_for(const http_request& req) const;
  void create_world(http_request& req, respond_fn respond);
  void register_binding_routes(router& admin);
  std::string refusal_locked(const world_settings& s) const;
  std::shared_ptr<const world_data> sheets_for(const world_settings& s, std::vector<sheet_change>& startup,
                                               std::string& error) const;
  void expire_worlds();
  bool remove_world(const std::string& id, const char* why);
  std::size_t max_worlds() const;
  void declare_worlds();
};

}  // namespace mynasim
