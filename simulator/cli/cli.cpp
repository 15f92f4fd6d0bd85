// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.hpp"

#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "calendar/availability_view.hpp"
#include "config/yaml_reader.hpp"
#include "conformance/lint.hpp"
#include "conformance/plan.hpp"
#include "core/json_util.hpp"
#include "core/paths.hpp"
#include "faults/scenario.hpp"
#include "jpki/jpki.hpp"
#include "net/admin_client.hpp"
#include "net/http_client.hpp"
#include "world/runtime.hpp"

namespace mynasim {
namespace fs = std::filesystem;

namespace {

struct option_spec {
  const char* name;
  const char* value;  // nullptr for a flag
  const char* help;
  bool repeatable = false;
};

struct command_spec {
  const char* name;
  const char* summary;
  std::vector<option_spec> options;
  std::function<int(const parsed_command&, std::ostream&, std::ostream&)> run;
  const char* operand = nullptr;  // the one argument that is no option ("ID"), kept under this name
};

const option_spec config_option{"--config", "FILE", "world entry YAML (default: the built-in default world)"};
const option_spec admin_url_option{"--admin", "URL",
                                   "mynasim's admin URL (default: MYNASIM_ADMIN_URL or http://127.0.0.1:8081)"};
const option_spec admin_token_option{"--admin-token", "TOKEN",
                                     "bearer token for /__admin (default: MYNASIM_ADMIN_TOKEN)"};

int serve(const parsed_command&, std::ostream&, std::ostream&);
int check(const parsed_command&, std::ostream&, std::ostream&);
int holidays(const parsed_command&, std::ostream&, std::ostream&);
int availability(const parsed_command&, std::ostream&, std::ostream&);
int timeline(const parsed_command&, std::ostream&, std::ostream&);
int card_sign(const parsed_command&, std::ostream&, std::ostream&);
int conformance_run(const parsed_command&, std::ostream&, std::ostream&);
int errors(const parsed_command&, std::ostream&, std::ostream&);
int world_create(const parsed_command&, std::ostream&, std::ostream&);
int world_list(const parsed_command&, std::ostream&, std::ostream&);
int world_delete(const parsed_command&, std::ostream&, std::ostream&);

// Every command, in the order `mynasim --help` lists them.
const command_spec command_table[] = {
    {"serve",
     "run the simulated world (Myna Portal, 情報提供ネットワークシステム, 住基ネット, 中間サーバ)",
     {config_option,
      {"--only", "ID[,ID…]", "run only these systems (see `mynasim check` for ids); repeatable", true},
      {"--host", "ADDR",
       "bind the app, sp and systems listeners to ADDR (e.g. 0.0.0.0 in a container); also MYNASIM_HOST"},
      {"--admin-host", "ADDR",
       "bind the admin listener to ADDR (needs a bearer token unless loopback); also MYNASIM_ADMIN_HOST"},
      {"--admin-token", "TOKEN", "bearer token for /__admin (default: MYNASIM_ADMIN_TOKEN or the config)"},
      {"--log-format", "json|text", "request log format (default: the config's logging.format)"},
      {"--peer-url-template", "URL", "base URL of systems not run here; {id} becomes the system id"},
      {"--scenario", "FILE", "start this scenario (scenarios/*.yaml) with the server"},
      {"--api-user", "[CLIENT_ID=]URL",
       "your app: URL/callback becomes a redirect URI and URL/myna/notify the notification URL of CLIENT_ID "
       "(default: every service); repeatable; also MYNASIM_API_USER",
       true},
      {"--watch", nullptr, "reload the world files when they change (sheets only; other sections need a restart)"},
      {"--world-owner", "URL",
       "split world: follow the process that owns the world's clock, faults, sheets and journal, "
       "reached at its admin URL (e.g. http://portal:8081); also MYNASIM_WORLD_OWNER"},
      {"--app-port", "N", "port of the app listener (0: any free one); also MYNASIM_APP_PORT"},
      {"--sp-port", "N", "port of the sp listener; also MYNASIM_SP_PORT"},
      {"--admin-port", "N", "port of the admin listener; also MYNASIM_ADMIN_PORT"},
      {"--systems-port", "N", "port of the systems listener; also MYNASIM_SYSTEMS_PORT"},
      {"--port-base", "N",
       "app on N, sp on N+1, admin on N+2, systems on N+3 (0: any free ones); also MYNASIM_PORT_BASE"},
      {"--ready-file", "PATH",
       "once every listener is ready, write the actual URLs and ports there as JSON (removed at exit); "
       "also MYNASIM_READY_FILE"},
      {"--faketime-dir", "DIR",
       "keep each world's virtual now there for libfaketime (DIR/default, DIR/worlds/ID; an app run with "
       "FAKETIME_TIMESTAMP_FILE=DIR/default FAKETIME_NO_CACHE=1 TZ=Asia/Tokyo lives in the virtual now); also "
       "MYNASIM_FAKETIME_DIR"}},
     serve},
    {"check",
     "validate a world's YAML without serving (and scenario files against it)",
     {config_option,
      {"--scenario", "FILE", "also validate this scenario file, as POST /__admin/scenarios would; repeatable", true}},
     check},
    {"version",
     "print the version",
     {},
     [](const parsed_command&, std::ostream& out, std::ostream&) {
       out << "mynasim " << MYNASIM_VERSION << "\n";
       return 0;
     }},
    {"holidays",
     "print Japanese national holidays, one per line: YYYY-MM-DD<TAB>name (equinox days checked "
     "against the published dates to 2027; later ones are the standard approximation)",
     {{"--from", "YYYY", "first year (1955 or later)"}, {"--to", "YYYY", "last year (2100 or earlier)"}, config_option},
     holidays},
    {"availability",
     "print every system's state at an instant, from the YAML alone",
     {{"--at", "ISO-8601", "the instant (default: the world's clock start, else now)"},
      {"--json", nullptr, "print JSON as /__admin/availability does"},
      config_option},
     availability},
    {"timeline",
     "print one system's up/down windows between two instants",
     {{"--system", "ID", "the system id"},
      {"--from", "ISO-8601", "start"},
      {"--to", "ISO-8601", "end (at most 400 days after --from)"},
      {"--json", nullptr, "print JSON as /__admin/availability/timeline does"},
      config_option},
     timeline},
    {"errors",
     "print the error catalogue (Markdown, or JSON with --json)",
     {{"--json", nullptr, "print JSON"}, config_option},
     errors},
    {"lint rules",
     "print the conformance lint's rules (Markdown): what /__admin/lint checks in an API user's calls",
     {},
     [](const parsed_command&, std::ostream& out, std::ostream&) {
       out << lint_rules_markdown();
       return 0;
     }},
    {"conformance tests",
     "print the conformance tests (Markdown): what each arranges, what passes, the remedy",
     {},
     [](const parsed_command&, std::ostream& out, std::ostream&) {
       out << conformance_tests_markdown();
       return 0;
     }},
    {"conformance run",
     "run conformance tests against your app through a running mynasim: each test is announced, then waits for "
     "your app's flow (your e2e script or you, by hand) and judges it; exit 0 when none failed",
     {{"--client-id", "ID", "your service's client_id (サービス提供者ID_サービスID)"},
      {"--plan", "PLAN", "all (default), basic, or test ids separated by commas (happy-path:date for one method)"},
      admin_url_option,
      admin_token_option,
      {"--junit", "FILE", "write the JUnit XML report here (one test case per test)"},
      {"--json", "FILE", "write the JSON report here"},
      {"--markdown", "FILE", "write the Markdown summary here"},
      {"--timeout", "MINUTES", "give up after this long in all (default 60)"},
      {"--complete-screens", nullptr,
       "the portal completes the consent and card screens itself for each test's persona and action: your e2e "
       "script needs only an HTTP client that follows redirects"}},
     conformance_run},
    {"world create",
     "make a named world in a running mynasim (POST /__admin/worlds): its own clock, faults, journal and state "
     "under /worlds/{id}/…; prints its id, URLs and token",
     {{"--id", "ID", "the world's id: 1-63 of a-z, 0-9 and '-' (default: one mynasim picks)"},
      {"--ttl", "DURATION", "remove it after this long idle, ISO-8601 such as PT1H (default: the server's)"},
      {"--clock", "ISO-8601", "start its clock at this instant (its reset returns there)"},
      {"--bind", "CLIENT_ID", "send this service's unprefixed requests to the world; repeatable", true},
      {"--api-user", "[CLIENT_ID=]URL", "your app, as `mynasim serve --api-user`, in this world only; repeatable",
       true},
      {"--json", nullptr, "print the server's JSON answer"},
      {"--env", nullptr,
       "print shell lines MYNASIM_WORLD, MYNASIM_WORLD_TOKEN, MYNASIM_APP_URL, MYNASIM_SP_URL, MYNASIM_ADMIN_URL "
       "(for eval \"$(mynasim world create --env)\")"},
      admin_url_option,
      admin_token_option},
     world_create},
    {"world list",
     "list the named worlds of a running mynasim (GET /__admin/worlds)",
     {{"--json", nullptr, "print the server's JSON answer"}, admin_url_option, admin_token_option},
     world_list},
    {"world delete",
     "remove a named world of a running mynasim (DELETE /__admin/worlds/{id}); exit 1 when there is none",
     {admin_url_option, admin_token_option},
     world_delete,
     "ID"},
    {"card sign",
     "sign a base64 challenge with a persona's simulated card (利用者証明用 key), checking its PIN",
     {{"--serial", "SERIAL", "the card serial (see personas.yaml)"},
      {"--pin", "NNNN", "the 4-digit 利用者証明用 PIN; 3 wrong PINs lock the card"},
      {"--challenge", "BASE64", "the challenge from POST /online-kiosk-web/challenge"},
      config_option},
     card_sign},
};

const command_spec* find_command(const std::string& name) {
  for (const auto& c : command_table)
    if (name == c.name) return &c;
  return nullptr;
}

// Commands whose name starts with `word` and a space ("card" → "card sign").
std::vector<const command_spec*> group_of(const std::string& word) {
  std::vector<const command_spec*> out;
  for (const auto& c : command_table)
    if (std::string(c.name).rfind(word + " ", 0) == 0) out.push_back(&c);
  return out;
}

void print_usage(std::ostream& out) {
  out << "mynasim — a local simulator of Myna Portal's 自己情報取得API and the systems behind it\n\n"
         "usage: mynasim <command> [options]\n\ncommands:\n";
  std::size_t column = 0;
  for (const auto& c : command_table) column = std::max(column, std::string(c.name).size() + 2);
  for (const auto& c : command_table)
    out << "  " << c.name << std::string(column - std::string(c.name).size(), ' ') << c.summary << "\n";
  out << "\n`mynasim <command> --help` describes a command's options.\n";
}

// Columns a string takes in a terminal: UTF-8 continuation bytes take none (the option
// column holds no double-width characters).
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void print_command_help(const command_spec& c, std::ostream& out) {
  out << "usage: mynasim " << c.name << (c.operand ? std::string(" ") + c.operand : "") << " [options]\n\n"
      << c.summary << "\n\noptions:\n";
  auto left_of = [](const option_spec& o) { return std::string(o.name) + (o.value ? std::string(" ") + o.value : ""); };
  std::size_t column = 24;  // descriptions start two columns after the widest option
  for (const auto& o : c.options) column = std::max(column, display_width(left_of(o)) + 2);
  for (const auto& o : c.options) {
    auto left = left_of(o);
    out << "  " << left << std::string(column - display_width(left), ' ') << o.help << "\n";
  }
  out << "  --help" << std::string(column - 6, ' ') << "show this help\n";
}

world_config load_or_report(const parsed_command& cmd, std::ostream& err, int& code) {
  auto path = cmd.value("--config").value_or(default_config_path());
  try {
    code = 0;
    return load_world(path);
  } catch (const config_error& e) {
    err << "mynasim: configuration error: " << e.what() << "\n";
    // A missing entry file in an empty folder is, nearly always, a Compose bind mount of a
    // folder that does not exist (Docker creates it empty): say so.
    std::error_code ec;
    auto folder = fs::path(path).parent_path();
    if (!fs::exists(path, ec) && fs::is_directory(folder, ec) && fs::is_empty(folder, ec))
      err << "mynasim: the world folder " << folder.string()
          << " is empty: with Docker Compose, MYNASIM_WORLD_DIR must name an existing folder holding "
          << fs::path(path).filename().string() << " (a copy of fixtures/)\n";
  }
  code = 2;
  return {};
}

instant default_instant(const world_config& w) {
  return w.clock.start ? *w.clock.start : std::chrono::time_point_cast<millis>(std::chrono::system_clock::now());
}

// An option's value, else the environment variable's when it is set and not empty.
std::optional<std::string> value_or_env(const parsed_command& cmd, const char* option, const char* variable) {
  if (auto v = cmd.value(option)) return v;
  if (const char* env = std::getenv(variable); env && *env) return std::string(env);
  return std::nullopt;
}

// --only ID[,ID…], repeatable: the systems this process runs.
std::vector<std::string> only_systems(const parsed_command& cmd) {
  std::vector<std::string> ids;
  if (!cmd.has("--only")) return ids;
  for (const auto& v : cmd.options.at("--only")) {
    std::stringstream ss(v);
    for (std::string id; std::getline(ss, id, ',');)
      if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

// --api-user, repeatable; else MYNASIM_API_USER, specs separated by spaces.
std::vector<std::string> api_users(const parsed_command& cmd) {
  if (cmd.has("--api-user")) return cmd.options.at("--api-user");
  std::vector<std::string> specs;
  if (const char* env = std::getenv("MYNASIM_API_USER"); env && *env) {
    std::stringstream ss(env);
    for (std::string spec; ss >> spec;) specs.push_back(spec);
  }
  return specs;
}

// The serve options whose values must have a given form; false once one is reported wrong.
bool check_serve_values(const parsed_command& cmd, app_options& options, std::ostream& err) {
  if (auto f = cmd.value("--log-format")) {
    if (*f != "json" && *f != "text") {
      err << "mynasim serve: --log-format must be json or text\n";
      return false;
    }
    options.json_logs = *f == "json";
  }
  if (auto t = cmd.value("--peer-url-template")) {
    if (t->find("{id}") == std::string::npos || t->rfind("http://", 0) != 0) {
      err << "mynasim serve: --peer-url-template must be an http:// URL containing {id}\n";
      return false;
    }
    options.peer_url_template = *t;
  }
  if (auto owner = value_or_env(cmd, "--world-owner", "MYNASIM_WORLD_OWNER")) {
    bool tls = false;
    std::string host, port, target;
    if (!split_url(*owner, tls, host, port, target) || (target != "/" && !target.empty())) {
      err << "mynasim serve: --world-owner must be the owner's admin URL, such as http://portal:8081\n";
      return false;
    }
    options.world_owner = *owner;
  }
  return true;
}

// A port number from an option or variable; false once reported wrong.
bool read_port(const std::string& text, const char* what, int max, int& port, std::ostream& err) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), ::isdigit) ||
      (port = std::stoi(text)) > max) {
    err << "mynasim serve: " << what << " must be a port number from 0 to " << max << " (got '" << text.substr(0, 32)
        << "')\n";
    return false;
  }
  return true;
}

// Each listener's port: its own option, else --port-base, else its variable, else
// MYNASIM_PORT_BASE, else the world's server section. False once one is reported wrong.
bool listener_ports(const parsed_command& cmd, app_options& options, std::ostream& err) {
  struct one {
    const char* listener;
    int offset;
    const char* option;
    const char* variable;
  };
  const one all[] = {{"app", 0, "--app-port", "MYNASIM_APP_PORT"},
                     {"sp", 1, "--sp-port", "MYNASIM_SP_PORT"},
                     {"admin", 2, "--admin-port", "MYNASIM_ADMIN_PORT"},
                     {"systems", 3, "--systems-port", "MYNASIM_SYSTEMS_PORT"}};
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v && *v ? std::optional<std::string>(v) : std::nullopt;
  };
  std::optional<int> base_flag, base_env;
  int n = 0;
  if (auto b = cmd.value("--port-base")) {
    if (!read_port(*b, "--port-base", 65532, n, err)) return false;
    base_flag = n;
  }
  if (auto b = env("MYNASIM_PORT_BASE")) {
    if (!read_port(*b, "MYNASIM_PORT_BASE", 65532, n, err)) return false;
    base_env = n;
  }
  for (const auto& l : all) {
    std::optional<int> port;
    auto base = [&](int b) { return b == 0 ? 0 : b + l.offset; };
    if (auto v = cmd.value(l.option)) {
      if (!read_port(*v, l.option, 65535, n, err)) return false;
      port = n;
    } else if (base_flag) {
      port = base(*base_flag);
    } else if (auto e = env(l.variable)) {
      if (!read_port(*e, l.variable, 65535, n, err)) return false;
      port = n;
    } else if (base_env) {
      port = base(*base_env);
    }
    if (port) options.ports[l.listener] = static_cast<std::uint16_t>(*port);
  }
  return true;
}

// The app's options from the command line and the environment; nullopt once one is reported wrong.
std::optional<app_options> serve_options(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  app_options options;
  options.only = only_systems(cmd);
  options.host = value_or_env(cmd, "--host", "MYNASIM_HOST");
  options.admin_host = value_or_env(cmd, "--admin-host", "MYNASIM_ADMIN_HOST");
  options.admin_token = value_or_env(cmd, "--admin-token", "MYNASIM_ADMIN_TOKEN");
  if (auto s = cmd.value("--scenario")) options.scenario_file = *s;
  options.api_users = api_users(cmd);
  options.watch = cmd.has("--watch");
  if (auto f = value_or_env(cmd, "--ready-file", "MYNASIM_READY_FILE")) options.ready_file = *f;
  if (auto d = value_or_env(cmd, "--faketime-dir", "MYNASIM_FAKETIME_DIR")) options.faketime_dir = *d;
  options.out = &out;
  if (!check_serve_values(cmd, options, err) || !listener_ports(cmd, options, err)) return std::nullopt;
  return options;
}

// Serves until stopped; the exit code.
int run_app(world_config world, app_options options, std::ostream& err) {
  try {
    simulator_app app(std::move(world), std::move(options));
    app.run();
  } catch (const startup_error& e) {
    err << "mynasim: cannot start: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "mynasim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int serve(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  int code = 0;
  auto world = load_or_report(cmd, err, code);
  if (code) return code;
  auto options = serve_options(cmd, out, err);
  if (!options) return 2;
  return run_app(std::move(world), std::move(*options), err);
}

int check(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  int code = 0;
  auto world = load_or_report(cmd, err, code);
  if (code) return code;
  if (cmd.has("--scenario")) {
    for (const auto& file : cmd.options.at("--scenario")) {
      try {
        auto s = load_scenario_file(file, world, world.data);
        out << "ok: scenario " << file << " (" << s.name << ", " << s.steps.size() << " steps)\n";
      } catch (const config_error& e) {
        err << "mynasim: scenario error: " << e.what() << "\n";
        return 2;
      }
    }
    return 0;
  }
  out << "ok: " << world.entry_file << " (" << world.name << ")\n";
  for (const auto& s : world.systems) out << "  " << s.id << "\t" << to_string(s.kind) << "\t" << s.name << "\n";
  return 0;
}

std::optional<int> year_option(const parsed_command& cmd, const char* name, std::ostream& err) {
  auto v = cmd.value(name);
  int y = 0;
  if (!v || v->size() != 4 || !std::all_of(v->begin(), v->end(), ::isdigit) || (y = std::stoi(*v)) < 1955 || y > 2100) {
    err << "mynasim holidays: " << name << " must be a year between 1955 and 2100\n";
    return std::nullopt;
  }
  return y;
}

int holidays(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  auto from = year_option(cmd, "--from", err);
  auto to = year_option(cmd, "--to", err);
  if (!from || !to) return 2;
  holiday_adjustments adjustments;
  if (cmd.has("--config")) {
    int code = 0;
    auto world = load_or_report(cmd, err, code);
    if (code) return code;
    adjustments = world.holidays;
  }
  holiday_calendar calendar(adjustments);
  for (const auto& h : calendar.between(*from, *to)) out << format_date(h.date) << '\t' << h.name << '\n';
  return 0;
}

std::optional<instant> instant_option(const parsed_command& cmd, const char* name, std::ostream& err) {
  auto v = cmd.value(name);
  if (!v) return std::nullopt;
  auto t = parse_instant(*v);
  if (!t) err << "mynasim: " << name << " must be an ISO-8601 instant such as 2026-12-19T22:30:00+09:00\n";
  return t;
}

int availability(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  int code = 0;
  auto world = load_or_report(cmd, err, code);
  if (code) return code;
  auto at = instant_option(cmd, "--at", err);
  if (cmd.has("--at") && !at) return 2;
  world_runtime rt(std::move(world));
  auto when = at.value_or(default_instant(rt.world));
  if (cmd.has("--json"))
    out << dump_json(availability_json(rt.availability, when), 2) << "\n";
  else
    out << availability_text(rt.availability, when);
  return 0;
}

int timeline(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  int code = 0;
  auto world = load_or_report(cmd, err, code);
  if (code) return code;
  auto id = cmd.value("--system");
  const system_config* sys = id ? world.find_system(*id) : nullptr;
  if (!sys) {
    err << "mynasim timeline: --system must name a system of the world (see `mynasim check`)\n";
    return 2;
  }
  auto from = instant_option(cmd, "--from", err);
  auto to = instant_option(cmd, "--to", err);
  if (!from || !to) {
    if (!cmd.has("--from") || !cmd.has("--to")) err << "mynasim timeline: --from and --to are required\n";
    return 2;
  }
  if (*to <= *from || *to - *from > std::chrono::days{400}) {
    err << "mynasim timeline: --to must be after --from, at most 400 days later\n";
    return 2;
  }
  std::string sys_id = sys->id;
  world_runtime rt(std::move(world));
  const auto& s = *rt.world.find_system(sys_id);
  if (cmd.has("--json"))
    out << dump_json(timeline_json(rt.availability, s, *from, *to), 2) << "\n";
  else
    out << timeline_text(rt.availability, s, *from, *to);
  return 0;
}

int errors(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  int code = 0;
  auto world = load_or_report(cmd, err, code);
  if (code) return code;
  std::vector<std::pair<std::string, error_entry>> list(world.data.errors.begin(), world.data.errors.end());
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.second.code < b.second.code; });
  if (cmd.has("--json")) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [key, e] : list)
      j.push_back({{"key", key}, {"code", e.code}, {"status", e.status}, {"message", e.message}, {"when", e.when}});
    out << dump_json(j, 2) << "\n";
    return 0;
  }
  out << "| errorCode | key (YAML `errors.<key>`) | HTTP | message | when |\n|---|---|---|---|---|\n";
  for (const auto& [key, e] : list)
    out << "| " << e.code << " | `" << key << "` | " << e.status << " | " << e.message << " | " << e.when << " |\n";
  return 0;
}

// The card's PIN counter lives next to its key, so that it survives between invocations.
int card_sign(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  int code = 0;
  auto world = load_or_report(cmd, err, code);
  if (code) return code;
  auto serial = cmd.value("--serial").value_or(""), pin = cmd.value("--pin").value_or("");
  auto challenge = base64_decode(cmd.value("--challenge").value_or(""));
  const auto* persona = world.data.find_persona_by_card(serial);
  if (!persona || !challenge) {
    err << "mynasim card sign: " << (!persona ? "no card with serial '" + serial + "'" : "--challenge must be base64")
        << "\n";
    return 2;
  }
  std::unique_ptr<jpki> pki;
  try {
    pki = std::make_unique<jpki>(world.server.certs_dir + "/jpki", world.data, virtual_clock(world.clock).now());
  } catch (const std::exception& e) {
    err << "mynasim card sign: " << e.what() << "\n";
    return 1;
  }
  auto tries_file = fs::path(pki->directory()) / "cards" / (serial + ".tries");
  int tries = persona->card.pin_tries_left;
  if (std::ifstream in(tries_file); in) in >> tries;
  if (tries <= 0) {
    err << "mynasim card sign: the card is locked (暗証番号ロック)\n";
    return 4;
  }
  if (pin != persona->card.pin) {
    std::ofstream(tries_file) << --tries;
    err << "mynasim card sign: wrong PIN, " << tries << " tries left" << (tries == 0 ? " — the card is now locked" : "")
        << "\n";
    return tries == 0 ? 4 : 3;
  }
  std::ofstream(tries_file) << 3;
  auto sig = pki->sign(serial, *challenge);
  out << dump_json(
             {{"serial", serial}, {"signature", base64_encode(*sig)}, {"certificate", *pki->certificate_pem(serial)}},
             2)
      << "\n";
  return 0;
}

// The admin plane `conformance run` drives: its URL (no trailing slash) and bearer token.
struct admin_endpoint {
  std::string url, token;

  admin_answer call(const std::string& method, const std::string& target, const std::string& body = "") const {
    return admin_call(url, method, target, body, token);
  }
};

std::string env_or(const char* variable, const char* fallback) {
  const char* env = std::getenv(variable);
  return env ? env : fallback;
}

admin_endpoint admin_endpoint_of(const parsed_command& cmd) {
  admin_endpoint admin;
  admin.url = cmd.value("--admin").value_or("");
  if (admin.url.empty()) admin.url = env_or("MYNASIM_ADMIN_URL", "http://127.0.0.1:8081");
  while (!admin.url.empty() && admin.url.back() == '/') admin.url.pop_back();
  // A world's admin URL as `world create --env` gives it (…/worlds/{id}/__admin): the calls add
  // /__admin themselves.
  if (admin.url.size() > 8 && admin.url.ends_with("/__admin")) admin.url.resize(admin.url.size() - 8);
  admin.token = cmd.value("--admin-token").value_or(env_or("MYNASIM_ADMIN_TOKEN", ""));
  return admin;
}

// --timeout: whole minutes, 1–9999 (default 60); nullopt once reported wrong.
std::optional<long> timeout_minutes(const parsed_command& cmd, std::ostream& err) {
  auto t = cmd.value("--timeout");
  if (!t) return 60;
  if (t->empty() || t->size() > 4 || !std::all_of(t->begin(), t->end(), ::isdigit) || std::stol(*t) < 1) {
    err << "mynasim conformance run: --timeout takes whole minutes (1–9999)\n";
    return std::nullopt;
  }
  return std::stol(*t);
}

// Starts the run and says which it is and which persona the flows can use. When mynasim
// refuses it or does not answer: `code` 1 or 3.
nlohmann::json start_run(const admin_endpoint& admin, const std::string& client, const std::string& plan,
                         bool complete_screens, std::ostream& out, std::ostream& err, int& code) {
  nlohmann::json request{{"client_id", client}, {"plan", plan}};
  if (complete_screens) request["complete_screens"] = true;
  auto started = admin.call("POST", "/__admin/conformance/runs", request.dump());
  if (started.status != 201) {
    err << "mynasim conformance run: " << admin.url << ": "
        << (started.status ? "HTTP " + std::to_string(started.status) + " " + started.body : started.error) << "\n";
    code = started.status ? 1 : 3;
    return nullptr;
  }
  std::string ignored;
  auto run = parse_json(started.body, ignored).value_or(nlohmann::json::object());
  out << "run " << run.value("id", "") << " for " << client << ": " << run["tests"].size() << " tests\n";
  if (complete_screens)
    out << "the portal completes the consent and card screens itself: start each flow with a plain HTTP client\n";
  if (run["persona"].is_object())
    out << "persona: " << run["persona"].value("name", "") << " (card " << run["persona"].value("card_serial", "")
        << ", PIN " << run["persona"].value("pin", "") << ")\n";
  return run;
}

std::string printable(std::string_view text, std::size_t n);  // below

// A test's `key` in Japanese, then in English (`key_ja`, `key_en`; only `key` from an older
// server), each once and fit for a terminal.
std::vector<std::string> both_languages(const nlohmann::json& t, const std::string& key) {
  auto ja = string_member(t, (key + "_ja").c_str()), en = string_member(t, (key + "_en").c_str());
  if (en.empty()) en = string_member(t, key.c_str());
  std::vector<std::string> out;
  if (!ja.empty()) out.push_back(printable(ja, 2000));
  if (!en.empty() && en != ja) out.push_back(printable(en, 2000));
  return out;
}

// A test's header: its place in the plan, its name and title, and — while it still waits —
// what to do.
void print_test_header(const nlohmann::json& t, std::size_t index, std::size_t count, std::ostream& out) {
  out << "[" << index + 1 << "/" << count << "] " << printable(string_member(t, "name"), 200) << " — "
      << printable(string_member(t, "title_ja"), 200) << "\n";
  if (string_member(t, "state") != "done")
    out << "    waiting for your app's flow: " << printable(string_member(t, "instruction_ja"), 2000) << "\n";
  out << std::flush;
}

// A finished test: its verdict and what was seen, and for a failure or a warning the remedy;
// each in Japanese, then in English.
void print_test_verdict(const nlohmann::json& t, std::ostream& out) {
  auto verdict = string_member(t, "verdict");
  out << "  " << printable(verdict, 32) << "  " << printable(string_member(t, "name"), 200) << ":";
  const char* indent = "      ";
  auto details = both_languages(t, "detail");
  for (std::size_t i = 0; i < details.size(); ++i) out << (i == 0 ? " " : std::string("\n") + indent) << details[i];
  out << "\n";
  if (verdict == "fail" || verdict == "warning") {
    auto remedies = both_languages(t, "remedy");
    for (std::size_t i = 0; i < remedies.size(); ++i)
      out << indent << (remedies.size() == 2 && i == 0 ? "対処: " : "remedy: ") << remedies[i] << "\n";
  }
  out << std::flush;
}

// Prints what happened since the last poll, test by test in the plan's order: each test's header
// once it has begun — also one that began and ended between two polls — then its verdict once it
// is done. `headed`: how many headers are printed; `reported`: how many verdicts.
void report_progress(const nlohmann::json& tests, std::size_t& headed, std::size_t& reported, std::ostream& out) {
  if (!tests.is_array()) return;
  for (; reported < tests.size(); ++reported) {
    const auto& t = tests[reported];
    auto state = string_member(t, "state");
    if (state.empty() || state == "queued") return;
    if (headed <= reported) {
      print_test_header(t, reported, tests.size(), out);
      headed = reported + 1;
    }
    if (state != "done") return;
    print_test_verdict(t, out);
  }
}

// Polls the run, reporting as tests begin and end, until it is over or `minutes` have passed
// (then it is cancelled); its last state. `code` 3 when mynasim stops answering.
nlohmann::json follow_run(const admin_endpoint& admin, nlohmann::json run, long minutes, std::ostream& out,
                          std::ostream& err, int& code) {
  auto id = run.value("id", "");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(minutes);
  std::size_t headed = 0, reported = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = admin.call("GET", "/__admin/conformance/runs/" + id);
    if (now.status != 200) {
      err << "mynasim conformance run: " << (now.status ? "HTTP " + std::to_string(now.status) : now.error) << "\n";
      code = 3;
      return run;
    }
    std::string ignored;
    run = parse_json(now.body, ignored).value_or(nlohmann::json::object());
    report_progress(run["tests"], headed, reported, out);
    if (run.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  if (run.value("state", "") == "running") {
    admin.call("DELETE", "/__admin/conformance/runs/" + id);
    err << "mynasim conformance run: gave up after " << minutes << " minutes; the run was cancelled\n";
  }
  return run;
}

// The reports asked for (--junit, --json, --markdown); false once one could not be written.
bool write_reports(const parsed_command& cmd, const admin_endpoint& admin, const std::string& id, std::ostream& err) {
  for (auto [option, format] : {std::pair{"--junit", "junit"}, {"--json", "json"}, {"--markdown", "markdown"}}) {
    auto file = cmd.value(option);
    if (!file) continue;
    auto report = admin.call("GET", "/__admin/conformance/runs/" + id + "/report?format=" + format);
    std::ofstream f(*file, std::ios::binary);
    if (report.status != 200 || !(f << report.body)) {
      err << "mynasim conformance run: could not write " << *file << "\n";
      return false;
    }
  }
  return true;
}

// The tally of verdicts; the exit code: 0 for a finished run with no failure and no test left unrun.
int print_summary(const nlohmann::json& summary, bool finished, std::ostream& out) {
  out << summary.value("pass", 0) << " pass, " << summary.value("warning", 0) << " warning, "
      << summary.value("fail", 0) << " fail, " << summary.value("not_applicable", 0) << " not applicable, "
      << summary.value("pending", 0) << " not run\n";
  return summary.value("fail", 0) == 0 && summary.value("pending", 0) == 0 && finished ? 0 : 1;
}

int conformance_run(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  auto client = cmd.value("--client-id");
  if (!client) {
    err << "mynasim conformance run: --client-id is required\n";
    return 2;
  }
  auto admin = admin_endpoint_of(cmd);
  auto minutes = timeout_minutes(cmd, err);
  if (!minutes) return 2;
  int code = 0;
  auto run =
      start_run(admin, *client, cmd.value("--plan").value_or("all"), cmd.has("--complete-screens"), out, err, code);
  if (code) return code;
  auto id = run.value("id", "");
  run = follow_run(admin, std::move(run), *minutes, out, err, code);
  if (code) return code;
  if (!write_reports(cmd, admin, id, err)) return 3;
  return print_summary(run["summary"], run.value("state", "") == "finished", out);
}

// Text from the server for a terminal: at most `n` bytes (never half a UTF-8 character), control
// characters shown as '?' so that no escape sequence reaches the terminal.
std::string printable(std::string_view text, std::size_t n) {
  if (text.size() > n) {
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n);
  }
  std::string out(text);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

// An integer member, or `fallback` when absent or of another type (a hostile server's answer
// must not throw).
long long int_member(const nlohmann::json& j, const char* key, long long fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

const nlohmann::json& object_member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

// The string elements of an array member, joined by ", "; "-" for none.
std::string joined_member(const nlohmann::json& j, const char* key) {
  std::string out;
  if (auto it = j.find(key); it != j.end() && it->is_array())
    for (const auto& e : *it)
      if (e.is_string()) out += (out.empty() ? "" : ", ") + e.get<std::string>();
  return out.empty() ? "-" : out;
}

// Worlds are made, listed and removed on the admin listener's own plane, never a world's:
// an admin URL ending in /worlds/{id} (as `world create --env` leaves MYNASIM_ADMIN_URL) loses it.
admin_endpoint worlds_plane_of(const parsed_command& cmd) {
  auto admin = admin_endpoint_of(cmd);
  auto scheme = admin.url.find("://");
  auto path = scheme == std::string::npos ? std::string::npos : admin.url.find('/', scheme + 3);
  auto at = admin.url.rfind("/worlds/");
  if (path != std::string::npos && at != std::string::npos && at >= path && is_world_id(admin.url.substr(at + 8)))
    admin.url.resize(at);
  return admin;
}

// A refusal or a silence of the admin plane, on stderr; the exit code: 1 refused, 3 no answer.
int report_admin_failure(const char* command, const admin_endpoint& admin, const admin_answer& a, std::ostream& err) {
  err << "mynasim " << command << ": " << printable(admin.url, 200) << ": ";
  if (a.status == 0) {
    err << a.error << "\n";
    return 3;
  }
  std::string ignored;
  auto j = parse_json_object(a.body, ignored, {.max_bytes = std::size_t{64} * 1024, .max_depth = 8});
  auto code = j ? string_member(*j, "error") : "", why = j ? string_member(*j, "error_description") : "";
  err << "HTTP " << a.status << (code.empty() ? "" : " " + printable(code, 64)) << ": "
      << (why.empty() ? printable(a.body, 200) : printable(why, 500));
  if (a.status == 401) err << " (give --admin-token or set MYNASIM_ADMIN_TOKEN)";
  err << "\n";
  return 1;
}

// The JSON object a call answered with `expected`; nullopt, reported, and `code` set otherwise.
std::optional<nlohmann::json> admin_object(const char* command, const admin_endpoint& admin, const admin_answer& a,
                                           int expected, std::ostream& err, int& code) {
  if (a.status != expected) {
    code = report_admin_failure(command, admin, a, err);
    return std::nullopt;
  }
  std::string why;
  auto j = parse_json_object(a.body, why);
  if (!j) {
    err << "mynasim " << command << ": " << printable(admin.url, 200) << ": HTTP " << a.status
        << " but no JSON object: " << printable(why, 200) << "\n";
    code = 3;
  }
  return j;
}

// A duration in milliseconds in at most two units: 0s, 45s, 5m07s, 10m, 1h30m, 2d04h.
std::string short_duration(long long ms) {
  long long s = std::max(ms, 0LL) / 1000;
  auto two = [](long long v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  auto pair = [&](long long big, const char* u1, long long small, const char* u2) {
    return std::to_string(big) + u1 + (small ? two(small) + u2 : "");
  };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return pair(s / 60, "m", s % 60, "s");
  if (s < 86400) return pair(s / 3600, "h", s % 3600 / 60, "m");
  return pair(s / 86400, "d", s % 86400 / 3600, "h");
}

// A value for a POSIX shell: as it is when it holds only characters no shell treats specially,
// else single-quoted (a server's answer is eval'd: it must not run anything).
std::string shell_word(const std::string& v) {
  auto plain = [](unsigned char c) { return std::isalnum(c) || std::strchr("_-.,:/@%+=", c); };
  if (!v.empty() && std::all_of(v.begin(), v.end(), plain)) return v;
  std::string out = "'";
  for (char c : v) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The POST /__admin/worlds body from the options given; left out, the server's defaults.
nlohmann::json world_request(const parsed_command& cmd) {
  nlohmann::json body = nlohmann::json::object();
  for (auto [option, member] : {std::pair{"--id", "id"}, {"--ttl", "ttl"}, {"--clock", "clock"}})
    if (auto v = cmd.value(option)) body[member] = *v;
  for (auto [option, member] : {std::pair{"--bind", "bind"}, {"--api-user", "api_users"}})
    if (cmd.has(option)) body[member] = cmd.options.at(option);
  return body;
}

void print_world_env(const nlohmann::json& w, std::ostream& out) {
  const auto& urls = object_member(w, "urls");
  const std::pair<const char*, std::string> lines[] = {{"MYNASIM_WORLD", string_member(w, "id")},
                                                       {"MYNASIM_WORLD_TOKEN", string_member(w, "token")},
                                                       {"MYNASIM_APP_URL", string_member(urls, "app")},
                                                       {"MYNASIM_SP_URL", string_member(urls, "sp")},
                                                       {"MYNASIM_ADMIN_URL", string_member(urls, "admin")}};
  std::string names;
  for (const auto& [name, value] : lines) {
    out << name << "=" << shell_word(value) << "\n";
    names += std::string(" ") + name;
  }
  out << "export" << names << "\n";  // for the programs the shell runs next
}

void print_world(const nlohmann::json& w, std::ostream& out) {
  auto id = printable(string_member(w, "id"), 64);
  auto ttl = w.contains("ttl_ms") && w["ttl_ms"].is_number_integer() ? short_duration(int_member(w, "ttl_ms")) : "-";
  out << "world " << id << " (removed after " << ttl << " idle; clock "
      << printable(string_member(w, "virtual_time"), 64) << ")\n";
  const auto& urls = object_member(w, "urls");
  for (auto [label, key] :
       {std::pair{"admin", "admin"}, {"control room", "control_room"}, {"app", "app"}, {"sp", "sp"}})
    out << "  " << label << std::string(14 - std::strlen(label), ' ') << printable(string_member(urls, key), 500)
        << "\n";
  out << "  token         " << printable(string_member(w, "token"), 128) << "\n"
      << "  bound         " << printable(joined_member(w, "bound"), 1000) << "\n"
      << "remove it with: mynasim world delete " << id << "\n";
}

int world_create(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  if (cmd.has("--json") && cmd.has("--env")) {
    err << "mynasim world create: --json and --env exclude each other\n";
    return 2;
  }
  auto admin = worlds_plane_of(cmd);
  auto a = admin_call(admin.url, "POST", "/__admin/worlds", dump_json(world_request(cmd)), admin.token,
                      std::chrono::seconds(30));
  int code = 0;
  auto w = admin_object("world create", admin, a, 201, err, code);
  if (!w) return code;
  if (cmd.has("--json"))
    out << dump_json(*w, 2) << "\n";
  else if (cmd.has("--env"))
    print_world_env(*w, out);
  else
    print_world(*w, out);
  return 0;
}

// The worlds as a table: id, idle, ttl, requests, virtual time, bound services.
void print_world_table(const nlohmann::json& list, std::ostream& out) {
  std::vector<std::array<std::string, 6>> rows{{"ID", "IDLE", "TTL", "REQUESTS", "VIRTUAL TIME", "BOUND"}};
  auto worlds = list.find("worlds");
  if (worlds != list.end() && worlds->is_array())
    for (const auto& w : *worlds) {
      if (!w.is_object()) continue;
      auto ttl =
          w.contains("ttl_ms") && w["ttl_ms"].is_number_integer() ? short_duration(int_member(w, "ttl_ms")) : "never";
      rows.push_back({printable(string_member(w, "id"), 64), short_duration(int_member(w, "idle_ms")), ttl,
                      std::to_string(int_member(w, "requests")), printable(string_member(w, "virtual_time"), 64),
                      printable(joined_member(w, "bound"), 1000)});
    }
  std::array<std::size_t, 6> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i + 1 < r.size(); ++i) line += r[i] + std::string(width[i] - display_width(r[i]) + 2, ' ');
    out << line << r.back() << "\n";
  }
  out << rows.size() - 1 << " of at most " << int_member(list, "max") << " named worlds\n";
}

int world_list(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  auto admin = worlds_plane_of(cmd);
  int code = 0;
  auto list = admin_object("world list", admin, admin.call("GET", "/__admin/worlds"), 200, err, code);
  if (!list) return code;
  if (cmd.has("--json"))
    out << dump_json(*list, 2) << "\n";
  else
    print_world_table(*list, out);
  return 0;
}

int world_delete(const parsed_command& cmd, std::ostream& out, std::ostream& err) {
  auto id = cmd.value("ID");
  if (!id || !is_world_id(*id)) {
    err << "mynasim world delete: " << (id ? "'" + printable(*id, 64) + "' is no world id" : "which world? give its ID")
        << " (1-63 of a-z, 0-9 and '-'; `mynasim world list` shows them)\n";
    return 2;
  }
  auto admin = worlds_plane_of(cmd);
  int code = 0;
  if (!admin_object("world delete", admin, admin.call("DELETE", "/__admin/worlds/" + *id), 200, err, code)) return code;
  out << "deleted world " << *id << "\n";
  return 0;
}

}  // namespace

std::optional<std::string> parsed_command::value(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string default_config_path() {
  if (const char* env = std::getenv("MYNASIM_CONFIG"); env && *env) return env;
  return (fs::path(home_dir()) / "fixtures/world.yaml").string();
}

namespace {

// The command `args` name, of one word or two ("card sign"), and where its options begin; nullptr
// for no command.
const command_spec* named_command(const std::vector<std::string>& args, std::size_t& first) {
  if (args.size() > 1)
    if (const auto* two_words = find_command(args[0] + " " + args[1])) {
      first = 2;
      return two_words;
    }
  first = 1;
  return find_command(args[0]);
}

// The first word of two-word commands ("card"): alone or with --help, a request for the group's
// usage; followed by anything else, an unknown command.
std::optional<parsed_command> group_usage(const std::vector<std::string>& args, std::string& error) {
  if (args.size() == 1 || args[1] == "--help" || args[1] == "-h") {
    parsed_command cmd;
    cmd.help = true;
    cmd.group = args[0];
    return cmd;
  }
  std::string known;
  for (const auto* c : group_of(args[0])) {
    if (!known.empty()) known += ", ";
    known += c->name;
  }
  error = "unknown command '" + args[0] + " " + args[1] + "' (" + known + ")";
  return std::nullopt;
}

// An argument that is no option, for a command that takes one (`world delete ID`): kept under
// the operand's name; false and `error` for a second one.
bool take_operand(const command_spec& spec, const std::string& arg, parsed_command& cmd, std::string& error) {
  if (cmd.has(spec.operand)) {
    error = "mynasim " + cmd.command + ": unexpected argument '" + arg + "' (one " + spec.operand + " only)";
    return false;
  }
  cmd.options[spec.operand].push_back(arg);
  return true;
}

// Takes the option at args[i] (--name value, --name=value, or a flag) into `cmd`, moving `i`
// past a value it takes from the next argument; false and `error` when the command has no
// such option, it is given twice, or its value is missing or not wanted.
bool take_option(const command_spec& spec, const std::vector<std::string>& args, std::size_t& i, parsed_command& cmd,
                 std::string& error) {
  std::string arg = args[i], inline_value;
  bool has_inline = false;
  if (arg == "--help" || arg == "-h") {
    cmd.help = true;
    return true;
  }
  if (spec.operand && (arg.empty() || arg[0] != '-')) return take_operand(spec, arg, cmd, error);
  if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    inline_value = arg.substr(eq + 1);
    arg = arg.substr(0, eq);
    has_inline = true;
  }
  auto it = std::find_if(spec.options.begin(), spec.options.end(), [&](const option_spec& o) { return arg == o.name; });
  if (it == spec.options.end()) {
    error = "mynasim " + cmd.command + ": unknown option '" + arg + "'";
    return false;
  }
  if (cmd.options.count(arg) && !it->repeatable) {
    error = "mynasim " + cmd.command + ": " + arg + " given twice";
    return false;
  }
  if (!it->value) {
    if (has_inline) {
      error = "mynasim " + cmd.command + ": " + arg + " takes no value";
      return false;
    }
    cmd.options[arg].push_back("");
  } else if (has_inline) {
    cmd.options[arg].push_back(inline_value);
  } else if (i + 1 < args.size()) {
    cmd.options[arg].push_back(args[++i]);
  } else {
    error = "mynasim " + cmd.command + ": " + arg + " needs a value (" + it->value + ")";
    return false;
  }
  return true;
}

}  // namespace

std::optional<parsed_command> parse_command_line(const std::vector<std::string>& args, std::string& error) {
  parsed_command cmd;
  if (args.empty()) {
    error = "missing command";
    return std::nullopt;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    cmd.help = true;
    return cmd;
  }
  if (args[0] == "--version") {
    cmd.command = "version";
    return cmd;
  }
  std::size_t first = 1;
  const auto* spec = named_command(args, first);
  if (!spec && !group_of(args[0]).empty()) return group_usage(args, error);
  if (!spec) {
    error = "unknown command '" + args[0] + "'";
    return std::nullopt;
  }
  cmd.command = spec->name;
  for (std::size_t i = first; i < args.size(); ++i)
    if (!take_option(*spec, args, i, cmd, error)) return std::nullopt;
  return cmd;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string error;
  auto cmd = parse_command_line(args, error);
  if (!cmd) {
    // A known command's option went wrong: its own words once, and where its options are —
    // not the whole command list.
    if (error.rfind("mynasim ", 0) == 0) {
      auto command = error.substr(8, error.find(':') - 8);
      err << error << "\n`mynasim " << command << " --help` lists its options.\n";
      return 2;
    }
    err << "mynasim: " << error << "\n\n";
    print_usage(err);
    return 2;
  }
  if (!cmd->group.empty()) {
    out << "usage: mynasim " << cmd->group << " <subcommand> [options]\n\nsubcommands:\n";
    std::size_t column = 0;  // summaries aligned, as in print_usage
    for (const auto* c : group_of(cmd->group)) column = std::max(column, std::strlen(c->name) + 4);
    for (const auto* c : group_of(cmd->group))
      out << "  " << c->name << std::string(column - std::strlen(c->name), ' ') << c->summary << "\n";
    out << "\n`mynasim " << group_of(cmd->group).front()->name << " --help` describes its options.\n";
    return 0;
  }
  if (cmd->command.empty()) {
    print_usage(out);
    return 0;
  }
  const auto* spec = find_command(cmd->command);
  if (cmd->help) {
    print_command_help(*spec, out);
    return 0;
  }
  return spec->run(*cmd, out, err);
}

}  // namespace mynasim
