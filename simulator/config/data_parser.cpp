// SPDX-License-Identifier: Apache-2.0
// YAML → world_data: items, services, connections, personas, portal settings, errors.
#include "config/data_parser.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "config/yaml_reader.hpp"

namespace mynasim {
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

}  // namespace

// A persona entry with `count: N` is a template for N personas (load-test worlds): `{n}` or
// `{n:08}` in any of its strings becomes 1 … N. The template is validated once, as persona 1;
// the others are copies with their strings expanded (and PINs, dates, serials checked).
std::vector<persona> generate_personas(const yaml_value& v, const world_data& d) {
  auto& doc = v.document();
  const auto self = v.node();
  auto count =
      v.child(*doc.find(self, "count"), v.path() + ".count").as_int(1, 200'000);  // bounded: ≈2 KB each once loaded
  // The strings as written, {n} and all, read before persona 1 is expanded in place.
  auto str = [&](std::uint32_t map, const char* key) {
    auto n = doc.find(map, key);
    return n && doc.at(*n).type == yaml_document::kind::scalar ? std::string(doc.scalar(*n)) : std::string();
  };
  const std::string id = str(self, "id"), name = str(self, "name"), kana = str(self, "kana"),
                    birth = str(self, "birth_date"), address = str(self, "address"),
                    municipality = str(self, "municipality"), note = str(self, "note");
  auto card = doc.find(self, "card");
  const std::string serial = card ? str(*card, "serial") : "", pin = card ? str(*card, "pin") : "";
  // The data entries' records and bodies as written.
  struct data_template {
    std::vector<nlohmann::json> records;
    std::string body;  // empty: the persona's municipality
  };
  std::vector<data_template> data_raw;
  if (auto data = doc.find(self, "data"); data && doc.at(*data).type == yaml_document::kind::sequence)
    for (auto entry : doc.children(*data)) {
      data_template dt;
      dt.body = str(entry, "body");
      if (auto records = doc.find(entry, "records"); records && doc.at(*records).type == yaml_document::kind::sequence)
        for (auto r : doc.children(*records)) dt.records.push_back(yaml_to_json(v.child(r, v.path()), false));
      data_raw.push_back(std::move(dt));
    }
  // The entry itself becomes persona 1 (expanded in place, so errors keep their positions).
  doc.remove_key(self, "count");
  // Every placeholder must be well formed before anything is expanded.
  std::vector<std::pair<std::string, std::string>> raw;  // key path → template, for the strings that vary
  std::function<void(std::uint32_t, const std::string&)> scan = [&](std::uint32_t n, const std::string& path) {
    auto c = doc.children(n);
    switch (doc.at(n).type) {
      case yaml_document::kind::scalar: {
        std::string text(doc.scalar(n)), ignored;
        if (text.find("{n") != std::string::npos) {
          if (!expand(text, 1, ignored))
            v.child(n, path).fail("a placeholder is {n} or {n:06} (zero-padded width), got '" + text + "'");
          raw.emplace_back(path, text);
        }
        break;
      }
      case yaml_document::kind::sequence:
        for (std::size_t i = 0; i < c.size(); ++i) scan(c[i], path + "[" + std::to_string(i) + "]");
        break;
      case yaml_document::kind::map:
        for (std::size_t i = 0; i < c.size(); i += 2) scan(c[i + 1], path + "." + std::string(doc.scalar(c[i])));
        break;
      case yaml_document::kind::null:
        break;
    }
  };
  scan(self, v.path());
  expand_node(doc, self, 1);
  auto p1 = parse_persona(v, d);
  std::vector<persona> out;
  out.reserve(static_cast<std::size_t>(count));
  bool data_varies = municipality.find("{n") != std::string::npos;
  for (const auto& [path, t] : raw) data_varies = data_varies || path.find(".data") != std::string::npos;
  std::string buf;
  for (long n = 1; n <= count; ++n) {
    persona p = p1;
    auto set = [&](const std::string& t, std::string& field) {
      if (t.find("{n") != std::string::npos && expand(t, n, buf)) field = buf;
    };
    set(id, p.id);
    set(name, p.name);
    set(kana, p.kana);
    set(birth, p.birth_date);
    set(address, p.address);
    set(municipality, p.municipality);
    set(note, p.note);
    set(serial, p.card.serial);
    set(pin, p.card.pin);
    if (p.card.pin.size() != 4 || p.card.pin.find_first_not_of("0123456789") != std::string::npos)
      v.fail("persona " + p.id + ": the 利用者証明用 PIN is 4 digits, got '" + p.card.pin + "'");
    if (p.birth_date != p1.birth_date && !parse_date(p.birth_date))
      v.fail("persona " + p.id + ": birth_date expected YYYY-MM-DD, got '" + p.birth_date + "'");
    if (data_varies)
      for (std::size_t i = 0; i < p.data.size() && i < data_raw.size(); ++i) {
        auto& pd = p.data[i];
        auto records = data_raw[i].records;
        for (auto& r : records) expand_json(r, n);
        pd.set_records(std::move(records));
        if (data_raw[i].body.empty())
          pd.body = p.municipality;
        else if (expand(data_raw[i].body, n, buf))
          pd.body = buf;
      }
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

void parse_portal(const yaml_value& v, portal_settings& p) {
  yaml_map m(v);
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
  yaml_map m(v);
  for (const auto& key : v.keys()) {
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

}  // namespace

void parse_world_data(const section_map& sections, world_config& w) {
  auto& d = w.data;
  d.errors = default_error_catalogue();
  auto each = [&](const char* name, auto&& f) {
    if (auto it = sections.find(name); it != sections.end())
      for (const auto& list : it->second)
        for (const auto& item : list.items()) f(item);
  };
  std::set<std::string> seen;
  each("items", [&](const yaml_value& v) {
    d.items.push_back(parse_item(v, w));
    if (!seen.insert(d.items.back().code).second) v.fail("duplicate item code " + d.items.back().code);
  });
  // Later files may replace an earlier definition by id, but only when they say so.
  // Returns the entry it replaces, if any.
  auto place = [](auto& list, std::map<std::string, std::size_t>& index, auto entry, const std::string& id,
                  bool replaces, const yaml_value& v, const char* what) {
    auto it = index.find(id);
    if (replaces && it == index.end()) v.fail(std::string("override: true, but no earlier ") + what + " " + id);
    if (!replaces && it != index.end())
      v.fail(std::string("a second ") + what + " " + id + " (add `override: true` to replace the earlier one)");
    if (it != index.end()) {
      std::swap(list[it->second], entry);
      return std::optional(std::move(entry));
    }
    index[id] = list.size();
    list.push_back(std::move(entry));
    return std::optional<decltype(entry)>();
  };
  std::map<std::string, std::size_t> persona_index, service_index, connection_index;
  std::map<std::string, std::string> serials;  // card serial → persona id
  auto add_persona = [&](persona p, bool replaces, const yaml_value& v) {
    auto id = p.id, serial = p.card.serial;
    if (auto it = serials.find(serial); it != serials.end() && it->second != id)
      v.fail("card serial " + serial + " is used twice");
    if (auto old = place(d.personas, persona_index, std::move(p), id, replaces, v, "persona"))
      serials.erase(old->card.serial);
    serials[serial] = id;
  };
  each("personas", [&](const yaml_value& v) {
    if (v.is_map() && v.document().find(v.node(), "count")) {
      for (auto& p : generate_personas(v, d)) add_persona(std::move(p), false, v);
      return;
    }
    bool replaces = false;
    auto p = parse_persona(v, d, &replaces);
    add_persona(std::move(p), replaces, v);
  });
  each("services", [&](const yaml_value& v) {
    bool replaces = false;
    auto s = parse_service(v, d, &replaces);
    auto id = s.client_id;
    place(d.services, service_index, std::move(s), id, replaces, v, "service");
  });
  each("connections", [&](const yaml_value& v) {
    bool replaces = false;
    auto c = parse_connection(v, d, &replaces);
    auto id = c.client_id;
    place(d.connections, connection_index, std::move(c), id, replaces, v, "connection");
  });
  if (auto it = sections.find("portal"); it != sections.end() && !it->second.empty())
    parse_portal(it->second.front(), d.portal);
  if (auto it = sections.find("errors"); it != sections.end() && !it->second.empty())
    parse_errors(it->second.front(), d.errors);
}

}  // namespace mynasim
