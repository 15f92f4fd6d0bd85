// SPDX-License-Identifier: Apache-2.0
#include "calendar/holidays.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mynasim {
namespace {

using namespace std::chrono;

enum class rule_kind { fixed, nth_monday, vernal, autumnal };

// One row of the 祝日法 as it stood for a span of years.
struct holiday_rule {
  const char* name;
  rule_kind kind;
  unsigned month;
  unsigned day_or_nth;  // day of month, or n for the n-th Monday
  int from_year;
  int to_year;
};

constexpr int open = 9999;

// Rules in force from 1948 on, including the Olympic moves of 2020 and 2021.
constexpr holiday_rule rules[] = {
    {"元日", rule_kind::fixed, 1, 1, 1949, open},
    {"成人の日", rule_kind::fixed, 1, 15, 1949, 1999},
    {"成人の日", rule_kind::nth_monday, 1, 2, 2000, open},
    {"建国記念の日", rule_kind::fixed, 2, 11, 1967, open},
    {"天皇誕生日", rule_kind::fixed, 2, 23, 2020, open},
    {"春分の日", rule_kind::vernal, 3, 0, 1949, open},
    {"天皇誕生日", rule_kind::fixed, 4, 29, 1949, 1988},
    {"みどりの日", rule_kind::fixed, 4, 29, 1989, 2006},
    {"昭和の日", rule_kind::fixed, 4, 29, 2007, open},
    {"憲法記念日", rule_kind::fixed, 5, 3, 1949, open},
    {"みどりの日", rule_kind::fixed, 5, 4, 2007, open},
    {"こどもの日", rule_kind::fixed, 5, 5, 1949, open},
    {"海の日", rule_kind::fixed, 7, 20, 1996, 2002},
    {"海の日", rule_kind::nth_monday, 7, 3, 2003, 2019},
    {"海の日", rule_kind::fixed, 7, 23, 2020, 2020},
    {"海の日", rule_kind::fixed, 7, 22, 2021, 2021},
    {"海の日", rule_kind::nth_monday, 7, 3, 2022, open},
    {"スポーツの日", rule_kind::fixed, 7, 24, 2020, 2020},
    {"スポーツの日", rule_kind::fixed, 7, 23, 2021, 2021},
    {"山の日", rule_kind::fixed, 8, 11, 2016, 2019},
    {"山の日", rule_kind::fixed, 8, 10, 2020, 2020},
    {"山の日", rule_kind::fixed, 8, 8, 2021, 2021},
    {"山の日", rule_kind::fixed, 8, 11, 2022, open},
    {"敬老の日", rule_kind::fixed, 9, 15, 1966, 2002},
    {"敬老の日", rule_kind::nth_monday, 9, 3, 2003, open},
    {"秋分の日", rule_kind::autumnal, 9, 0, 1948, open},
    {"体育の日", rule_kind::fixed, 10, 10, 1966, 1999},
    {"体育の日", rule_kind::nth_monday, 10, 2, 2000, 2019},
    {"スポーツの日", rule_kind::nth_monday, 10, 2, 2022, open},
    {"文化の日", rule_kind::fixed, 11, 3, 1948, open},
    {"勤労感謝の日", rule_kind::fixed, 11, 23, 1948, open},
    {"天皇誕生日", rule_kind::fixed, 12, 23, 1989, 2018},
};

// Days made holidays by special laws; treated as 祝日 by the substitute and sandwich rules.
struct one_off_day {
  int y;
  unsigned m, d;
  const char* name;
};
constexpr one_off_day one_off_days[] = {
    {1959, 4, 10, "結婚の儀"}, {1989, 2, 24, "大喪の礼"},        {1990, 11, 12, "即位の礼"},
    {1993, 6, 9, "結婚の儀"},  {2019, 5, 1, "休日（祝日扱い）"}, {2019, 10, 22, "休日（祝日扱い）"},
};

// 振替休日 since 1973-04-12; the "nearest following non-祝日" form since 2007.
const sys_days substitute_law_start = sys_days{1973y / April / 12};
// 国民の休日 (a day between two 祝日) since 1985-12-27.
const sys_days sandwich_law_start = sys_days{1985y / December / 27};

sys_days make_day(int y, unsigned m, unsigned d) {
  return sys_days{year{y} / month{m} / day{d}};
}

sys_days nth_monday(int y, unsigned m, unsigned n) {
  return sys_days{year{y} / month{m} / weekday_indexed{Monday, n}};
}

bool is_sunday(sys_days d) {
  return weekday{d} == Sunday;
}

}  // namespace

// The usual approximation of the equinox day in JST, with its own constants for 1900–1979,
// 1980–2099 and 2100–2150. Its leap-year term is an integer division that truncates toward
// zero — before 1983 (y - 1983) is negative, where flooring would be one day late. Past the
// years the 官報 has announced (each February, for the next year) it is a prediction.
namespace {
int equinox_day(int y, double before_1980, double until_2099, double from_2100) {
  double base = y < 1980 ? before_1980 : y < 2100 ? until_2099 : from_2100;
  int leap_term = (y - (y < 1980 ? 1983 : 1980)) / 4;  // C++ integer division truncates toward zero
  return static_cast<int>(std::floor(base + 0.242194 * (y - 1980) - leap_term));
}
}  // namespace

int vernal_equinox_day(int y) {
  return equinox_day(y, 20.8357, 20.8431, 21.8510);
}

int autumnal_equinox_day(int y) {
  return equinox_day(y, 23.2588, 23.2488, 24.2488);
}

namespace {

// The day a rule gives in year y.
sys_days rule_day(const holiday_rule& r, int y) {
  switch (r.kind) {
    case rule_kind::fixed:
      return make_day(y, r.month, r.day_or_nth);
    case rule_kind::nth_monday:
      return nth_monday(y, r.month, r.day_or_nth);
    case rule_kind::vernal:
      return make_day(y, 3, static_cast<unsigned>(vernal_equinox_day(y)));
    case rule_kind::autumnal:
      return make_day(y, 9, static_cast<unsigned>(autumnal_equinox_day(y)));
  }
  return {};
}

void sort_by_date(std::vector<holiday>& list) {
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
}

bool has_day(const std::vector<holiday>& list, sys_days d) {
  return std::any_of(list.begin(), list.end(), [&](const holiday& h) { return h.date == d; });
}

// 国民の祝日 proper: the rules in force in year y and the special laws' days, by date.
std::vector<holiday> national_holidays(int y) {
  std::vector<holiday> national;
  for (const auto& r : rules)
    if (y >= r.from_year && y <= r.to_year) national.push_back({rule_day(r, y), r.name});
  for (const auto& o : one_off_days)
    if (o.y == y) national.push_back({make_day(o.y, o.m, o.d), o.name});
  sort_by_date(national);
  return national;
}

// The "nearest following non-祝日" forms of both rules apply from 2007.
const sys_days modern_rule_start = sys_days{2007y / January / 1};

// 振替休日: a 祝日 on a Sunday moves the holiday to the next day (since 2007 past further 祝日).
void add_substitute_holidays(int y, const std::vector<holiday>& national, std::vector<holiday>& result) {
  for (const auto& h : national) {
    if (!is_sunday(h.date) || h.date < substitute_law_start) continue;
    sys_days sub = h.date + days{1};
    if (h.date >= modern_rule_start)
      while (has_day(national, sub)) sub += days{1};
    if (!has_day(result, sub) && year_month_day{sub}.year() == year{y}) result.push_back({sub, "振替休日"});
  }
}

// 国民の休日: a non-holiday day whose neighbours are both 祝日 (before 2007 not on a Sunday).
void add_sandwiched_holidays(const std::vector<holiday>& national, std::vector<holiday>& result) {
  for (const auto& h : national) {
    sys_days mid = h.date + days{1};
    if (mid < sandwich_law_start || !has_day(national, mid + days{1}) || has_day(result, mid)) continue;
    if (mid < modern_rule_start && is_sunday(mid)) continue;
    result.push_back({mid, "休日"});
  }
}

}  // namespace

std::vector<holiday> statutory_holidays(int y) {
  auto national = national_holidays(y);
  std::vector<holiday> result = national;
  add_substitute_holidays(y, national, result);
  add_sandwiched_holidays(national, result);
  sort_by_date(result);
  return result;
}

holiday_calendar::holiday_calendar(const holiday_adjustments& adjustments, int first_year, int last_year)
    : first_year_(first_year), last_year_(last_year), first_day_(make_day(first_year, 1, 1)) {
  if (last_year < first_year) throw std::invalid_argument("holiday calendar: last year before first year");
  index_.assign(static_cast<std::size_t>((make_day(last_year, 12, 31) - first_day_).count() + 1), 0);
  for (int y = first_year; y <= last_year; ++y)
    for (auto& h : statutory_holidays(y)) set(h.date, h.name);
  for (auto d : adjustments.remove) {
    auto i = (d - first_day_).count();
    if (i >= 0 && i < static_cast<long>(index_.size())) index_[static_cast<std::size_t>(i)] = 0;
  }
  for (auto& h : adjustments.add) set(h.date, h.name);
}

void holiday_calendar::set(sys_days d, const std::string& name) {
  auto i = (d - first_day_).count();
  if (i < 0 || i >= static_cast<long>(index_.size())) return;
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) {
    names_.push_back(name);
    it = names_.end() - 1;
  }
  index_[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>(it - names_.begin() + 1);
}

std::vector<holiday> holiday_calendar::between(int from_year, int to_year) const {
  std::vector<holiday> out;
  auto from = std::max(make_day(std::max(from_year, first_year_), 1, 1), first_day_);
  auto to = make_day(std::min(to_year, last_year_), 12, 31);
  for (auto d = from; d <= to; d += days{1})
    if (auto* n = name_of(d)) out.push_back({d, *n});
  return out;
}

}  // namespace mynasim
