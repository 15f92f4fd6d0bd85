// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_routes.hpp"

#include "calendar/availability_view.hpp"
#include "clock/faketime.hpp"
#include "config/sheet_changes.hpp"
#include "core/json_util.hpp"

namespace mynasim {
namespace {

constexpr std::chrono::days max_timeline_span{400};

nlohmann::json clock_json(const virtual_clock& clock) {
  auto s = clock.state();
  return {{"now", format_instant(s.now)}, {"speed", s.speed}, {"frozen", s.frozen}, {"timezone", "Asia/Tokyo"}};
}

// Reads an optional ISO-8601 instant from the query; `fallback` when absent.
std::optional<instant> instant_param(const http_request& req, const char* name, instant fallback, bool& bad) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return fallback;
  auto t = parse_instant(*v);
  bad = !t;
  return t;
}

http_response put_clock(world_runtime& rt, http_request& req) {
  std::string error;
  auto body = parse_json_object(req.body, error);
  if (!body) return json_error(400, "invalid_request", error);
  for (auto& [key, value] : body->items())
    if (key != "now" && key != "speed" && key != "frozen")
      return json_error(400, "invalid_request", "unknown key '" + key + "' (now, speed, frozen)");
  std::optional<instant> now;
  if (body->contains("now")) {
    const auto& v = (*body)["now"];
    if (!v.is_string() || !(now = parse_instant(v.get<std::string>())))
      return json_error(400, "invalid_request", "now must be an ISO-8601 instant such as 2026-12-28T20:55:00+09:00");
  }
  std::optional<double> speed;
  if (body->contains("speed")) {
    const auto& v = (*body)["speed"];
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1e6)
      return json_error(400, "invalid_request", "speed must be a number between 0 and 1000000");
    speed = v.get<double>();
  }
  std::optional<bool> frozen;
  if (body->contains("frozen")) {
    if (!(*body)["frozen"].is_boolean()) return json_error(400, "invalid_request", "frozen must be true or false");
    frozen = (*body)["frozen"].get<bool>();
  }
  if (speed) rt.clock.set_speed(*speed);
  if (frozen) rt.clock.set_frozen(*frozen);
  if (now) rt.clock.set_now(*now);
  return json_response(200, clock_json(rt.clock));
}

http_response advance_clock(world_runtime& rt, http_request& req) {
  std::string error;
  auto body = parse_json_object(req.body, error);
  if (!body) return json_error(400, "invalid_request", error);
  if (!body->contains("by") || !(*body)["by"].is_string() || body->size() != 1)
    return json_error(400, "invalid_request", "expected {\"by\": \"PT2H30M\"}");
  auto by = parse_duration((*body)["by"].get<std::string>());
  if (!by) return json_error(400, "invalid_request", "by must be an ISO-8601 duration such as PT2H30M");
  if (!rt.clock.advance(*by))
    return json_error(400, "invalid_request",
                      "the virtual clock would leave the supported span " + std::to_string(first_supported_year) + "–" +
                          std::to_string(last_supported_year));
  return json_response(200, clock_json(rt.clock));
}

// The JST days of [from, to) that are weekends or holidays: the control room shades them.
nlohmann::json days_off_json(const world_runtime& rt, instant from, instant to) {
  nlohmann::json days = nlohmann::json::array();
  for (auto d = local_day(from); d <= local_day(to); d += std::chrono::days{1}) {
    std::chrono::weekday wd{d};
    const auto* holiday = rt.holidays.name_of(d);
    if (!holiday && wd != std::chrono::Saturday && wd != std::chrono::Sunday) continue;
    days.push_back({{"date", format_date(d)},
                    {"name", holiday ? *holiday : (wd == std::chrono::Saturday ? "土曜日" : "日曜日")},
                    {"holiday", holiday != nullptr}});
  }
  return days;
}

http_response timeline(world_runtime& rt, http_request& req) {
  auto id = req.query_param("system");
  const system_config* sys = nullptr;
  if (id && !id->empty() && !(sys = rt.world.find_system(*id)))
    return json_error(404, "unknown_system", "no system '" + *id + "'");
  bool bad = false;
  auto now = rt.clock.now();
  auto from = instant_param(req, "from", now, bad);
  if (bad) return json_error(400, "invalid_request", "from must be an ISO-8601 instant");
  auto to = instant_param(req, "to", *from + std::chrono::days{7}, bad);
  if (bad) return json_error(400, "invalid_request", "to must be an ISO-8601 instant");
  if (*to <= *from || *to - *from > max_timeline_span)
    return json_error(400, "invalid_request", "to must be after from, at most 400 days later");
  if (sys) return json_response(200, timeline_json(rt.availability, *sys, *from, *to));
  // Every system at once, and the days off: the picture of tables 2.5-1…2.5-4 as a calendar.
  nlohmann::json systems = nlohmann::json::array();
  for (const auto& s : rt.world.systems) systems.push_back(timeline_json(rt.availability, s, *from, *to));
  return json_response(200, {{"from", format_instant(*from)},
                             {"to", format_instant(*to)},
                             {"now", format_instant(now)},
                             {"systems", std::move(systems)},
                             {"days_off", days_off_json(rt, *from, *to)}});
}

nlohmann::json config_json(const world_runtime& rt) {
  const auto& w = rt.world;
  nlohmann::json systems = nlohmann::json::array();
  for (const auto& s : w.systems) {
    nlohmann::json hours = nlohmann::json::array();
    for (const auto& h : s.rules.hours)
      hours.push_back(format_clock_time(h.from_minute) + "-" + format_clock_time(h.until_minute));
    nlohmann::json outages = nlohmann::json::array();
    for (const auto& o : s.rules.outages) outages.push_back({{"name", o.name}, {"inferred", o.inferred}});
    systems.push_back({{"id", s.id},
                       {"name", s.name},
                       {"kind", to_string(s.kind)},
                       {"table", s.table},
                       {"note", s.note},
                       {"hours", hours},
                       {"closed_on_holidays", s.rules.closed_on_holidays},
                       {"closed_weekdays_mask", s.rules.closed_weekdays},
                       {"outages", outages}});
  }
  auto listener = [](const listener_config& l) {
    return nlohmann::json{{"enabled", l.enabled},
                          {"address", l.address},
                          {"port", l.port},
                          {"tls", l.tls.enabled},
                          {"require_client_cert", l.tls.require_client_cert}};
  };
  const auto data = rt.data.get();
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : data->services) services.push_back(service_view(*data, s));
  nlohmann::json personas = nlohmann::json::array();
  for (const auto& p : data->personas)
    personas.push_back({{"id", p.id}, {"name", p.name}, {"card_serial", p.card.serial}, {"defined_at", p.defined_at}});
  return {{"name", w.name},
          {"entry_file", w.entry_file},
          {"files", w.files},
          {"services", services},
          {"personas", personas},
          {"listeners",
           {{"app", listener(w.server.app)},
            {"sp", listener(w.server.sp)},
            {"admin", listener(w.server.admin)},
            {"systems", listener(w.server.systems)}}},
          {"clock", clock_json(rt.clock)},
          {"systems", systems}};
}

}  // namespace

void register_admin_routes(router& r, const admin_context& ctx) {
  auto* rt = ctx.runtime;
  r.add_sync("GET", "/__admin/health", [rt, health = ctx.health](http_request&) {
    nlohmann::json body{{"status", "ok"}, {"virtual_time", format_instant(rt->clock.now())}};
    if (health) body.update(health());
    return json_response(200, body);
  });
  r.add_sync("GET", "/__admin/clock", [rt](http_request&) { return json_response(200, clock_json(rt->clock)); });
  r.add_sync("PUT", "/__admin/clock", [rt](http_request& req) { return put_clock(*rt, req); });
  r.add_sync("POST", "/__admin/clock/advance", [rt](http_request& req) { return advance_clock(*rt, req); });
  r.add_sync("POST", "/__admin/clock/wall", [rt](http_request&) {
    rt->clock.follow_wall();
    return json_response(200, clock_json(rt->clock));
  });
  // The clock as libfaketime reads it (FAKETIME_TIMESTAMP_FILE), for an app under test to follow.
  r.add_sync("GET", "/__admin/clock/faketime", [rt](http_request&) {
    auto wall = std::chrono::floor<millis>(std::chrono::system_clock::now());
    http_response res{200, {}, faketime_of(rt->clock.state(), instant{wall.time_since_epoch()}).line};
    res.set("content-type", "text/plain; charset=utf-8");
    res.set("cache-control", "no-store");
    return res;
  });
  r.add_sync("GET", "/__admin/availability", [rt](http_request& req) {
    bool bad = false;
    auto at = instant_param(req, "at", rt->clock.now(), bad);
    if (bad) return json_error(400, "invalid_request", "at must be an ISO-8601 instant");
    return json_response(200, availability_json(rt->availability, *at));
  });
  r.add_sync("GET", "/__admin/availability/timeline", [rt](http_request& req) { return timeline(*rt, req); });
  r.add_sync("GET", "/__admin/config", [rt](http_request&) { return json_response(200, config_json(*rt)); });
}

}  // namespace mynasim
