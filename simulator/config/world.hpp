// SPDX-License-Identifier: Apache-2.0
// The simulated world as plain structs: parsed once from YAML, validated strictly, then
// handed to every system. Nothing here knows about sockets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calendar/holidays.hpp"
#include "calendar/operating_rules.hpp"
#include "clock/virtual_clock.hpp"
#include "data/world_data.hpp"

namespace mynasim {

struct tls_config {
  bool enabled = false;
  std::string cert_file;  // empty: the generated one in certs_dir
  std::string key_file;
  bool require_client_cert = false;  // mutual TLS
  std::string client_ca_file;        // empty: the generated dev CA
};

struct listener_config {
  std::string name;
  bool enabled = true;
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  tls_config tls;
  std::string bearer_token;  // admin only; required when bound beyond loopback
};

inline listener_config make_listener(std::string name, std::uint16_t port, bool tls) {
  listener_config l;
  l.name = std::move(name);
  l.port = port;
  l.tls.enabled = tls;
  return l;
}

struct server_config {
  listener_config app = make_listener("app", 8443, true);
  listener_config sp = make_listener("sp", 9443, true);
  listener_config admin = make_listener("admin", 8081, false);
  listener_config systems = make_listener("systems", 8090, false);
  int threads = 1;
  millis read_timeout{15000};
  millis write_timeout{15000};
  millis handshake_timeout{5000};
  millis shutdown_grace{5000};
  std::size_t header_limit = std::size_t{16} * 1024;
  std::size_t body_limit = std::size_t{1024} * 1024;
  std::size_t max_connections = 2048;
  // How this process reaches its own systems listener: handed over in memory (the default)
  // or over loopback TCP. Either way every hop is an HTTP exchange the journal and faults see.
  bool in_memory_hops = true;
  std::string certs_dir;     // resolved absolute path
  std::string certs_script;  // resolved absolute path of certs/generate.sh
};

enum class system_kind { portal, network, juki, intermediate };
const char* to_string(system_kind k);

struct system_config {
  std::string id;    // ASCII, DNS-safe: used in URLs and container names
  std::string name;  // exactly as the guideline's tables name it
  system_kind kind = system_kind::intermediate;
  std::string part_of;  // a sub-part of another system (e.g. a daily-stopping component)
  std::string table;    // the guideline row it models, e.g. "表2.5-4 No.9"
  operating_rules rules;
  std::string note;  // remarks column, verbatim
};

// Thresholds of the conformance lint (/__admin/lint) and of the conformance tests.
struct conformance_config {
  int polling_storm = 10;                   // MPE3008 answers for one process
  millis slow_notification{3000};           // a slower acknowledgement of IF001-05
  millis outage_retry_gap{10 * 60 * 1000};  // minimum wait after an outage answer without reopens_at
  millis settle{2000};                      // a test's flow must stay quiet this long before it passes
  millis test_timeout{5 * 60 * 1000};       // how long a test waits for the API user's flow
  millis fallback_within{30000};            // notification-lost: the result fetched within this of the request
};

struct logging_config {
  bool json = true;
  bool requests = true;
  bool metrics = true;  // count requests for /metrics
};

// Bounds of the runtime sheet changes (admin API, --api-user): kept while serving, replayed at
// every reload, and sent whole to a split world's followers (GET /__admin/changes?full=1).
struct change_limits {
  std::size_t max_changes = 10000;
  std::size_t max_bytes = std::size_t{16} * 1024 * 1024;        // the whole list, as the followers read it
  std::size_t max_change_bytes = std::size_t{2} * 1024 * 1024;  // one change
};
// The largest max_bytes a world may set: a follower reads the whole list within its 64 MiB
// answer limit (app/world_link.cpp asserts the two fit).
inline constexpr std::size_t max_change_list_bytes = std::size_t{48} * 1024 * 1024;

struct qa_config {
  // X-Mynasim-Fault: unset = honoured only on listeners bound to a loopback address.
  std::optional<bool> allow_fault_header;
  std::size_t max_faults = 256;  // active faults from the admin API and scenarios
  std::string scenarios_dir;     // resolved absolute path; scenario files are read only from here
  std::size_t journal_max_entries = 10000;
  std::size_t journal_max_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t journal_body_bytes = 2048;  // request/response bodies kept per entry
  change_limits runtime_changes;
};

// `worlds:` — named worlds (each its own clock, faults, journal and state) beside the
// default one: how many at most, how long an idle one lives, and those declared here.
struct declared_world {
  std::string id;
  std::optional<std::string> clock;    // starting instant (frozen there)
  std::vector<std::string> bind;       // client_ids whose unprefixed requests go to it
  std::vector<std::string> api_users;  // [CLIENT_ID=]URL, as --api-user
  std::vector<std::string> bind_at;    // "file:line:col: path" of each bind entry, for errors
};
struct worlds_config {
  std::size_t max = 100;  // named worlds at once; one more is refused, none evicted
  millis idle_ttl = std::chrono::hours(1);
  millis max_ttl = std::chrono::hours(24 * 7);
  std::vector<declared_world> declared;
};
// A world id: 1-63 of a-z, 0-9 and '-', starting with a letter or digit.
bool is_world_id(std::string_view id);

struct world_config {
  std::string entry_file;  // absolute path of the entry YAML
  // Where its files may come from: its own folder (the entry file's, fixed at startup), the
  // default world's fixtures and the folders of $MYNASIM_WORLD_ROOTS — see core/paths.hpp.
  std::string folder;
  std::vector<std::string> file_roots;
  std::vector<std::string> files;  // every file read, entry first (what `serve --watch` watches)
  // The sections a reload cannot apply (server, systems, clock, …) as YAML text, to tell
  // which of them an edited world changes.
  std::map<std::string, std::string> fixed_sections;
  std::string name = "mynasim default world";
  server_config server;
  logging_config logging;
  conformance_config conformance;
  qa_config qa;
  worlds_config worlds;
  clock_settings clock;
  holiday_adjustments holidays;
  std::vector<system_config> systems;
  world_data data;

  const system_config* find_system(std::string_view id) const;
};

// Loads the entry file and everything it includes; throws config_error. Every file read must
// lie, once its symbolic links are followed, inside the world's folder or another of its
// file_roots: `folder`, or when empty the folder of the entry file itself (a reload passes the
// folder the world started with, so an entry file swapped for a link elsewhere is refused).
world_config load_world(const std::string& entry_file, const std::string& folder = {});

// Parses the operating-rule part of one system mapping (exposed for unit tests).
class yaml_map;
operating_rules parse_operating_rules(const yaml_map& map);

}  // namespace mynasim
