// SPDX-License-Identifier: Apache-2.0
#include "config/world.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <map>
#include <set>

#include "config/data_parser.hpp"
#include "config/yaml_reader.hpp"
#include "core/file_read.hpp"
#include "core/paths.hpp"

namespace mynasim {
namespace fs = std::filesystem;

const char* to_string(system_kind k) {
  switch (k) {
    case system_kind::portal:
      return "portal";
    case system_kind::network:
      return "network";
    case system_kind::juki:
      return "juki";
    case system_kind::intermediate:
      return "intermediate";
  }
  return "unknown";
}

const system_config* world_config::find_system(std::string_view id) const {
  for (const auto& s : systems)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

millis read_duration(const yaml_value& v, millis min = millis{0}) {
  auto d = parse_duration(v.as_string());
  if (!d) v.fail("expected an ISO-8601 duration such as PT15S, got '" + v.as_string() + "'");
  if (*d < min) v.fail("duration must be at least " + std::to_string(min.count()) + " ms");
  return *d;
}

millis duration_or(const yaml_map& m, const std::string& key, millis fallback, millis min = millis{1}) {
  auto v = m.find(key);
  return v ? read_duration(*v, min) : fallback;
}

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  return resolve_world_path(base_dir, p);
}

void parse_tls(const yaml_value& v, tls_config& tls, const std::string& dir) {
  yaml_map m(v);
  tls.enabled = m.bool_or("enabled", tls.enabled);
  tls.cert_file = resolve_path(dir, m.string_or("cert_file", tls.cert_file));
  tls.key_file = resolve_path(dir, m.string_or("key_file", tls.key_file));
  tls.require_client_cert = m.bool_or("require_client_cert", tls.require_client_cert);
  tls.client_ca_file = resolve_path(dir, m.string_or("client_ca_file", tls.client_ca_file));
  m.done();
  if (tls.cert_file.empty() != tls.key_file.empty()) v.fail("cert_file and key_file go together");
  if (tls.require_client_cert && !tls.enabled) v.fail("require_client_cert needs enabled: true");
}

void parse_listener(const yaml_value& v, listener_config& l, const std::string& dir) {
  yaml_map m(v);
  l.enabled = m.bool_or("enabled", l.enabled);
  l.address = m.string_or("address", l.address);
  l.port = static_cast<std::uint16_t>(m.int_or("port", l.port, 0, 65535));
  if (auto tls = m.find("tls")) parse_tls(*tls, l.tls, dir);
  l.bearer_token = m.string_or("bearer_token", l.bearer_token);
  m.done();
}

void parse_server(const yaml_value& v, server_config& s, const std::string& dir) {
  auto m = section_fields(v);
  if (auto listeners = m.find("listeners")) {
    yaml_map lm(*listeners);
    for (auto* l : {&s.app, &s.sp, &s.admin, &s.systems})
      if (auto lv = lm.find(l->name)) parse_listener(*lv, *l, dir);
    lm.done();
  }
  s.threads = static_cast<int>(m.int_or("threads", s.threads, 0, 64));
  s.read_timeout = duration_or(m, "read_timeout", s.read_timeout);
  s.write_timeout = duration_or(m, "write_timeout", s.write_timeout);
  s.handshake_timeout = duration_or(m, "handshake_timeout", s.handshake_timeout);
  s.shutdown_grace = duration_or(m, "shutdown_grace", s.shutdown_grace, millis{0});
  s.header_limit =
      static_cast<std::size_t>(m.int_or("header_limit", static_cast<std::int64_t>(s.header_limit), 1024, 1 << 20));
  s.body_limit =
      static_cast<std::size_t>(m.int_or("body_limit", static_cast<std::int64_t>(s.body_limit), 1024, 64 << 20));
  s.max_connections =
      static_cast<std::size_t>(m.int_or("max_connections", static_cast<std::int64_t>(s.max_connections), 1, 1 << 20));
  if (auto hops = m.find("internal_hops")) {
    auto how = hops->as_string();
    if (how != "memory" && how != "tcp") hops->fail("expected memory or tcp, got '" + how + "'");
    s.in_memory_hops = how == "memory";
  }
  // Not next to the world file by default: a copied or team world finds them too.
  s.certs_dir = m.has("certs_dir") ? resolve_path(dir, m.get("certs_dir").as_string()) : default_certs_dir();
  s.certs_script = resolve_path(dir, m.string_or("certs_script", "mynasim:certs/generate.sh"));
  m.done();
}

void parse_clock(const yaml_value& v, clock_settings& c) {
  auto m = section_fields(v);
  if (auto start = m.find("start")) {
    auto t = parse_instant(start->as_string());
    if (!t) start->fail("expected an ISO-8601 instant such as 2026-12-28T20:55:00+09:00");
    c.start = *t;
  }
  c.speed = m.double_or("speed", c.speed, 0.0, 1e6);
  c.frozen = m.bool_or("frozen", c.frozen);
  m.done();
}

void parse_holidays(const yaml_value& v, holiday_adjustments& h) {
  auto m = section_fields(v);
  if (auto add = m.find("add")) {
    for (const auto& item : add->items()) {
      yaml_map im(item);
      auto dv = im.get("date");
      auto d = parse_date(dv.as_string());
      if (!d) dv.fail("expected a date YYYY-MM-DD");
      auto name = im.get("name").as_string();
      if (name.empty()) item.fail("a holiday needs a name");
      h.add.push_back({*d, name});
      im.done();
    }
  }
  if (auto remove = m.find("remove")) {
    for (const auto& item : remove->items()) {
      auto d = parse_date(item.as_string());
      if (!d) item.fail("expected a date YYYY-MM-DD");
      h.remove.push_back(*d);
    }
  }
  m.done();
}

system_kind parse_kind(const yaml_value& v) {
  auto s = v.as_string();
  if (s == "portal") return system_kind::portal;
  if (s == "network") return system_kind::network;
  if (s == "juki") return system_kind::juki;
  if (s == "intermediate") return system_kind::intermediate;
  v.fail("unknown system kind '" + s + "' (portal, network, juki, intermediate)");
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 40 || id.front() == '-' || id.back() == '-') return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

system_config parse_system(const yaml_value& v) {
  yaml_map m(v);
  system_config s;
  auto idv = m.get("id");
  s.id = idv.as_string();
  if (!valid_id(s.id)) idv.fail("system id must be lower-case letters, digits and '-' (got '" + s.id + "')");
  s.name = m.get("name").as_string();
  s.kind = parse_kind(m.get("kind"));
  s.part_of = m.string_or("part_of", "");
  s.table = m.string_or("table", "");
  s.note = m.string_or("note", "");
  s.rules = parse_operating_rules(m);
  m.done();
  return s;
}

// Sections an entry file or an included file may hold.
const std::set<std::string> list_sections = {"systems", "items", "services", "connections", "personas"};
const std::set<std::string> map_sections = {"name",   "server", "logging", "clock",       "holidays",
                                            "portal", "errors", "qa",      "conformance", "worlds"};

// Reads the entry file and its includes, each only from the folders the world may read.
class file_collector {
 public:
  explicit file_collector(const world_config& w)
      : roots_{w.file_roots, "the world folder " + w.folder + " (allow more folders with MYNASIM_WORLD_ROOTS)"} {}

  section_map sections;
  std::vector<std::string> order;  // every file read, as resolved, entry first

  // `named_by`: the include entry naming `file` (where its errors point), none for the entry.
  void collect(const std::string& file, const yaml_value* named_by, int depth);

 private:
  [[noreturn]] static void refuse(const std::string& file, const yaml_value* named_by, const std::string& message) {
    if (named_by) named_by->fail(file + ": " + message);
    throw config_error(file + ": " + message);
  }
  void take_sections(const yaml_value& doc, yaml_map& m);

  read_roots roots_;
  std::set<std::string> seen_;
};

void file_collector::collect(const std::string& file, const yaml_value* named_by, int depth) {
  if (depth > 8) refuse(file, named_by, "includes nested too deeply");
  std::string text, real;
  // A file outside the world's folders is never opened: no error can quote what it holds.
  if (auto error = read_file_within(file, roots_, max_yaml_bytes, text, real)) refuse(file, named_by, *error);
  if (!seen_.insert(real).second) refuse(file, named_by, "included twice (include cycle?)");
  order.push_back(real);
  auto doc = load_yaml_string(text, file);
  text = std::string();
  if (doc.is_null()) return;
  yaml_map m(doc);
  auto dir = fs::path(real).parent_path().string();
  if (auto inc = m.find("include"))
    for (const auto& item : inc->items()) collect(resolve_path(dir, item.as_string()), &item, depth + 1);
  take_sections(doc, m);
  m.done();
}

void file_collector::take_sections(const yaml_value& doc, yaml_map& m) {
  for (const auto& key : doc.keys()) {
    if (key == "include") continue;
    if (!list_sections.count(key) && !map_sections.count(key)) continue;  // reported by done()
    auto v = m.get(key);
    if (map_sections.count(key)) {
      // `override: true` in a section replaces the one an earlier file (an include) defined,
      // as it does for an entry; the section's parser takes the key as read.
      std::optional<yaml_value> flag;
      if (v.is_map()) flag = yaml_map(v).find("override");
      if (flag && flag->as_bool()) {
        if (sections[key].empty()) flag->fail("override: true, but no earlier '" + key + "' section to replace");
        sections[key].clear();
      } else if (!sections[key].empty()) {
        v.fail("section '" + key + "' is already defined in " + sections[key].front().file() +
               " (add `override: true` to the section to replace it)");
      }
    }
    sections[key].push_back(v);
  }
}

// The first value of a section (the map sections have at most one), or none.
const yaml_value* section_value(const section_map& sections, const std::string& key) {
  auto it = sections.find(key);
  return it == sections.end() || it->second.empty() ? nullptr : &it->second.front();
}

std::string directory_of(const std::string& file) {
  return fs::path(file).parent_path().string();
}

// The sections a reload cannot apply, as text, to tell which of them an edited world changes.
void record_fixed_sections(const section_map& sections, world_config& w) {
  for (const auto& [key, values] : sections) {
    if (key == "items" || key == "services" || key == "connections" || key == "personas" || key == "portal" ||
        key == "errors")
      continue;  // the sheets: a reload applies them
    for (const auto& v : values) w.fixed_sections[key] += yaml_to_json(v, false).dump() + "\n";
  }
}

// `server:` with paths relative to its own file; without one, the defaults.
void read_server_section(const section_map& sections, world_config& w) {
  if (const auto* v = section_value(sections, "server"))
    parse_server(*v, w.server, directory_of(v->file()));
  else
    parse_server(load_yaml_string("{}", w.entry_file), w.server, directory_of(w.entry_file));
}

void parse_logging(const yaml_value& v, logging_config& logging) {
  auto m = section_fields(v);
  auto format = m.string_or("format", "json");
  if (format != "json" && format != "text") m.get("format").fail("format must be json or text");
  logging.json = format == "json";
  logging.requests = m.bool_or("requests", true);
  logging.metrics = m.bool_or("metrics", true);
  m.done();
}

void parse_conformance(const yaml_value& v, conformance_config& c) {
  auto m = section_fields(v);
  c.polling_storm = static_cast<int>(m.int_or("polling_storm", c.polling_storm, 2, 1000000));
  c.slow_notification = duration_or(m, "slow_notification", c.slow_notification);
  c.outage_retry_gap = duration_or(m, "outage_retry_gap", c.outage_retry_gap);
  c.settle = duration_or(m, "settle", c.settle);
  c.test_timeout = duration_or(m, "test_timeout", c.test_timeout);
  c.fallback_within = duration_or(m, "fallback_within", c.fallback_within);
  m.done();
}

// `qa: journal:` — how much of the traffic the journal keeps.
void parse_journal_limits(const yaml_value& v, qa_config& qa) {
  yaml_map jm(v);
  qa.journal_max_entries = static_cast<std::size_t>(jm.int_or("max_entries", 10000, 1, 10'000'000));
  qa.journal_max_bytes = static_cast<std::size_t>(jm.int_or("max_bytes", 16 << 20, 1024, std::int64_t{1} << 34));
  qa.journal_body_bytes = static_cast<std::size_t>(jm.int_or("body_bytes", 2048, 0, 1 << 20));
  jm.done();
}

// `qa: runtime_changes:` — how much the runtime sheet changes may hold.
void parse_change_limits(const yaml_value& v, change_limits& c) {
  yaml_map m(v);
  c.max_changes =
      static_cast<std::size_t>(m.int_or("max_changes", static_cast<std::int64_t>(c.max_changes), 1, 100000));
  c.max_bytes = static_cast<std::size_t>(m.int_or("max_bytes", static_cast<std::int64_t>(c.max_bytes), 1024,
                                                  static_cast<std::int64_t>(max_change_list_bytes)));
  c.max_change_bytes = static_cast<std::size_t>(
      m.int_or("max_change_bytes", static_cast<std::int64_t>(c.max_change_bytes), 1024, 64 << 20));
  m.done();
}

// Scenario files are read from here: it must lie inside the folders the world may read, or be
// mynasim's own scenarios.
std::string scenarios_dir_of(const yaml_value& d, const std::string& file_dir, const std::vector<std::string>& roots) {
  auto dir = resolved_folder(resolve_path(file_dir, d.as_string()));
  auto allowed = roots;
  allowed.push_back(resolved_folder((fs::path(home_dir()) / "scenarios").string()));
  for (const auto& root : allowed)
    if (path_is_within(dir, root)) return dir;
  d.fail(dir + " is outside the world folder and mynasim's scenarios (allow more folders with MYNASIM_WORLD_ROOTS)");
}

void parse_qa(const yaml_value& v, qa_config& qa, const std::vector<std::string>& roots) {
  auto m = section_fields(v);
  if (auto allow = m.find("allow_fault_header")) {
    auto text = allow->as_string();
    if (text != "auto" && text != "true" && text != "false")
      allow->fail("expected auto, true or false, got '" + text + "'");
    if (text != "auto") qa.allow_fault_header = text == "true";
  }
  qa.max_faults = static_cast<std::size_t>(m.int_or("max_faults", static_cast<std::int64_t>(qa.max_faults), 1, 100000));
  if (auto d = m.find("scenarios_dir")) qa.scenarios_dir = scenarios_dir_of(*d, directory_of(v.file()), roots);
  if (auto j = m.find("journal")) parse_journal_limits(*j, qa);
  if (auto c = m.find("runtime_changes")) parse_change_limits(*c, qa.runtime_changes);
  m.done();
}

declared_world parse_declared_world(const yaml_value& v) {
  yaml_map m(v);
  declared_world d;
  auto id = m.get("id");
  d.id = id.as_string();
  if (!is_world_id(d.id))
    id.fail("expected 1-63 of a-z, 0-9 and '-' starting with a letter or digit, got '" + d.id + "'");
  if (auto c = m.find("clock")) {
    if (!parse_instant(c->as_string())) c->fail("expected an ISO-8601 instant such as 2026-12-29T10:00:00+09:00");
    d.clock = c->as_string();
  }
  if (auto b = m.find("bind"))
    for (const auto& item : b->items()) {
      d.bind.push_back(item.as_string());
      d.bind_at.push_back(item.where() + ": " + item.path());
    }
  if (auto a = m.find("api_users"))
    for (const auto& item : a->items()) d.api_users.push_back(item.as_string());
  m.done();
  return d;
}

void parse_worlds(const yaml_value& v, worlds_config& w) {
  auto m = section_fields(v);
  w.max = static_cast<std::size_t>(m.int_or("max", static_cast<std::int64_t>(w.max), 0, 10000));
  w.max_ttl = duration_or(m, "max_ttl", w.max_ttl, std::chrono::seconds(1));
  w.idle_ttl = duration_or(m, "idle_ttl", w.idle_ttl, std::chrono::seconds(1));
  if (w.idle_ttl > w.max_ttl) m.get("idle_ttl").fail("longer than max_ttl");
  std::set<std::string> ids;
  if (auto list = m.find("declare"))
    for (const auto& item : list->items()) {
      auto d = parse_declared_world(item);
      if (!ids.insert(d.id).second) yaml_map(item).get("id").fail("duplicate world id '" + d.id + "'");
      w.declared.push_back(std::move(d));
    }
  if (w.declared.size() > w.max) m.get("declare").fail("more worlds declared than max (" + std::to_string(w.max) + ")");
  m.done();
}

// `systems:` from every file, ids unique, each `part_of` naming one of them.
void read_systems(const section_map& sections, world_config& w) {
  auto it = sections.find("systems");
  if (it == sections.end()) return;
  std::map<std::string, std::string> ids;  // id → where it is defined
  std::vector<yaml_value> system_values;
  for (const auto& list : it->second)
    for (const auto& item : list.items()) {
      auto sys = parse_system(item);
      if (ids.count(sys.id)) item.fail("duplicate system id '" + sys.id + "' (first in " + ids[sys.id] + ")");
      ids[sys.id] = item.where();
      w.systems.push_back(std::move(sys));
      system_values.push_back(item);
    }
  for (std::size_t i = 0; i < w.systems.size(); ++i) {
    const auto& sys = w.systems[i];
    if (!sys.part_of.empty() && !w.find_system(sys.part_of))
      yaml_map(system_values[i]).get("part_of").fail("unknown system '" + sys.part_of + "'");
  }
}

// A world has exactly one portal, one network and one juki system.
void check_unique_systems(const world_config& w) {
  for (auto kind : {system_kind::portal, system_kind::network, system_kind::juki}) {
    int n = 0;
    for (const auto& sys : w.systems) n += sys.kind == kind;
    if (n != 1)
      throw config_error(w.entry_file + ": systems: the world needs exactly one system of kind '" + to_string(kind) +
                         "' (found " + std::to_string(n) + ")");
  }
}

// The entry file as given, absolute; at startup with its symbolic links resolved.
std::string entry_path(const std::string& entry_file, bool resolve) {
  std::error_code ec;
  auto absolute = fs::absolute(fs::path(entry_file), ec);
  if (ec) return fs::path(entry_file).lexically_normal().string();
  if (!resolve) return absolute.lexically_normal().string();
  auto real = fs::weakly_canonical(absolute, ec);
  return (ec ? absolute.lexically_normal() : real).string();  // a link loop is reported when it is read
}

void read_sections(const section_map& sections, world_config& w) {
  if (const auto* v = section_value(sections, "name")) w.name = v->as_string();
  read_server_section(sections, w);
  if (const auto* v = section_value(sections, "logging")) parse_logging(*v, w.logging);
  if (const auto* v = section_value(sections, "clock")) parse_clock(*v, w.clock);
  if (const auto* v = section_value(sections, "conformance")) parse_conformance(*v, w.conformance);
  if (const auto* v = section_value(sections, "qa")) parse_qa(*v, w.qa, w.file_roots);
  if (w.qa.scenarios_dir.empty()) w.qa.scenarios_dir = resolve_path(directory_of(w.entry_file), "mynasim:scenarios");
  if (const auto* v = section_value(sections, "worlds")) parse_worlds(*v, w.worlds);
  if (const auto* v = section_value(sections, "holidays")) parse_holidays(*v, w.holidays);
}

world_config read_world(const std::string& entry_file, const std::string& folder) {
  world_config w;
  w.entry_file = entry_path(entry_file, folder.empty());
  w.folder = resolved_folder(folder.empty() ? directory_of(w.entry_file) : folder);
  w.file_roots = world_file_roots(w.folder);
  file_collector files(w);
  files.collect(w.entry_file, nullptr, 0);
  w.files = std::move(files.order);
  const auto& sections = files.sections;
  record_fixed_sections(sections, w);
  read_sections(sections, w);
  read_systems(sections, w);
  parse_world_data(sections, w);
  check_unique_systems(w);
  for (const auto& d : w.worlds.declared)  // a declared world binds services the sheets have
    for (std::size_t i = 0; i < d.bind.size(); ++i)
      if (std::none_of(w.data.services.begin(), w.data.services.end(),
                       [&](const auto& s) { return s.client_id == d.bind[i]; }))
        throw config_error(d.bind_at[i] + ": no service '" + d.bind[i] + "'");
  return w;
}

}  // namespace

bool is_world_id(std::string_view id) {
  if (id.empty() || id.size() > 63 || id.front() == '-') return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

world_config load_world(const std::string& entry_file, const std::string& folder) {
  auto w = read_world(entry_file, folder);
  // The YAML documents are gone now (a world of 100 000 explicit personas parses through a few
  // hundred MB of them): give their pages back to the system rather than keep them as free heap.
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
  return w;
}

}  // namespace mynasim
