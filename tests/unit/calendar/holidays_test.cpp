// SPDX-License-Identifier: Apache-2.0
#include "calendar/holidays.hpp"

#include <gtest/gtest.h>

#include "clock/time.hpp"

namespace mynasim {
namespace {

const holiday_calendar& calendar() {
  static const holiday_calendar c;
  return c;
}

std::string name_on(const char* date) {
  auto d = parse_date(date);
  EXPECT_TRUE(d) << date;
  auto* n = calendar().name_of(*d);
  return n ? *n : "";
}

TEST(Holidays, Year2026IsComplete) {
  std::vector<std::pair<std::string, std::string>> expected = {
      {"2026-01-01", "元日"},         {"2026-01-12", "成人の日"},   {"2026-02-11", "建国記念の日"},
      {"2026-02-23", "天皇誕生日"},   {"2026-03-20", "春分の日"},   {"2026-04-29", "昭和の日"},
      {"2026-05-03", "憲法記念日"},   {"2026-05-04", "みどりの日"}, {"2026-05-05", "こどもの日"},
      {"2026-05-06", "振替休日"},     {"2026-07-20", "海の日"},     {"2026-08-11", "山の日"},
      {"2026-09-21", "敬老の日"},     {"2026-09-22", "休日"},       {"2026-09-23", "秋分の日"},
      {"2026-10-12", "スポーツの日"}, {"2026-11-03", "文化の日"},   {"2026-11-23", "勤労感謝の日"}};
  auto actual = calendar().between(2026, 2026);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(format_date(actual[i].date), expected[i].first);
    EXPECT_EQ(actual[i].name, expected[i].second);
  }
}

TEST(Holidays, GoldenWeek2019SubstituteAndSandwichChain) {
  EXPECT_EQ(name_on("2019-04-29"), "昭和の日");
  EXPECT_EQ(name_on("2019-04-30"), "休日");
  EXPECT_EQ(name_on("2019-05-01"), "休日（祝日扱い）");
  EXPECT_EQ(name_on("2019-05-02"), "休日");
  EXPECT_EQ(name_on("2019-05-03"), "憲法記念日");
  EXPECT_EQ(name_on("2019-05-04"), "みどりの日");
  EXPECT_EQ(name_on("2019-05-05"), "こどもの日");
  EXPECT_EQ(name_on("2019-05-06"), "振替休日");
  EXPECT_EQ(name_on("2019-05-07"), "");
  EXPECT_EQ(name_on("2019-10-22"), "休日（祝日扱い）");
  EXPECT_EQ(name_on("2019-12-23"), "");  // no 天皇誕生日 in 2019
  EXPECT_EQ(name_on("2019-02-23"), "");
}

TEST(Holidays, OlympicMoves2020And2021) {
  EXPECT_EQ(name_on("2020-07-23"), "海の日");
  EXPECT_EQ(name_on("2020-07-24"), "スポーツの日");
  EXPECT_EQ(name_on("2020-08-10"), "山の日");
  EXPECT_EQ(name_on("2020-07-20"), "");
  EXPECT_EQ(name_on("2020-08-11"), "");
  EXPECT_EQ(name_on("2020-10-12"), "");
  EXPECT_EQ(name_on("2021-07-22"), "海の日");
  EXPECT_EQ(name_on("2021-07-23"), "スポーツの日");
  EXPECT_EQ(name_on("2021-08-08"), "山の日");
  EXPECT_EQ(name_on("2021-08-09"), "振替休日");
  EXPECT_EQ(name_on("2021-10-11"), "");
}

TEST(Holidays, OneOffDaysBySpecialLaw) {
  EXPECT_EQ(name_on("1959-04-10"), "結婚の儀");
  EXPECT_EQ(name_on("1989-02-24"), "大喪の礼");
  EXPECT_EQ(name_on("1990-11-12"), "即位の礼");
  EXPECT_EQ(name_on("1993-06-09"), "結婚の儀");
}

TEST(Holidays, SubstituteRuleBefore2007) {
  EXPECT_EQ(name_on("1973-02-12"), "");          // before the 1973-04-12 law
  EXPECT_EQ(name_on("1973-04-30"), "振替休日");  // the first one
  EXPECT_EQ(name_on("1998-05-04"), "振替休日");  // 5/3 on a Sunday
  EXPECT_EQ(name_on("1988-05-04"), "休日");      // the first 国民の休日
  EXPECT_EQ(name_on("1997-05-04"), "");          // a Sunday was not a 国民の休日
  EXPECT_EQ(name_on("1999-01-15"), "成人の日");
  EXPECT_EQ(name_on("1966-09-15"), "敬老の日");
  EXPECT_EQ(name_on("1965-09-15"), "");
}

TEST(Holidays, SubstituteRuleSince2007SkipsFollowingHolidays) {
  EXPECT_EQ(name_on("2008-05-06"), "振替休日");  // 5/4 Sunday, 5/5 is itself a holiday
  EXPECT_EQ(name_on("2015-09-22"), "休日");
  EXPECT_EQ(name_on("2009-09-22"), "休日");
  EXPECT_EQ(name_on("2030-05-06"), "振替休日");
}

TEST(Holidays, EquinoxApproximation) {
  EXPECT_EQ(vernal_equinox_day(1955), 21);
  EXPECT_EQ(vernal_equinox_day(2026), 20);
  EXPECT_EQ(autumnal_equinox_day(2012), 22);
  EXPECT_EQ(autumnal_equinox_day(2026), 23);
  EXPECT_EQ(autumnal_equinox_day(2044), 22);
}

TEST(Holidays, RuleComputedYearsFarAhead) {
  auto y2099 = calendar().between(2099, 2099);
  EXPECT_GE(y2099.size(), 16u);
  EXPECT_EQ(name_on("2099-01-01"), "元日");
  EXPECT_EQ(name_on("2099-01-12"), "成人の日");  // 2nd Monday
  EXPECT_EQ(name_on("2100-12-23"), "");
  EXPECT_FALSE(calendar().between(2100, 2100).empty());
  EXPECT_TRUE(calendar().between(2101, 2101).empty());
  EXPECT_EQ(calendar().between(1955, 1955).front().name, "元日");
}

TEST(Holidays, AdjustmentsAddAndRemoveDays) {
  holiday_adjustments adj;
  adj.add.push_back({*parse_date("2027-05-07"), "臨時の休日"});
  adj.remove.push_back(*parse_date("2027-01-01"));
  holiday_calendar c(adj, 2027, 2027);
  ASSERT_TRUE(c.name_of(*parse_date("2027-05-07")));
  EXPECT_EQ(*c.name_of(*parse_date("2027-05-07")), "臨時の休日");
  EXPECT_FALSE(c.is_holiday(*parse_date("2027-01-01")));
  EXPECT_FALSE(c.is_holiday(*parse_date("2026-01-01")));  // outside the table
}

}  // namespace
}  // namespace mynasim

namespace mynasim {
namespace {

// 春分の日 and 秋分の日 as the Cabinet Office publishes them (内閣府「国民の祝日」について,
// syukujitsu.csv, 1955–2027): the day of March, then of September, for each year.
constexpr int first_published = 1955;
constexpr int published[][2] = {
    {21, 24}, {21, 23}, {21, 23}, {21, 23}, {21, 24}, {20, 23}, {21, 23}, {21, 23}, {21, 24}, {20, 23},  // 1955–
    {21, 23}, {21, 23}, {21, 24}, {20, 23}, {21, 23}, {21, 23}, {21, 24}, {20, 23}, {21, 23}, {21, 23},  // 1965–
    {21, 24}, {20, 23}, {21, 23}, {21, 23}, {21, 24}, {20, 23}, {21, 23}, {21, 23}, {21, 23}, {20, 23},  // 1975–
    {21, 23}, {21, 23}, {21, 23}, {20, 23}, {21, 23}, {21, 23}, {21, 23}, {20, 23}, {20, 23}, {21, 23},  // 1985–
    {21, 23}, {20, 23}, {20, 23}, {21, 23}, {21, 23}, {20, 23}, {20, 23}, {21, 23}, {21, 23}, {20, 23},  // 1995–
    {20, 23}, {21, 23}, {21, 23}, {20, 23}, {20, 23}, {21, 23}, {21, 23}, {20, 22}, {20, 23}, {21, 23},  // 2005–
    {21, 23}, {20, 22}, {20, 23}, {21, 23}, {21, 23}, {20, 22}, {20, 23}, {21, 23}, {21, 23}, {20, 22},  // 2015–
    {20, 23}, {20, 23}, {21, 23},                                                                        // 2025–2027
};

TEST(Holidays, EquinoxDaysMatchThePublishedDates1955To2027) {
  int year = first_published;
  for (const auto& [march, september] : published) {
    SCOPED_TRACE(year);
    EXPECT_EQ(vernal_equinox_day(year), march);
    EXPECT_EQ(autumnal_equinox_day(year), september);
    char vernal[16], autumnal[16];
    std::snprintf(vernal, sizeof vernal, "%04d-03-%02d", year, march);
    std::snprintf(autumnal, sizeof autumnal, "%04d-09-%02d", year, september);
    EXPECT_EQ(name_on(vernal), "春分の日");
    EXPECT_EQ(name_on(autumnal), "秋分の日");
    ++year;
  }
  EXPECT_EQ(year, 2028);
}

TEST(Holidays, NoSubstituteHolidayAfterAMisplacedEquinox) {
  // With the 1900–1979 constants applied wrongly, 1976's 春分の日 fell on Sunday the 21st and
  // 1978's 秋分の日 on Sunday the 24th, each followed by a spurious 振替休日.
  EXPECT_EQ(name_on("1976-03-22"), "");
  EXPECT_EQ(name_on("1978-09-25"), "");
  EXPECT_EQ(name_on("1970-03-21"), "春分の日");
  EXPECT_EQ(name_on("1970-03-22"), "");
}

}  // namespace
}  // namespace mynasim
