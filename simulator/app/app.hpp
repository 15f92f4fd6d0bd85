// SPDX-License-Identifier: Apache-2.0
// Wiring: builds every system of a world from its configuration, starts the listeners and
// shuts them down. The only place that knows all the parts.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "config/world.hpp"

namespace mynasim {

struct world_runtime;

// A problem found while starting (bad listener, missing token, certificate failure).
class startup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct app_options {
  std::vector<std::string> only;          // systems this process runs; empty = all
  std::optional<std::string> host;        // address for app, sp and systems listeners
  std::optional<std::string> admin_host;  // address for the admin listener
  std::optional<std::string> admin_token;
  std::optional<bool> json_logs;
  // Base URL of systems this process does not run, "{id}" standing for the system id.
  // Default: this process's own systems listener.
  std::string peer_url_template;
  std::string scenario_file;  // a scenario started with the server (and again on reset)
  // [CLIENT_ID=]URL of the API user's app: redirect URI URL/callback, notification URL
  // URL/myna/notify, for one service or every one (--api-user, MYNASIM_API_USER).
  std::vector<std::string> api_users;
  bool watch = false;  // reload when a world file changes
  // Split world: the admin URL of the process that owns the world's state (clock, faults,
  // scenarios, sheets, journal); empty = this process owns it.
  std::string world_owner;
  // Listener ports over the world's server section (--app-port …, --port-base; 0: any free one).
  std::map<std::string, std::uint16_t> ports;
  // Written once every listener is ready: the actual URLs and ports, as JSON (--ready-file);
  // removed again when the process stops.
  std::string ready_file;
  // Each world's virtual clock as libfaketime reads it: DIR/default, DIR/worlds/{id} (--faketime-dir).
  std::string faketime_dir;
  std::ostream* out = nullptr;  // logs; default std::cout
};

class simulator_app {
 public:
  simulator_app(world_config world, app_options options);
  ~simulator_app();

  void run();    // serve until SIGINT/SIGTERM, then shut down gracefully
  void start();  // serve on background threads
  void shutdown();
  void join();

  // The bound port of a listener (app, sp, admin, systems); 0 if it is not running.
  std::uint16_t port(const std::string& listener) const;
  world_runtime& runtime();
  // A named world's runtime state; null when there is no such world.
  world_runtime* runtime(std::string_view world);
  // Every route served: listener → (method, pattern), for checking the API documents.
  std::vector<std::tuple<std::string, std::string, std::string>> routes() const;

  struct impl;  // app/app_impl.hpp

 private:
  std::unique_ptr<impl> impl_;
};

// Runs the certificate script when any generated file is missing; throws startup_error.
void ensure_certificates(const server_config& server);

}  // namespace mynasim
