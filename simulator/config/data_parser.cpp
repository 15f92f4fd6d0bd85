// SPDX-License-Identifier: Apache-2.0
// YAML → world_data: items, services, connections, personas, portal settings, errors.
#include "config/data_parser.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "config/yaml_reader.hpp"

namespace mynasim {

yaml_map section_fields(const yaml_value& v) {
  yaml_map m(v);
  m.bool_or("override", false);
  return m;
}

namespace {

millis duration_or(const yaml_map& m, const std::string& key, millis fallback) {
  auto v = m.find(key);
  if (!v) return fallback;
  auto d = parse_duration(v->as_string());
  if (!d || d->count() < 0) v->fail("expected a non-negative ISO-8601 duration such as PT5M");
  return *d;
}

bool is_url(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

item_definition parse_item(const yaml_value& v, const world_config& w) {
  yaml_map m(v);
  item_definition i;
  auto code = m.get("code");
  i.code = code.as_string();
  if (!is_item_code(i.code)) code.fail("an item code is TM followed by 14 digits, got '" + i.code + "'");
  i.name = m.get("name").as_string();
  i.category = m.get("category").as_string();
  i.field = m.get("field").as_string();
  auto holders = m.get("holders");
  i.holders = holders.strings();
  if (i.holders.empty()) holders.fail("an item needs at least one holder");
  for (std::size_t k = 0; k < i.holders.size(); ++k) {
    const auto* sys = w.find_system(i.holders[k]);
    if (!sys || sys->kind != system_kind::intermediate)
      holders.items()[k].fail("'" + i.holders[k] + "' is not an intermediate server of this world");
  }
  if (auto f = m.find("fields")) i.fields = f->strings();
  i.date_field = m.string_or("date_field", "");
  if (auto p = m.find("period")) {
    yaml_map pm(*p);
    i.period_from = pm.get("from").as_string();
    i.period_until = pm.get("until").as_string();
    pm.done();
    if (!i.date_field.empty()) p->fail("use either period or date_field");
  }
  m.done();
  return i;
}

std::vector<query_method> parse_methods(const yaml_value& v) {
  std::vector<query_method> out;
  for (const auto& item : v.items()) {
    auto s = item.as_string();
    if (s == "date")
      out.push_back(query_method::date);
    else if (s == "range")
      out.push_back(query_method::range);
    else if (s == "latest")
      out.push_back(query_method::latest);
    else
      item.fail("unknown query method '" + s + "' (date, range, latest)");
  }
  return out;
}

const std::set<std::string> outcomes = {
    "consent", "refuse", "cancel_link", "wrong_pin", "lock_card", "expired_certificate", "revoked_certificate"};

}  // namespace

service_config parse_service(const yaml_value& v, const world_data& d, bool* replaces) {
  yaml_map m(v);
  service_config s;
  if (replaces) *replaces = m.bool_or("override", false);
  s.defined_at = v.where();
  auto id = m.get("client_id");
  s.client_id = id.as_string();
  if (!is_client_id(s.client_id))
    id.fail("client_id is <サービス提供者ID>_<サービスID> such as SP00000086_AA0003, got '" + s.client_id + "'");
  s.provider_id = s.client_id.substr(0, 10);
  s.service_id = s.client_id.substr(11);
  s.provider_name = m.get("provider_name").as_string();
  s.name = m.get("name").as_string();
  s.purpose = m.get("purpose").as_string();
  auto items = m.get("items");
  s.items = items.strings();
  for (std::size_t k = 0; k < s.items.size(); ++k)
    if (!d.find_item(s.items[k])) items.items()[k].fail("unknown item '" + s.items[k] + "'");
  if (s.items.empty()) items.fail("a service obtains at least one item");
  s.query_methods = m.has("query_methods")
                        ? parse_methods(m.get("query_methods"))
                        : std::vector<query_method>{query_method::date, query_method::range, query_method::latest};
  auto uris = m.get("redirect_uris");
  s.redirect_uris = uris.strings();
  for (std::size_t k = 0; k < s.redirect_uris.size(); ++k)
    if (!is_url(s.redirect_uris[k])) uris.items()[k].fail("not an http(s) URL");
  if (auto ci = m.find("ci")) {
    yaml_map cm(*ci);
    s.ci.persona = cm.get("persona").as_string();
    if (!d.find_persona(s.ci.persona)) cm.get("persona").fail("unknown persona '" + s.ci.persona + "'");
    auto outcome = cm.find("outcome");
    if (outcome) {
      s.ci.outcome = outcome->as_string();
      if (!outcomes.count(s.ci.outcome)) outcome->fail("unknown outcome '" + s.ci.outcome + "'");
    }
    cm.done();
  }
  m.done();
  return s;
}

connection_config parse_connection(const yaml_value& v, const world_data& d, bool* replaces) {
  yaml_map m(v);
  connection_config c;
  if (replaces) *replaces = m.bool_or("override", false);
  c.defined_at = v.where();
  auto id = m.get("client_id");
  c.client_id = id.as_string();
  if (!d.find_service(c.client_id)) id.fail("no service with client_id '" + c.client_id + "'");
  auto url = m.get("notification_url");
  c.notification_url = url.as_string();
  if (!is_url(c.notification_url)) url.fail("not an http(s) URL");
  c.client_cert_sha256 = m.string_or("client_cert_sha256", "");
  c.client_cert_subject = m.string_or("client_cert_subject", "");
  if (auto a = m.find("allowed_sources")) c.allowed_sources = a->strings();
  m.done();
  return c;
}

namespace {

card_config parse_card(const yaml_value& v) {
  yaml_map m(v);
  card_config c;
  c.serial = m.get("serial").as_string();
  if (c.serial.empty()) m.get("serial").fail("a card needs a serial");
  auto pin = m.get("pin");
  c.pin = pin.as_string();
  if (c.pin.size() != 4 || c.pin.find_first_not_of("0123456789") != std::string::npos)
    pin.fail("the 利用者証明用 PIN is 4 digits");
  c.pin_tries_left = static_cast<int>(m.int_or("pin_tries_left", 3, 0, 3));
  auto cert = m.string_or("certificate", "valid");
  if (cert == "valid")
    c.certificate = certificate_state::valid;
  else if (cert == "expired")
    c.certificate = certificate_state::expired;
  else if (cert == "revoked")
    c.certificate = certificate_state::revoked;
  else
    m.get("certificate").fail("certificate is valid, expired or revoked");
  m.done();
  return c;
}

}  // namespace

persona parse_persona(const yaml_value& v, const world_data& d, bool* replaces) {
  yaml_map m(v);
  persona p;
  if (replaces) *replaces = m.bool_or("override", false);
  p.defined_at = v.where();
  p.id = m.get("id").as_string();
  p.name = m.get("name").as_string();
  p.kana = m.get("kana").as_string();
  p.birth_date = m.get("birth_date").as_string();
  if (!parse_date(p.birth_date)) m.get("birth_date").fail("expected YYYY-MM-DD");
  p.sex = m.get("sex").as_string();
  p.address = m.get("address").as_string();
  p.municipality = m.get("municipality").as_string();
  p.note = m.string_or("note", "");
  p.card = parse_card(m.get("card"));
  if (auto data = m.find("data")) {
    for (const auto& entry : data->items()) {
      yaml_map em(entry);
      persona_data pd;
      auto item = em.get("item");
      pd.item = item.as_string();
      const auto* def = d.find_item(pd.item);
      if (!def) item.fail("unknown item '" + pd.item + "'");
      pd.holder = em.string_or("holder", def->holders.front());
      if (std::find(def->holders.begin(), def->holders.end(), pd.holder) == def->holders.end())
        em.get("holder").fail("'" + pd.holder + "' does not hold " + def->name);
      pd.body = em.string_or("body", p.municipality);
      std::vector<nlohmann::json> records;
      for (const auto& r : em.get("records").items()) {
        if (!r.is_map()) r.fail("a record is a mapping of field → value");
        records.push_back(yaml_to_json(r, false));  // record values stay strings, as on the wire
      }
      pd.set_records(std::move(records));
      em.done();
      p.data.push_back(std::move(pd));
    }
  }
  m.done();
  return p;
}

namespace {

// "{n}" → n, "{n:06}" → n padded with zeros to 6 digits; other text is kept.
bool expand(const std::string& t, long n, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < t.size();) {
    if (t.compare(i, 2, "{n") != 0) {
      out += t[i++];
      continue;
    }
    auto close = t.find('}', i);
    if (close == std::string::npos) return false;
    auto spec = t.substr(i + 2, close - i - 2);  // "" or ":06"
    int width = 0;
    if (!spec.empty()) {
      if (spec.size() < 2 || spec.size() > 3 || spec[0] != ':' ||
          spec.find_first_not_of("0123456789", 1) != std::string::npos)
        return false;
      width = std::stoi(spec.substr(1));
    }
    auto digits = std::to_string(n);
    if (static_cast<int>(digits.size()) < width) out.append(static_cast<std::size_t>(width) - digits.size(), '0');
    out += digits;
    i = close + 1;
  }
  return true;
}

void expand_json(nlohmann::json& j, long n) {
  if (j.is_string()) {
    const auto& t = j.get_ref<const std::string&>();
    std::string out;
    if (t.find("{n") != std::string::npos && expand(t, n, out)) j = out;
  } else if (j.is_object() || j.is_array()) {
    for (auto& child : j) expand_json(child, n);
  }
}

void expand_node(yaml_document& doc, std::uint32_t node, long n) {
  switch (doc.at(node).type) {
    case yaml_document::kind::scalar: {
      std::string out;
      auto text = std::string(doc.scalar(node));
      if (text.find("{n") != std::string::npos && expand(text, n, out)) doc.set_scalar(node, out);
      break;
    }
    case yaml_document::kind::sequence:
      for (auto child : doc.children(node)) expand_node(doc, child, n);
      break;
    case yaml_document::kind::map: {
      auto c = doc.children(node);
      for (std::size_t i = 1; i < c.size(); i += 2) expand_node(doc, c[i], n);
      break;
    }
    case yaml_document::kind::null:
      break;
  }
}

// A persona template's strings as written, {n} and all: read before persona 1 is expanded in place.
struct persona_template {
  std::string id, name, kana, birth_date, address, municipality, note, serial, pin;
  // The data entries' records and bodies as written.
  struct data_entry {
    std::vector<nlohmann::json> records;
    std::string body;  // empty: the persona's municipality
  };
  std::vector<data_entry> data;
  bool data_varies = false;  // the records or bodies differ from persona to persona
};

// The text of `key` in a mapping node, or "" when it is missing or not a scalar.
std::string scalar_text(const yaml_document& doc, std::uint32_t map, const char* key) {
  auto n = doc.find(map, key);
  return n && doc.at(*n).type == yaml_document::kind::scalar ? std::string(doc.scalar(*n)) : std::string();
}

std::vector<persona_template::data_entry> read_template_data(const yaml_value& v) {
  const auto& doc = v.document();
  std::vector<persona_template::data_entry> out;
  auto data = doc.find(v.node(), "data");
  if (!data || doc.at(*data).type != yaml_document::kind::sequence) return out;
  for (auto entry : doc.children(*data)) {
    persona_template::data_entry de;
    de.body = scalar_text(doc, entry, "body");
    if (auto records = doc.find(entry, "records"); records && doc.at(*records).type == yaml_document::kind::sequence)
      for (auto r : doc.children(*records)) de.records.push_back(yaml_to_json(v.child(r, v.path()), false));
    out.push_back(std::move(de));
  }
  return out;
}

persona_template read_persona_template(const yaml_value& v) {
  const auto& doc = v.document();
  const auto self = v.node();
  persona_template t;
  t.id = scalar_text(doc, self, "id");
  t.name = scalar_text(doc, self, "name");
  t.kana = scalar_text(doc, self, "kana");
  t.birth_date = scalar_text(doc, self, "birth_date");
  t.address = scalar_text(doc, self, "address");
  t.municipality = scalar_text(doc, self, "municipality");
  t.note = scalar_text(doc, self, "note");
  if (auto card = doc.find(self, "card")) {
    t.serial = scalar_text(doc, *card, "serial");
    t.pin = scalar_text(doc, *card, "pin");
  }
  t.data = read_template_data(v);
  return t;
}

// Checks every placeholder under node n (YAML path `path`) before anything is expanded, and
// collects the paths of the strings that hold one.
void collect_placeholders(const yaml_value& v, std::uint32_t n, const std::string& path,
                          std::vector<std::string>& varying) {
  const auto& doc = v.document();
  auto c = doc.children(n);
  switch (doc.at(n).type) {
    case yaml_document::kind::scalar: {
      std::string text(doc.scalar(n)), ignored;
      if (text.find("{n") != std::string::npos) {
        if (!expand(text, 1, ignored))
          v.child(n, path).fail("a placeholder is {n} or {n:06} (zero-padded width), got '" + text + "'");
        varying.push_back(path);
      }
      break;
    }
    case yaml_document::kind::sequence:
      for (std::size_t i = 0; i < c.size(); ++i)
        collect_placeholders(v, c[i], path + "[" + std::to_string(i) + "]", varying);
      break;
    case yaml_document::kind::map:
      for (std::size_t i = 0; i < c.size(); i += 2)
        collect_placeholders(v, c[i + 1], path + "." + std::string(doc.scalar(c[i])), varying);
      break;
    case yaml_document::kind::null:
      break;
  }
}

// The persona's own strings with {n} expanded (those without a placeholder stay as persona 1 has them).
void expand_persona_strings(const persona_template& t, long n, persona& p, std::string& buf) {
  auto set = [&](const std::string& text, std::string& field) {
    if (text.find("{n") != std::string::npos && expand(text, n, buf)) field = buf;
  };
  set(t.id, p.id);
  set(t.name, p.name);
  set(t.kana, p.kana);
  set(t.birth_date, p.birth_date);
  set(t.address, p.address);
  set(t.municipality, p.municipality);
  set(t.note, p.note);
  set(t.serial, p.card.serial);
  set(t.pin, p.card.pin);
}

// What parse_persona checked for persona 1, checked again where expansion may have changed it.
void check_expanded_persona(const yaml_value& v, const persona& p, const persona& first) {
  if (p.card.pin.size() != 4 || p.card.pin.find_first_not_of("0123456789") != std::string::npos)
    v.fail("persona " + p.id + ": the 利用者証明用 PIN is 4 digits, got '" + p.card.pin + "'");
  if (p.birth_date != first.birth_date && !parse_date(p.birth_date))
    v.fail("persona " + p.id + ": birth_date expected YYYY-MM-DD, got '" + p.birth_date + "'");
}

// The data entries' records and bodies of persona n.
void expand_persona_data(const persona_template& t, long n, persona& p, std::string& buf) {
  for (std::size_t i = 0; i < p.data.size() && i < t.data.size(); ++i) {
    auto& pd = p.data[i];
    auto records = t.data[i].records;
    for (auto& r : records) expand_json(r, n);
    pd.set_records(std::move(records));
    if (t.data[i].body.empty())
      pd.body = p.municipality;
    else if (expand(t.data[i].body, n, buf))
      pd.body = buf;
  }
}

// Persona n: a copy of persona 1 with the template's strings expanded for n.
persona expand_template_persona(const yaml_value& v, const persona_template& t, const persona& first, long n,
                                std::string& buf) {
  persona p = first;
  expand_persona_strings(t, n, p, buf);
  check_expanded_persona(v, p, first);
  if (t.data_varies) expand_persona_data(t, n, p, buf);
  return p;
}

}  // namespace

// A persona entry with `count: N` is a template for N personas (load-test worlds): `{n}` or
// `{n:08}` in any of its strings becomes 1 … N. The template is validated once, as persona 1;
// the others are copies with their strings expanded (and PINs, dates, serials checked).
std::vector<persona> generate_personas(const yaml_value& v, const world_data& d) {
  auto& doc = v.document();
  const auto self = v.node();
  auto count =
      v.child(*doc.find(self, "count"), v.path() + ".count").as_int(1, 200'000);  // bounded: ≈2 KB each once loaded
  auto t = read_persona_template(v);
  // The entry itself becomes persona 1 (expanded in place, so errors keep their positions).
  doc.remove_key(self, "count");
  std::vector<std::string> varying;  // YAML paths of the strings with a placeholder
  collect_placeholders(v, self, v.path(), varying);
  expand_node(doc, self, 1);
  const auto first = parse_persona(v, d);
  t.data_varies = t.municipality.find("{n") != std::string::npos ||
                  std::any_of(varying.begin(), varying.end(),
                              [](const std::string& path) { return path.find(".data") != std::string::npos; });
  std::vector<persona> out;
  out.reserve(static_cast<std::size_t>(count));
  std::string buf;
  for (long n = 1; n <= count; ++n) out.push_back(expand_template_persona(v, t, first, n, buf));
  return out;
}

namespace {

void parse_portal(const yaml_value& v, portal_settings& p) {
  auto m = section_fields(v);
  p.session_lifetime = duration_or(m, "session_lifetime", p.session_lifetime);
  p.code_lifetime = duration_or(m, "code_lifetime", p.code_lifetime);
  p.token_lifetime = duration_or(m, "token_lifetime", p.token_lifetime);
  p.result_lifetime = duration_or(m, "result_lifetime", p.result_lifetime);
  p.processing_delay = duration_or(m, "processing_delay", p.processing_delay);
  p.hop_timeout = duration_or(m, "hop_timeout", p.hop_timeout);
  if (auto n = m.find("notification")) {
    yaml_map nm(*n);
    p.notification_attempts = static_cast<int>(nm.int_or("attempts", p.notification_attempts, 1, 20));
    p.notification_first_retry = duration_or(nm, "first_retry", p.notification_first_retry);
    p.notification_timeout = duration_or(nm, "timeout", p.notification_timeout);
    nm.done();
  }
  p.error_redirect = m.string_or("error_redirect", p.error_redirect);
  if (p.error_redirect != "standard" && p.error_redirect != "code")
    m.get("error_redirect").fail("error_redirect is standard or code");
  if (auto t = m.find("telegram_types")) {
    yaml_map tm(*t);
    p.request_response_type = tm.string_or("request_response", p.request_response_type);
    p.notification_type = tm.string_or("notification", p.notification_type);
    p.result_response_type = tm.string_or("result_response", p.result_response_type);
    tm.done();
  }
  if (auto i = m.find("inquiry")) {
    yaml_map im(*i);
    p.range_prefix = im.string_or("range_prefix", p.range_prefix);
    p.latest_condition = im.string_or("latest", p.latest_condition);
    im.done();
  }
  p.allow_test_overrides = m.bool_or("allow_test_overrides", p.allow_test_overrides);
  if (auto l = m.find("limits")) {
    yaml_map lm(*l);
    auto cap = [&](const char* key, std::size_t& out) {
      out = static_cast<std::size_t>(lm.int_or(key, static_cast<std::int64_t>(out), 1, 10'000'000));
    };
    cap("sessions", p.max_sessions);
    cap("codes", p.max_codes);
    cap("tokens", p.max_tokens);
    cap("processes", p.max_processes);
    cap("access_records_per_persona", p.max_access_records);
    lm.done();
  }
  m.done();
}

void parse_errors(const yaml_value& v, std::map<std::string, error_entry>& errors) {
  auto m = section_fields(v);
  for (const auto& key : v.keys()) {
    if (key == "override") continue;
    auto entry_value = m.get(key);
    auto it = errors.find(key);
    if (it == errors.end()) entry_value.fail("unknown error key '" + key + "' (see docs/errors.md)");
    yaml_map em(entry_value);
    it->second.code = em.string_or("code", it->second.code);
    it->second.status = static_cast<int>(em.int_or("status", it->second.status, 200, 599));
    it->second.message = em.string_or("message", it->second.message);
    em.done();
  }
  m.done();
}

// Calls f for every entry of a list section, file after file.
template <class F>
void for_each_entry(const section_map& sections, const char* name, F&& f) {
  if (auto it = sections.find(name); it != sections.end())
    for (const auto& list : it->second)
      for (const auto& item : list.items()) f(item);
}

// A sheet filled from several files, entries kept in the order first defined. Later files may
// replace an earlier definition by id, but only when they say so.
template <class T>
class sheet_list {
 public:
  sheet_list(std::vector<T>& list, const char* what) : list_(list), what_(what) {}

  // Adds the entry, or puts it in the place of the one it replaces and returns that one.
  std::optional<T> place(T entry, const std::string& id, bool replaces, const yaml_value& v) {
    auto it = index_.find(id);
    if (replaces && it == index_.end()) v.fail(std::string("override: true, but no earlier ") + what_ + " " + id);
    if (!replaces && it != index_.end())
      v.fail(std::string("a second ") + what_ + " " + id + " (add `override: true` to replace the earlier one)");
    if (it != index_.end()) {
      std::swap(list_[it->second], entry);
      return std::optional(std::move(entry));
    }
    index_[id] = list_.size();
    list_.push_back(std::move(entry));
    return std::nullopt;
  }

 private:
  std::vector<T>& list_;
  const char* what_;
  std::map<std::string, std::size_t> index_;  // id → position in list_
};

// The personas, each card serial held by one persona only.
class persona_sheet {
 public:
  explicit persona_sheet(std::vector<persona>& list) : personas_(list, "persona") {}

  void add(persona p, bool replaces, const yaml_value& v) {
    auto id = p.id, serial = p.card.serial;
    if (auto it = serials_.find(serial); it != serials_.end() && it->second != id)
      v.fail("card serial " + serial + " is used twice");
    if (auto old = personas_.place(std::move(p), id, replaces, v)) serials_.erase(old->card.serial);
    serials_[serial] = id;
  }

 private:
  sheet_list<persona> personas_;
  std::map<std::string, std::string> serials_;  // card serial → persona id
};

void read_items(const section_map& sections, world_config& world) {
  auto& items = world.data.items;
  std::set<std::string> seen;
  for_each_entry(sections, "items", [&](const yaml_value& v) {
    items.push_back(parse_item(v, world));
    if (!seen.insert(items.back().code).second) v.fail("duplicate item code " + items.back().code);
  });
}

// Personas, explicit ones and those a `count:` template generates.
void read_personas(const section_map& sections, world_data& d) {
  persona_sheet personas(d.personas);
  for_each_entry(sections, "personas", [&](const yaml_value& v) {
    if (v.is_map() && v.document().find(v.node(), "count")) {
      for (auto& p : generate_personas(v, d)) personas.add(std::move(p), false, v);
      return;
    }
    bool replaces = false;
    auto p = parse_persona(v, d, &replaces);
    personas.add(std::move(p), replaces, v);
  });
}

// A sheet whose entries are known by client_id: services or connections.
template <class T, class Parse>
void read_client_sheet(const section_map& sections, const char* section, const char* what, std::vector<T>& list,
                       Parse&& parse) {
  sheet_list<T> sheet(list, what);
  for_each_entry(sections, section, [&](const yaml_value& v) {
    bool replaces = false;
    auto entry = parse(v, &replaces);
    auto id = entry.client_id;
    sheet.place(std::move(entry), id, replaces, v);
  });
}

}  // namespace

void parse_world_data(const section_map& sections, world_config& world) {
  auto& d = world.data;
  d.errors = default_error_catalogue();
  read_items(sections, world);
  read_personas(sections, d);
  read_client_sheet(sections, "services", "service", d.services,
                    [&](const yaml_value& v, bool* replaces) { return parse_service(v, d, replaces); });
  read_client_sheet(sections, "connections", "connection", d.connections,
                    [&](const yaml_value& v, bool* replaces) { return parse_connection(v, d, replaces); });
  if (auto it = sections.find("portal"); it != sections.end() && !it->second.empty())
    parse_portal(it->second.front(), d.portal);
  if (auto it = sections.find("errors"); it != sections.end() && !it->second.empty())
    parse_errors(it->second.front(), d.errors);
}

}  // namespace mynasim
