// YAML → world_data: items, services, connections, personas, portal settings, errors.
#include <algorithm>
#include <set>

#include "config/data_parser.hpp"
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

bool is_url(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

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
    if (s == "date") out.push_back(query_method::date);
    else if (s == "range") out.push_back(query_method::range);
    else if (s == "latest") out.push_back(query_method::latest);
    else item.fail("unknown query method '" + s + "' (date, range, latest)");
  }
  return out;
}

const std::set<std::string> outcomes = {"consent", "refuse", "cancel_link", "wrong_pin", "lock_card",
                                        "expired_certificate", "revoked_certificate"};

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
  s.query_methods = m.has("query_methods") ? parse_methods(m.get("query_methods"))
                                           : std::vector<query_method>{query_method::date, query_method::range,
                                                                       query_method::latest};
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
  if (cert == "valid") c.certificate = certificate_state::valid;
  else if (cert == "expired") c.certificate = certificate_state::expired;
  else if (cert == "revoked") c.certificate = certificate_state::revoked;
  else m.get("certificate").fail("certificate is valid, expired or revoked");
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
      for (const auto& r : em.get("records").items()) {
        if (!r.is_map()) r.fail("a record is a mapping of field → value");
        pd.records.push_back(yaml_to_json(r, false));  // record values stay strings, as on the wire
      }
      em.done();
      p.data.push_back(std::move(pd));
    }
  }
  m.done();
  return p;
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
  for (const auto& kv : v.node()) {
    auto key = kv.first.Scalar();
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
  each("personas", [&](const yaml_value& v) {
    bool replaces = false;
    auto p = parse_persona(v, d, &replaces);
    auto id = p.id, serial = p.card.serial;
    if (auto it = serials.find(serial); it != serials.end() && it->second != id)
      v.fail("card serial " + serial + " is used twice");
    if (auto old = place(d.personas, persona_index, std::move(p), id, replaces, v, "persona"))
      serials.erase(old->card.serial);
    serials[serial] = id;
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
  if (auto it = sections.find("portal"); it != sections.end() && !it->second.empty()) parse_portal(it->second.front(), d.portal);
  if (auto it = sections.find("errors"); it != sections.end() && !it->second.empty()) parse_errors(it->second.front(), d.errors);
}

}  // namespace mynasim
