// SPDX-License-Identifier: Apache-2.0
#include "clock/time.hpp"

#include <cstdio>

#include <gtest/gtest.h>

namespace mynasim {
namespace {

instant at(const char* text) {
  auto t = parse_instant(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(instant{});
}

TEST(Time, ParsesOffsetsAndBareLocalTime) {
  EXPECT_EQ(at("2026-12-28T20:55:00+09:00"), at("2026-12-28T11:55:00Z"));
  EXPECT_EQ(at("2026-12-28T20:55"), at("2026-12-28T11:55:00Z"));
  EXPECT_EQ(at("2026-12-28"), at("2026-12-27T15:00:00Z"));
  EXPECT_EQ(at("2026-12-28T20:55:00.250+09:00") - at("2026-12-28T20:55:00+09:00"), millis{250});
  EXPECT_EQ(at("2026-12-28T20:55:00-0100"), at("2026-12-28T21:55:00Z"));
}

TEST(Time, RejectsMalformedInstants) {
  for (const char* bad :
       {"", "2026", "2026-13-01", "2026-02-30", "2026-12-28T25:00", "2026-12-28T20:61", "2026-12-28T20:55:00+25:00",
        "2026-12-28T20:55:00Zjunk", "2026-12-28T20:55:00.", "２０２６-12-28"})
    EXPECT_FALSE(parse_instant(bad)) << bad;
}

TEST(Time, FormatsInJapanStandardTime) {
  EXPECT_EQ(format_instant(at("2026-12-31T15:00:00Z")), "2027-01-01T00:00:00+09:00");
  EXPECT_EQ(format_instant(at("2026-12-31T15:00:00.5Z")), "2027-01-01T00:00:00.500+09:00");
  EXPECT_EQ(format_date(local_day(at("2026-12-31T15:00:00Z"))), "2027-01-01");
  EXPECT_EQ(local_minute_of_day(at("2026-12-31T15:01:00Z")), 1);
}

// The hand-written digits agree with printf's, and parse back, across the supported range and
// at every millisecond width (none, .001 … .999).
TEST(Time, FormatsLikePrintfAndParsesBack) {
  auto reference = [](instant t) {
    auto local = t + jst_offset;
    auto day = std::chrono::floor<std::chrono::days>(local);
    std::chrono::year_month_day ymd{day};
    std::chrono::hh_mm_ss hms{local - day};
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                          static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                          static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                          static_cast<long>(hms.seconds().count()));
    std::string out(buf, static_cast<std::size_t>(n));
    if (auto ms = hms.subseconds().count(); ms != 0) {
      std::snprintf(buf, sizeof buf, ".%03ld", static_cast<long>(ms));
      out += buf;
    }
    return out + "+09:00";
  };
  int checked = 0;
  for (auto t = at("1955-01-01T00:00:00+09:00"); t < at("2100-12-31T00:00:00+09:00");
       t += std::chrono::milliseconds(7'919'000'003LL)) {
    ASSERT_EQ(format_instant(t), reference(t));
    ASSERT_EQ(parse_instant(format_instant(t)), t) << format_instant(t);
    ++checked;
  }
  EXPECT_GT(checked, 500);
  EXPECT_EQ(format_instant(at("2026-12-29T10:00:00.001+09:00")), "2026-12-29T10:00:00.001+09:00");
  EXPECT_EQ(format_instant(at("2026-12-29T23:59:59.999+09:00")), "2026-12-29T23:59:59.999+09:00");
}

TEST(Time, LocalMinutesRoundTripBeforeAndAfterEpoch) {
  for (const char* text : {"1955-01-01T00:00", "1970-01-01T08:59", "2100-12-31T23:59"}) {
    auto t = at(text);
    EXPECT_EQ(from_local_minutes(to_local_minutes(t)), t) << text;
  }
}

TEST(Time, ParsesDurations) {
  EXPECT_EQ(parse_duration("PT2H30M"), millis{9'000'000});
  EXPECT_EQ(parse_duration("P1D"), millis{86'400'000});
  EXPECT_EQ(parse_duration("PT0.5S"), millis{500});
  EXPECT_EQ(parse_duration("-PT5M"), millis{-300'000});
  EXPECT_EQ(parse_duration("P1DT1H"), millis{90'000'000});
  for (const char* bad : {"", "P", "PT", "2H", "PT2X", "P2H", "PTH", "PT1H1"}) EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Time, ParsesClockTimes) {
  EXPECT_EQ(parse_clock_time("00:00"), 0);
  EXPECT_EQ(parse_clock_time("24:00"), 1440);
  EXPECT_EQ(parse_clock_time("08:30"), 510);
  for (const char* bad : {"25:00", "24:01", "8:00", "08:60", "0800", "ab:cd"})
    EXPECT_FALSE(parse_clock_time(bad)) << bad;
  EXPECT_EQ(format_clock_time(1440), "24:00");
  EXPECT_EQ(format_clock_time(510), "08:30");
}

}  // namespace
}  // namespace mynasim
