// SPDX-License-Identifier: Apache-2.0
#include "calendar/operating_rules.hpp"

#include <algorithm>

namespace mynasim {
namespace {

using namespace std::chrono;

constexpr local_minutes minutes_per_day = 1440;

local_minutes day_start(sys_days d) {
  return d.time_since_epoch().count() * minutes_per_day;
}

// The anchor day of a monthly rule in the given month, if the month has one.
std::optional<sys_days> monthly_anchor(const outage_rule& r, year_month ym) {
  if (r.months != 0 && !(r.months & (1u << static_cast<unsigned>(ym.month())))) return std::nullopt;
  weekday wd{static_cast<unsigned>(r.weekday)};
  if (r.nth < 0) return sys_days{ym / weekday_last{wd}};
  year_month_weekday ymw{ym / weekday_indexed{wd, static_cast<unsigned>(r.nth)}};
  if (!ymw.ok()) return std::nullopt;
  return sys_days{ymw};
}

struct span {
  local_minutes from, until;
};

// Calls f(span) for each occurrence of r that may overlap the local day `d`.
template <class F>
void for_each_occurrence(const outage_rule& r, sys_days d, F&& f) {
  switch (r.every) {
    case outage_rule::recurrence::daily: {
      for (int back = 1; back >= 0; --back) {
        auto anchor = d - days{back};
        local_minutes from = day_start(anchor) + r.from_minute;
        local_minutes until = day_start(anchor) + r.until_minute;
        if (until <= from) until += minutes_per_day;
        f(span{from, until});
      }
      break;
    }
    case outage_rule::recurrence::monthly: {
      year_month ym{year_month_day{d}.year(), year_month_day{d}.month()};
      // An occurrence can start in an earlier month when it spans several days.
      int months_back = r.until_day_offset >= 28 ? 2 : 1;
      for (int back = months_back; back >= 0; --back) {
        if (auto anchor = monthly_anchor(r, ym - months{back})) {
          local_minutes from = day_start(*anchor) + r.from_minute;
          local_minutes until = day_start(*anchor + days{r.until_day_offset}) + r.until_minute;
          f(span{from, until});
        }
      }
      break;
    }
    case outage_rule::recurrence::yearly: {
      int y = static_cast<int>(year_month_day{d}.year());
      bool crosses = std::pair{r.until_month, r.until_day * 1440 + r.until_minute} <
                     std::pair{r.from_month, r.from_day * 1440 + r.from_minute};
      for (int yy = y - 1; yy <= y; ++yy) {
        auto start_day = sys_days{year{yy} / month{r.from_month} / day{r.from_day}};
        auto end_day = sys_days{year{crosses ? yy + 1 : yy} / month{r.until_month} / day{r.until_day}};
        f(span{day_start(start_day) + r.from_minute, day_start(end_day) + r.until_minute});
      }
      break;
    }
  }
}

}  // namespace

const char* to_string(availability_reason r) {
  switch (r) {
    case availability_reason::operating:
      return "operating";
    case availability_reason::outside_hours:
      return "outside_hours";
    case availability_reason::closed_weekday:
      return "closed_weekday";
    case availability_reason::closed_holiday:
      return "closed_holiday";
    case availability_reason::planned_outage:
      return "planned_outage";
    case availability_reason::forced_down:
      return "forced_down";
  }
  return "unknown";
}

const outage_rule* rule_evaluator::active_outage(local_minutes m, sys_days day) const {
  for (const auto& r : rules_->outages) {
    bool hit = false;
    for_each_occurrence(r, day, [&](span s) { hit = hit || (s.from <= m && m < s.until); });
    if (hit) return &r;
  }
  return nullptr;
}

availability_status rule_evaluator::at(instant t) const {
  local_minutes m = to_local_minutes(t);
  sys_days day{days{m >= 0 ? m / minutes_per_day : (m - minutes_per_day + 1) / minutes_per_day}};
  int minute_of_day = static_cast<int>(m - day_start(day));
  if (const auto* outage = active_outage(m, day))
    return {false, availability_reason::planned_outage, &outage->name, nullptr};
  if (rules_->closed_on_holidays)
    if (const auto* name = holidays_->name_of(day)) return {false, availability_reason::closed_holiday, name, nullptr};
  if (rules_->closed_weekdays & (1u << weekday{day}.c_encoding()))
    return {false, availability_reason::closed_weekday, nullptr, nullptr};
  for (const auto& w : rules_->hours)
    if (w.from_minute <= minute_of_day && minute_of_day < w.until_minute) return {};
  return {false, availability_reason::outside_hours, nullptr, nullptr};
}

void rule_evaluator::boundaries(sys_days day, std::vector<local_minutes>& out) const {
  local_minutes start = day_start(day), end = start + minutes_per_day;
  out.push_back(start);
  for (const auto& w : rules_->hours) {
    out.push_back(start + w.from_minute);
    out.push_back(start + w.until_minute);
  }
  for (const auto& r : rules_->outages)
    for_each_occurrence(r, day, [&](span s) {
      out.push_back(s.from);
      out.push_back(s.until);
    });
  std::erase_if(out, [&](local_minutes m) { return m < start || m >= end; });
}

std::optional<instant> rule_evaluator::next_change(instant t, int horizon_days) const {
  // Open around the clock with nothing that closes it: it never changes.
  const auto& r = *rules_;
  if (r.outages.empty() && r.closed_weekdays == 0 && !r.closed_on_holidays && r.hours.size() == 1 &&
      r.hours[0].from_minute == 0 && r.hours[0].until_minute == 1440)
    return std::nullopt;
  const bool up_now = at(t).up;
  const local_minutes now = to_local_minutes(t);
  sys_days day = local_day(t);
  std::vector<local_minutes> candidates;
  for (int i = 0; i <= horizon_days; ++i, day += days{1}) {
    candidates.clear();
    boundaries(day, candidates);
    std::sort(candidates.begin(), candidates.end());
    for (auto m : candidates) {
      if (m <= now) continue;
      auto when = from_local_minutes(m);
      if (at(when).up != up_now) return when;
    }
  }
  return std::nullopt;
}

std::vector<rule_evaluator::segment> rule_evaluator::timeline(instant from, instant until) const {
  std::vector<segment> out;
  if (until <= from) return out;
  out.push_back({from, until, at(from)});
  std::vector<local_minutes> candidates;
  const local_minutes from_m = to_local_minutes(from);
  for (sys_days day = local_day(from); from_local_minutes(day_start(day)) < until; day += days{1}) {
    candidates.clear();
    boundaries(day, candidates);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (auto m : candidates) {
      auto when = from_local_minutes(m);
      if (m <= from_m || when >= until) continue;
      auto status = at(when);
      if (status == out.back().status) continue;
      out.back().until = when;
      out.push_back({when, until, status});
    }
  }
  return out;
}

}  // namespace mynasim
