// SPDX-License-Identifier: Apache-2.0
#include "config/sheet_changes.hpp"

#include <algorithm>

#include "config/data_parser.hpp"
#include "config/yaml_reader.hpp"
#include "core/json_util.hpp"

namespace mynasim {
namespace {

const char* id_key(const std::string& section) {
  return section == "personas" ? "id" : "client_id";
}

template <class T, class Id>
typename std::vector<T>::iterator find_entry(std::vector<T>& list, const std::string& id, Id&& id_of) {
  return std::find_if(list.begin(), list.end(), [&](const T& e) { return id_of(e) == id; });
}

// The change's entry as a yaml_value: its text parsed within the usual budget, the id from
// the URL filled in (or checked, when the body names one).
yaml_value entry_value(const sheet_change& c) {
  auto doc = load_yaml_string(c.text, c.origin);
  if (!doc.is_map()) doc.fail("expected a mapping");
  const char* key = id_key(c.section);
  auto root = doc.child(doc.node(), c.section + "[" + c.id + "]");
  if (auto given = doc.document().find(doc.node(), key)) {
    auto v = root.child(*given, root.path() + "." + key);
    if (v.as_string() != c.id) v.fail("'" + v.as_string() + "' differs from the id in the URL ('" + c.id + "')");
  } else {
    doc.document().add_scalar(doc.node(), key, c.id);
  }
  return root;
}

nlohmann::json current_json(const world_data& d, const sheet_change& c) {
  if (c.section == "services")
    if (const auto* s = d.find_service(c.id)) return service_json(*s);
  if (c.section == "connections")
    if (const auto* x = d.find_connection(c.id)) return connection_json(*x);
  if (c.section == "personas")
    if (const auto* p = d.find_persona(c.id)) return persona_json(*p);
  throw config_error(c.origin + ": " + c.section + "[" + c.id + "]: no such entry to change");
}

void put_entry(const world_config&, world_data& d, const sheet_change& c) {
  auto v = entry_value(c);
  if (c.section == "services") {
    auto s = parse_service(v, d);
    auto it = find_entry(d.services, c.id, [](const service_config& e) { return e.client_id; });
    if (it != d.services.end())
      *it = std::move(s);
    else
      d.services.push_back(std::move(s));
  } else if (c.section == "connections") {
    auto x = parse_connection(v, d);
    auto it = find_entry(d.connections, c.id, [](const connection_config& e) { return e.client_id; });
    if (it != d.connections.end())
      *it = std::move(x);
    else
      d.connections.push_back(std::move(x));
  } else {
    auto p = parse_persona(v, d);
    for (const auto& other : d.personas)
      if (other.id != p.id && other.card.serial == p.card.serial)
        yaml_map(v).get("card").fail("card serial " + p.card.serial + " is already persona " + other.id + "'s");
    auto it = find_entry(d.personas, c.id, [](const persona& e) { return e.id; });
    if (it != d.personas.end())
      *it = std::move(p);
    else
      d.personas.push_back(std::move(p));
  }
}

void remove_entry(world_data& d, const sheet_change& c) {
  auto fail = [&](const std::string& message) {
    throw config_error(c.origin + ": " + c.section + "[" + c.id + "]: " + message);
  };
  if (c.section == "services") {
    auto it = find_entry(d.services, c.id, [](const service_config& e) { return e.client_id; });
    if (it == d.services.end()) fail("no such service");
    d.services.erase(it);
    auto conn = find_entry(d.connections, c.id, [](const connection_config& e) { return e.client_id; });
    if (conn != d.connections.end()) d.connections.erase(conn);  // a connection belongs to its service
  } else if (c.section == "connections") {
    auto it = find_entry(d.connections, c.id, [](const connection_config& e) { return e.client_id; });
    if (it == d.connections.end()) fail("no such connection");
    d.connections.erase(it);
  } else {
    auto it = find_entry(d.personas, c.id, [](const persona& e) { return e.id; });
    if (it == d.personas.end()) fail("no such persona");
    for (const auto& s : d.services)
      if (s.ci.persona == c.id) fail("service " + s.client_id + " uses this persona in its ci: settings");
    d.personas.erase(it);
  }
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Every service (or one): <url>/callback becomes a redirect URI, <url>/myna/notify the
// notification URL — the sample app's paths.
void apply_api_user(world_data& d, const sheet_change& c) {
  auto base = trim_slash(c.text);
  bool any = false;
  for (auto& s : d.services) {
    if (!c.id.empty() && s.client_id != c.id) continue;
    any = true;
    // First, so the landing page's authorize links lead to the team's app.
    auto callback = base + "/callback";
    std::erase(s.redirect_uris, callback);
    s.redirect_uris.insert(s.redirect_uris.begin(), callback);
    auto conn = find_entry(d.connections, s.client_id, [](const connection_config& e) { return e.client_id; });
    if (conn == d.connections.end()) {
      connection_config fresh;
      fresh.client_id = s.client_id;
      d.connections.push_back(fresh);
      conn = std::prev(d.connections.end());
    }
    conn->notification_url = base + "/myna/notify";
    conn->defined_at = c.origin;
  }
  if (!any) throw config_error(c.origin + ": no service with client_id '" + c.id + "'");
}

void apply_change(const world_config& world, world_data& data, const sheet_change& c) {
  switch (c.what) {
    case sheet_change::op::put:
      put_entry(world, data, c);
      break;
    case sheet_change::op::remove:
      remove_entry(data, c);
      break;
    case sheet_change::op::api_user:
      apply_api_user(data, c);
      break;
    case sheet_change::op::patch: {
      auto merged = current_json(data, c);
      std::string error;
      auto patch = parse_json_object(c.text, error);
      if (!patch) throw config_error(c.origin + ": a merge patch is a JSON object: " + error);
      merged.merge_patch(*patch);
      auto as_put = c;
      as_put.text = merged.dump(2);
      put_entry(world, data, as_put);
      break;
    }
  }
}

// --- Folding a change into the earlier ones to its entry.

bool same_entry(const sheet_change& a, const sheet_change& b) {
  return a.what != sheet_change::op::api_user && b.what != sheet_change::op::api_user && a.section == b.section &&
         a.id == b.id;
}

// A service and its connection depend on each other (a service's removal takes its connection;
// --api-user changes both, for one client_id or for all).
bool same_client(const sheet_change& a, const sheet_change& b) {
  if (a.section == "personas" || b.section == "personas") return false;
  auto all = [](const sheet_change& c) { return c.what == sheet_change::op::api_user && c.id.empty(); };
  return all(a) || all(b) || a.id == b.id;
}

// Whether a persona change takes or frees a card serial: a new or removed persona does, a
// replaced or patched one when its serial changed.
bool takes_or_frees_serial(const sheet_change& c, const world_data& before, const world_data& after) {
  if (c.section != "personas") return false;
  const auto *was = before.find_persona(c.id), *is = after.find_persona(c.id);
  return !was || !is || was->card.serial != is->card.serial;
}

// A service change whose entry names a persona in `ci:` (which must exist).
bool names_a_persona(const sheet_change& c, const world_data& after) {
  if (c.section != "services" || c.what == sheet_change::op::remove) return false;
  const auto* s = after.find_service(c.id);
  return s && !s->ci.persona.empty();
}

// `n`, a change to one entry, moved before `x`, a change to another, has the same outcome and
// both stay valid.
bool commutes(const sheet_change& n, const sheet_change& x, bool n_names_persona) {
  if (same_client(n, x)) return false;
  bool np = n.section == "personas", xp = x.section == "personas";
  if (np && xp) return !(n.moves_card && x.moves_card);
  if (np) return n.what != sheet_change::op::remove;  // x may name this persona in ci:
  if (xp) return !n_names_persona;                    // x may add or remove the persona n names
  return true;
}

// `n` may move back to position `from`: every later change to another entry commutes with it.
bool movable_to(const std::vector<sheet_change>& list, std::size_t from, const sheet_change& n, bool names) {
  for (auto i = from + 1; i < list.size(); ++i)
    if (!same_entry(list[i], n) && !commutes(n, list[i], names)) return false;
  return true;
}

// A patch merged into the last change to its entry: a put becomes the entry as it is now,
// two patches one. False where it cannot be (then it is appended).
bool fold_patch(std::vector<sheet_change>& list, const sheet_change& n, const world_data& after, bool names) {
  std::size_t last = list.size();
  for (auto i = list.size(); i-- > 0;)
    if (same_entry(list[i], n)) {
      last = i;
      break;
    }
  if (last == list.size() || !movable_to(list, last, n, names)) return false;
  auto& m = list[last];
  if (m.what == sheet_change::op::put) {
    m.text = current_json(after, n).dump();
  } else if (m.what == sheet_change::op::patch) {
    std::string error;
    auto first = parse_json_object(m.text, error), second = parse_json_object(n.text, error);
    auto composed = first && second ? compose_merge_patches(*first, *second) : std::nullopt;
    if (!composed) return false;
    m.text = composed->dump();
  } else {
    return false;
  }
  m.origin = n.origin;
  m.moves_card = m.moves_card || n.moves_card;
  return true;
}

// A put or remove in the place of the first change to its entry, the others dropped. False
// where a change recorded since could depend on them (then it is appended).
bool supersede(std::vector<sheet_change>& list, sheet_change& n, bool names) {
  auto first = std::find_if(list.begin(), list.end(), [&](const sheet_change& c) { return same_entry(c, n); });
  if (first == list.end()) return false;
  // In the first one's place, the entry's card serial is the one it had before any of them.
  for (auto it = first; it != list.end(); ++it)
    if (same_entry(*it, n)) n.moves_card = n.moves_card || it->moves_card;
  if (!movable_to(list, static_cast<std::size_t>(first - list.begin()), n, names)) return false;
  *first = std::move(n);
  const auto& placed = *first;
  list.erase(std::remove_if(first + 1, list.end(), [&](const sheet_change& c) { return same_entry(c, placed); }),
             list.end());
  return true;
}

}  // namespace

void apply_sheet_changes(const world_config& world, world_data& data, const std::vector<sheet_change>& changes) {
  for (const auto& c : changes) apply_change(world, data, c);
}

std::vector<dropped_change> replay_sheet_changes(const world_config& world, world_data& data,
                                                 std::vector<sheet_change>& changes) {
  std::vector<dropped_change> dropped;
  std::vector<sheet_change> kept;
  kept.reserve(changes.size());
  for (auto& c : changes) {
    // A change that fails leaves the data as it was (every check comes before the edit).
    try {
      apply_change(world, data, c);
      kept.push_back(std::move(c));
    } catch (const config_error& e) {
      dropped.push_back({std::move(c), e.what()});
    }
  }
  changes = std::move(kept);
  return dropped;
}

std::optional<nlohmann::json> compose_merge_patches(const nlohmann::json& first, const nlohmann::json& second) {
  if (!second.is_object()) return second;
  if (!first.is_object()) return std::nullopt;  // the key is replaced by an object: no patch says "exactly this"
  auto out = first;
  for (const auto& [key, value] : second.items()) {
    if (!value.is_object() || !out.contains(key)) {
      out[key] = value;  // null still removes; anything else replaces; an object merges into the target
      continue;
    }
    auto inner = compose_merge_patches(out[key], value);
    if (!inner) return std::nullopt;
    out[key] = std::move(*inner);
  }
  return out;
}

std::size_t change_wire_bytes(const sheet_change& c) {
  auto escaped = [](std::string_view s) {
    std::size_t n = 2;
    for (unsigned char ch : s) n += ch == '"' || ch == '\\' ? 2 : ch < 0x20 ? 6 : 1;
    return n;
  };
  // Keys, the op and punctuation of {"origin":…,"section":…,"id":…,"op":…,"text":…}, with room.
  return 64 + escaped(c.origin) + escaped(c.section) + escaped(c.id) + escaped(c.text);
}

std::size_t change_list_bytes(const std::vector<sheet_change>& list) {
  std::size_t total = 0;
  for (const auto& c : list) total += change_wire_bytes(c);
  return total;
}

record_result record_sheet_change(std::vector<sheet_change>& list, sheet_change change, const world_data& before,
                                  const world_data& after, const change_limits& limits) {
  if (change_wire_bytes(change) > limits.max_change_bytes) return record_result::too_large;
  change.moves_card = takes_or_frees_serial(change, before, after);
  auto next = list;
  bool names = names_a_persona(change, after);
  bool folded = false;
  if (change.what == sheet_change::op::patch)
    folded = fold_patch(next, change, after, names);
  else if (change.what != sheet_change::op::api_user)
    folded = supersede(next, change, names);
  if (!folded) next.push_back(std::move(change));
  if (next.size() > limits.max_changes) return record_result::too_many;
  if (change_list_bytes(next) > limits.max_bytes) return record_result::list_full;
  list = std::move(next);
  return record_result::recorded;
}

std::optional<sheet_change> parse_api_user(const std::string& spec, std::string& error) {
  sheet_change c;
  c.what = sheet_change::op::api_user;
  c.section = "services";
  c.origin = "--api-user " + spec;
  auto url = spec;
  if (auto eq = spec.find('='); eq != std::string::npos && spec.rfind("http", 0) != 0) {
    c.id = spec.substr(0, eq);
    url = spec.substr(eq + 1);
    if (!is_client_id(c.id)) {
      error = "'" + c.id + "' is not a client_id such as SP00000086_AA0003";
      return std::nullopt;
    }
  }
  auto scheme_end = url.find("://");
  bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  if (!http || url.size() <= scheme_end + 3 || url.find_first_of(" \t\r\n?#") != std::string::npos) {
    error = "expected [CLIENT_ID=]http(s)://host:port of the API user's app, got '" + spec + "'";
    return std::nullopt;
  }
  c.text = url;
  return c;
}

nlohmann::json service_json(const service_config& s) {
  nlohmann::json methods = nlohmann::json::array();
  for (auto m : s.query_methods) methods.push_back(to_string(m));
  nlohmann::json j{{"client_id", s.client_id},
                   {"provider_name", s.provider_name},
                   {"name", s.name},
                   {"purpose", s.purpose},
                   {"items", s.items},
                   {"query_methods", methods},
                   {"redirect_uris", s.redirect_uris}};
  if (!s.ci.persona.empty()) j["ci"] = {{"persona", s.ci.persona}, {"outcome", s.ci.outcome}};
  return j;
}

nlohmann::json service_view(const world_data& d, const service_config& s) {
  auto j = service_json(s);
  const auto* c = d.find_connection(s.client_id);
  j["connection"] = c ? connection_json(*c) : nlohmann::json();
  if (c) j["connection"]["defined_at"] = c->defined_at;
  j["defined_at"] = s.defined_at;
  return j;
}

nlohmann::json connection_json(const connection_config& c) {
  nlohmann::json j{{"client_id", c.client_id}, {"notification_url", c.notification_url}};
  if (!c.client_cert_sha256.empty()) j["client_cert_sha256"] = c.client_cert_sha256;
  if (!c.client_cert_subject.empty()) j["client_cert_subject"] = c.client_cert_subject;
  if (!c.allowed_sources.empty()) j["allowed_sources"] = c.allowed_sources;
  return j;
}

nlohmann::json persona_json(const persona& p) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& d : p.data)
    data.push_back({{"item", d.item}, {"holder", d.holder}, {"body", d.body}, {"records", d.records()}});
  return {{"id", p.id},
          {"name", p.name},
          {"kana", p.kana},
          {"birth_date", p.birth_date},
          {"sex", p.sex},
          {"address", p.address},
          {"municipality", p.municipality},
          {"note", p.note},
          {"card",
           {{"serial", p.card.serial},
            {"pin", p.card.pin},
            {"pin_tries_left", p.card.pin_tries_left},
            {"certificate", to_string(p.card.certificate)}}},
          {"data", data}};
}

const char* to_string(sheet_change::op o) {
  switch (o) {
    case sheet_change::op::put:
      return "put";
    case sheet_change::op::patch:
      return "patch";
    case sheet_change::op::remove:
      return "remove";
    case sheet_change::op::api_user:
      return "api_user";
  }
  return "";
}

std::optional<sheet_change> sheet_change_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  sheet_change c;
  auto op = j.value("op", std::string());
  if (op == "put")
    c.what = sheet_change::op::put;
  else if (op == "patch")
    c.what = sheet_change::op::patch;
  else if (op == "remove")
    c.what = sheet_change::op::remove;
  else if (op == "api_user")
    c.what = sheet_change::op::api_user;
  else
    return std::nullopt;
  for (auto [k, v] : {std::pair{"section", &c.section}, {"id", &c.id}, {"text", &c.text}, {"origin", &c.origin}}) {
    if (!j.contains(k) || !j[k].is_string()) return std::nullopt;
    *v = j[k].get<std::string>();
  }
  if (c.section != "services" && c.section != "connections" && c.section != "personas") return std::nullopt;
  return c;
}

}  // namespace mynasim
