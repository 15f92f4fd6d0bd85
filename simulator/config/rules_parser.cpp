// SPDX-License-Identifier: Apache-2.0
// YAML → operating_rules: hours, closed days and planned outages of one system.
#include <array>

#include "config/world.hpp"
#include "config/yaml_reader.hpp"

namespace mynasim {
namespace {

constexpr std::array<const char*, 7> weekday_names = {"sunday",   "monday", "tuesday", "wednesday",
                                                      "thursday", "friday", "saturday"};

int parse_weekday(const yaml_value& v) {
  auto s = v.as_string();
  for (std::size_t i = 0; i < weekday_names.size(); ++i)
    if (s == weekday_names[i]) return static_cast<int>(i);
  v.fail("unknown weekday '" + s + "' (sunday … saturday)");
}

int parse_time(const yaml_value& v, const std::string& text) {
  auto t = parse_clock_time(text);
  if (!t) v.fail("expected a time HH:MM between 00:00 and 24:00, got '" + text + "'");
  return *t;
}

day_window parse_window(const yaml_value& v) {
  auto s = v.as_string();
  auto dash = s.find('-');
  if (dash == std::string::npos) v.fail("expected a window HH:MM-HH:MM, got '" + s + "'");
  day_window w{parse_time(v, s.substr(0, dash)), parse_time(v, s.substr(dash + 1))};
  if (w.until_minute <= w.from_minute)
    v.fail("window '" + s + "' must end after it starts (split overnight windows in two)");
  return w;
}

// "HH:MM" or "+N HH:MM" (N days after the anchor day).
void parse_until(const yaml_value& v, outage_rule& r) {
  auto s = v.as_string();
  r.until_day_offset = 0;
  if (!s.empty() && s[0] == '+') {
    auto space = s.find(' ');
    if (space == std::string::npos || space < 2) v.fail("expected '+N HH:MM', got '" + s + "'");
    int n = 0;
    for (std::size_t i = 1; i < space; ++i) {
      if (s[i] < '0' || s[i] > '9') v.fail("expected '+N HH:MM', got '" + s + "'");
      n = n * 10 + (s[i] - '0');
      if (n > 60) v.fail("an outage may last at most 60 days");
    }
    r.until_day_offset = n;
    s = s.substr(space + 1);
  }
  r.until_minute = parse_time(v, s);
}

// "MM-DD HH:MM" for yearly outages.
void parse_month_day_time(const yaml_value& v, unsigned& month, unsigned& day, int& minute) {
  auto s = v.as_string();
  auto date = parse_date("2000-" + s.substr(0, 5));  // a leap year accepts 02-29
  if (s.size() != 11 || s[5] != ' ' || !date) v.fail("expected 'MM-DD HH:MM', got '" + s + "'");
  std::chrono::year_month_day ymd{*date};
  month = static_cast<unsigned>(ymd.month());
  day = static_cast<unsigned>(ymd.day());
  minute = parse_time(v, s.substr(6));
}

// on: {nth: 1..5 | last, weekday: saturday, months: [6, 12]}
void parse_monthly(const yaml_value& v, outage_rule& r) {
  yaml_map m(v);
  r.every = outage_rule::recurrence::monthly;
  auto nth = m.get("nth");
  if (nth.is_scalar() && nth.as_string() == "last")
    r.nth = -1;
  else
    r.nth = static_cast<int>(nth.as_int(1, 5));
  r.weekday = parse_weekday(m.get("weekday"));
  if (auto months = m.find("months"))
    for (const auto& item : months->items()) r.months |= static_cast<std::uint16_t>(1u << item.as_int(1, 12));
  m.done();
}

outage_rule parse_outage(const yaml_value& v) {
  yaml_map m(v);
  outage_rule r;
  r.name = m.get("name").as_string();
  r.inferred = m.bool_or("inferred", false);
  auto every = m.get("every");
  auto kind = every.as_string();
  if (kind == "yearly") {
    r.every = outage_rule::recurrence::yearly;
    parse_month_day_time(m.get("from"), r.from_month, r.from_day, r.from_minute);
    int until_minute = 0;
    parse_month_day_time(m.get("until"), r.until_month, r.until_day, until_minute);
    r.until_minute = until_minute;
  } else if (kind == "monthly" || kind == "daily") {
    if (kind == "monthly")
      parse_monthly(m.get("on"), r);
    else
      r.every = outage_rule::recurrence::daily;
    auto from = m.get("from");
    r.from_minute = parse_time(from, from.as_string());
    parse_until(m.get("until"), r);
    if (r.every == outage_rule::recurrence::monthly && r.until_day_offset * 1440 + r.until_minute <= r.from_minute)
      m.get("until").fail("the outage must end after it starts");
    if (r.every == outage_rule::recurrence::daily && r.until_day_offset != 0)
      m.get("until").fail("a daily outage ends within 24 hours: use HH:MM");
  } else {
    every.fail("unknown recurrence '" + kind + "' (daily, monthly, yearly)");
  }
  m.done();
  return r;
}

}  // namespace

operating_rules parse_operating_rules(const yaml_map& m) {
  operating_rules rules;
  if (auto hours = m.find("hours")) {
    rules.hours.clear();
    for (const auto& item : hours->items()) rules.hours.push_back(parse_window(item));
  }
  if (auto closed = m.find("closed_on")) {
    for (const auto& item : closed->items()) {
      if (item.is_scalar() && item.as_string() == "holiday")
        rules.closed_on_holidays = true;
      else
        rules.closed_weekdays |= static_cast<std::uint8_t>(1u << parse_weekday(item));
    }
  }
  if (auto outages = m.find("outages"))
    for (const auto& item : outages->items()) rules.outages.push_back(parse_outage(item));
  return rules;
}

}  // namespace mynasim
