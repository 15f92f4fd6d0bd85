// SPDX-License-Identifier: Apache-2.0
#include "calendar/operating_rules.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

const holiday_calendar& holidays() {
  static const holiday_calendar c({}, 2020, 2035);
  return c;
}

bool up(const operating_rules& r, const char* when) {
  return rule_evaluator(r, holidays()).at(*parse_instant(when)).up;
}

TEST(OperatingRules, MonthlyOutageCrossingALeapDayIntoMarch) {
  operating_rules r;
  outage_rule o;
  o.name = "last Sunday of February, three days";
  o.every = outage_rule::recurrence::monthly;
  o.nth = -1;
  o.weekday = 0;
  o.months = 1u << 2;
  o.from_minute = 0;
  o.until_day_offset = 3;
  r.outages.push_back(o);
  // 2028: last Sunday 02-27, until 03-01 00:00 (02-29 included).
  EXPECT_FALSE(up(r, "2028-02-29T23:59"));
  EXPECT_TRUE(up(r, "2028-03-01T00:00"));
  // 2027: last Sunday 02-28, until 03-03 00:00.
  EXPECT_FALSE(up(r, "2027-03-02T23:59"));
  EXPECT_TRUE(up(r, "2027-03-03T00:00"));
  EXPECT_TRUE(up(r, "2027-02-27T23:59"));
}

TEST(OperatingRules, FifthWeekdayOnlyInMonthsThatHaveOne) {
  operating_rules r;
  outage_rule o;
  o.name = "fifth Friday";
  o.nth = 5;
  o.weekday = 5;
  o.from_minute = 600;
  o.until_minute = 660;
  r.outages.push_back(o);
  EXPECT_FALSE(up(r, "2026-01-30T10:30"));  // January 2026 has five Fridays
  EXPECT_TRUE(up(r, "2026-02-27T10:30"));   // February has four
}

TEST(OperatingRules, DailyOutageAcrossMidnight) {
  operating_rules r;
  outage_rule o;
  o.every = outage_rule::recurrence::daily;
  o.from_minute = 23 * 60;
  o.until_minute = 60;
  r.outages.push_back(o);
  EXPECT_TRUE(up(r, "2026-12-31T22:59"));
  EXPECT_FALSE(up(r, "2026-12-31T23:00"));
  EXPECT_FALSE(up(r, "2027-01-01T00:59"));
  EXPECT_TRUE(up(r, "2027-01-01T01:00"));
}

TEST(OperatingRules, SeveralWindowsAndNoWindowAtAll) {
  operating_rules r;
  r.hours = {{9 * 60, 12 * 60}, {13 * 60, 17 * 60}};
  EXPECT_TRUE(up(r, "2026-12-01T11:59"));
  EXPECT_FALSE(up(r, "2026-12-01T12:30"));
  EXPECT_TRUE(up(r, "2026-12-01T13:00"));
  rule_evaluator e(r, holidays());
  EXPECT_EQ(format_instant(*e.next_change(*parse_instant("2026-12-01T12:30"))), "2026-12-01T13:00:00+09:00");
  r.hours.clear();
  EXPECT_FALSE(up(r, "2026-12-01T12:00"));
  EXPECT_FALSE(rule_evaluator(r, holidays()).next_change(*parse_instant("2026-12-01T12:00")));
}

TEST(OperatingRules, YearlyWindowInsideOneYear) {
  operating_rules r;
  outage_rule o;
  o.every = outage_rule::recurrence::yearly;
  o.from_month = 8;
  o.from_day = 13;
  o.from_minute = 0;
  o.until_month = 8;
  o.until_day = 16;
  o.until_minute = 0;
  r.outages.push_back(o);
  EXPECT_TRUE(up(r, "2026-08-12T23:59"));
  EXPECT_FALSE(up(r, "2026-08-13T00:00"));
  EXPECT_TRUE(up(r, "2026-08-16T00:00"));
}

}  // namespace
}  // namespace mynasim
