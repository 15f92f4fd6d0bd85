// SPDX-License-Identifier: Apache-2.0
// Every row and remark of guideline tables 2.5-1 … 2.5-4, as written in fixtures/, checked a
// minute before and at each edge.
#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "calendar/availability.hpp"
#include "config/world.hpp"

namespace mynasim {
namespace {

class DefaultWorld : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new world_config(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml"));
    holidays_ = new holiday_calendar(world_->holidays);
    service_ = new availability_service(*world_, *holidays_);
  }
  static void TearDownTestSuite() {
    delete service_;
    delete holidays_;
    delete world_;
  }

  static availability_status at(const char* system, const char* when) {
    auto t = parse_instant(when);
    EXPECT_TRUE(t) << when;
    return service_->status(system, *t);
  }
  static bool up(const char* system, const char* when) { return at(system, when).up; }

  static void expect_edge(const char* system, const char* before, const char* edge, bool up_after) {
    EXPECT_EQ(up(system, before), !up_after) << system << " at " << before;
    EXPECT_EQ(up(system, edge), up_after) << system << " at " << edge;
  }

  static inline world_config* world_ = nullptr;
  static inline holiday_calendar* holidays_ = nullptr;
  static inline availability_service* service_ = nullptr;
};

TEST_F(DefaultWorld, HasTheElevenIntermediateServersNamedAsInTheTables) {
  std::vector<std::string> names;
  for (const auto& s : world_->systems)
    if (s.kind == system_kind::intermediate && s.part_of.empty()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "自治体中間サーバ", "地方公務員災害補償基金中間サーバ", "職業安定局（ハローワーク）中間サーバ",
                       "医療保険者等向け中間サーバ", "地共済（長期）中間サーバ", "国共済（長期）中間サーバ",
                       "日本私立学校振興・共済事業団（長期）中間サーバ", "労働基準局中間サーバ",
                       "日本年金機構中間サーバ", "口座情報登録・連携システム中間サーバ", "戸籍情報連携システム"}));
}

TEST_F(DefaultWorld, PortalRunsAroundTheClock) {  // 表2.5-1
  for (const char* t : {"2026-12-19T22:30", "2026-12-31T23:59", "2027-01-01T00:00", "2026-11-23T03:00"})
    EXPECT_TRUE(up("portal", t)) << t;
  EXPECT_FALSE(service_->query("portal", *parse_instant("2026-12-19T22:30")).next_change);
}

TEST_F(DefaultWorld, NetworkStopsOnTheThirdWeekend) {  // 表2.5-2
  expect_edge("network", "2026-12-18T23:59", "2026-12-19T00:00", false);
  expect_edge("network", "2026-12-20T23:59", "2026-12-21T00:00", true);
  EXPECT_EQ(at("network", "2026-12-19T22:30").reason, availability_reason::planned_outage);
  // November 2026 starts on a Sunday: the third Saturday is the 21st, its Sunday the 22nd.
  expect_edge("network", "2026-11-20T23:59", "2026-11-21T00:00", false);
  EXPECT_TRUE(up("network", "2026-11-15T12:00"));  // third Sunday but not the third weekend
  EXPECT_TRUE(up("network", "2026-12-12T12:00"));
}

TEST_F(DefaultWorld, JukiThirdWeekendNightAndYearEnd) {  // 表2.5-3
  expect_edge("juki", "2026-12-19T21:59", "2026-12-19T22:00", false);
  expect_edge("juki", "2026-12-20T07:59", "2026-12-20T08:00", true);
  EXPECT_TRUE(up("juki", "2026-12-19T12:00"));
  EXPECT_TRUE(up("juki", "2026-12-20T12:00"));
  expect_edge("juki", "2026-12-28T20:59", "2026-12-28T21:00", false);
  EXPECT_FALSE(up("juki", "2026-12-31T23:59"));
  EXPECT_FALSE(up("juki", "2027-01-01T00:00"));
  expect_edge("juki", "2027-01-04T07:59", "2027-01-04T08:00", true);
  auto s = at("juki", "2027-01-02T10:00");
  ASSERT_TRUE(s.detail);
  EXPECT_NE(s.detail->find("年末年始"), std::string::npos);
}

TEST_F(DefaultWorld, JukiNextChangeCrossesTheNewYear) {
  auto q = service_->query("juki", *parse_instant("2026-12-30T12:00"));
  ASSERT_TRUE(q.next_change);
  EXPECT_EQ(format_instant(*q.next_change), "2027-01-04T08:00:00+09:00");
}

TEST_F(DefaultWorld, MunicipalServerStopsOnTheThirdWeekend) {  // 表2.5-4 No.1
  expect_edge("municipal", "2026-12-18T23:59", "2026-12-19T00:00", false);
  expect_edge("municipal", "2026-12-20T23:59", "2026-12-21T00:00", true);
  EXPECT_TRUE(up("municipal", "2026-12-23T03:00"));
}

TEST_F(DefaultWorld, LocalGovCompensationFundHoursAndJuneDecemberWeekend) {  // No.2
  expect_edge("local-gov-comp-fund", "2026-12-01T07:59", "2026-12-01T08:00", true);
  expect_edge("local-gov-comp-fund", "2026-12-01T20:59", "2026-12-01T21:00", false);
  EXPECT_TRUE(up("local-gov-comp-fund", "2026-11-23T10:00"));  // holidays are not excluded
  EXPECT_FALSE(up("local-gov-comp-fund", "2026-06-20T10:00"));
  EXPECT_FALSE(up("local-gov-comp-fund", "2026-06-21T10:00"));
  EXPECT_FALSE(up("local-gov-comp-fund", "2026-12-19T10:00"));
  EXPECT_TRUE(up("local-gov-comp-fund", "2026-07-18T10:00"));  // third Saturday, but July
  EXPECT_EQ(at("local-gov-comp-fund", "2026-06-20T10:00").reason, availability_reason::planned_outage);
}

TEST_F(DefaultWorld, HelloWorkSevenToTwentyTwoEveryDay) {  // No.3
  expect_edge("hello-work", "2026-12-20T06:59", "2026-12-20T07:00", true);
  expect_edge("hello-work", "2026-12-20T21:59", "2026-12-20T22:00", false);
  EXPECT_TRUE(up("hello-work", "2026-11-23T12:00"));
  EXPECT_EQ(at("hello-work", "2026-12-20T22:00").reason, availability_reason::outside_hours);
}

TEST_F(DefaultWorld, MedicalInsurersWeekdaysOnlyAndOnlinePartDailyStop) {  // No.4 and its remark
  expect_edge("medical-insurers", "2026-11-27T07:59", "2026-11-27T08:00", true);
  expect_edge("medical-insurers", "2026-11-27T20:59", "2026-11-27T21:00", false);
  auto holiday = at("medical-insurers", "2026-11-23T10:00");
  EXPECT_EQ(holiday.reason, availability_reason::closed_holiday);
  ASSERT_TRUE(holiday.detail);
  EXPECT_EQ(*holiday.detail, "勤労感謝の日");
  EXPECT_EQ(at("medical-insurers", "2026-11-28T10:00").reason, availability_reason::closed_weekday);
  expect_edge("medical-insurers-online", "2026-11-28T02:59", "2026-11-28T03:00", false);
  expect_edge("medical-insurers-online", "2026-11-28T05:59", "2026-11-28T06:00", true);
  EXPECT_TRUE(up("medical-insurers-online", "2026-11-23T23:00"));
}

TEST_F(DefaultWorld, WeekdayEightToTwentyOneServers) {  // No.5, No.8
  for (const char* id : {"local-gov-mutual", "labour-standards"}) {
    expect_edge(id, "2026-11-27T07:59", "2026-11-27T08:00", true);
    expect_edge(id, "2026-11-27T20:59", "2026-11-27T21:00", false);
    EXPECT_FALSE(up(id, "2026-11-29T12:00")) << id;  // Sunday
    EXPECT_FALSE(up(id, "2026-11-23T12:00")) << id;  // 勤労感謝の日
    EXPECT_FALSE(up(id, "2026-09-22T12:00")) << id;  // 国民の休日
  }
}

TEST_F(DefaultWorld, NationalGovMutualSecondFridayNight) {  // No.6
  expect_edge("national-gov-mutual", "2026-12-11T20:59", "2026-12-11T21:00", false);
  EXPECT_EQ(at("national-gov-mutual", "2026-12-11T21:00").reason, availability_reason::planned_outage);
  EXPECT_EQ(at("national-gov-mutual", "2026-12-04T21:00").reason, availability_reason::outside_hours);
}

TEST_F(DefaultWorld, PrivateSchoolMutualLastSaturday) {  // No.7
  EXPECT_EQ(at("private-school-mutual", "2026-12-26T10:00").reason, availability_reason::planned_outage);
  EXPECT_EQ(at("private-school-mutual", "2026-12-19T10:00").reason, availability_reason::closed_weekday);
  // 2028 is a leap year: the last Saturday of February is the 26th.
  EXPECT_EQ(at("private-school-mutual", "2028-02-26T10:00").reason, availability_reason::planned_outage);
  expect_edge("private-school-mutual", "2028-02-28T07:59", "2028-02-28T08:00", true);
}

TEST_F(DefaultWorld, JapanPensionUntilTwentyThreeOnWeekdays) {  // No.9
  EXPECT_TRUE(up("japan-pension", "2026-11-27T22:30"));
  EXPECT_FALSE(up("japan-pension", "2026-11-27T23:30"));
  expect_edge("japan-pension", "2026-11-27T22:59", "2026-11-27T23:00", false);
  expect_edge("japan-pension", "2026-11-30T07:59", "2026-11-30T08:00", true);
  auto q = service_->query("japan-pension", *parse_instant("2026-11-27T23:30"));
  ASSERT_TRUE(q.next_change);
  EXPECT_EQ(format_instant(*q.next_change), "2026-11-30T08:00:00+09:00");  // Monday morning
}

TEST_F(DefaultWorld, PublicFundsAccountAroundTheClock) {  // No.10
  for (const char* t : {"2026-12-19T23:00", "2027-01-01T03:00", "2026-11-23T12:00"})
    EXPECT_TRUE(up("public-funds-account", t)) << t;
}

TEST_F(DefaultWorld, FamilyRegisterFirstAndThirdWeekends) {  // No.11
  expect_edge("family-register", "2026-12-04T20:59", "2026-12-04T21:00", false);
  EXPECT_EQ(at("family-register", "2026-12-05T10:00").reason, availability_reason::planned_outage);
  EXPECT_EQ(at("family-register", "2026-12-06T10:00").reason, availability_reason::planned_outage);
  EXPECT_TRUE(up("family-register", "2026-12-12T10:00"));  // second Saturday
  EXPECT_TRUE(up("family-register", "2026-12-13T10:00"));
  EXPECT_FALSE(up("family-register", "2026-12-19T10:00"));
  EXPECT_FALSE(up("family-register", "2026-12-20T10:00"));
  expect_edge("family-register", "2026-12-21T07:59", "2026-12-21T08:00", true);
  // January 2028 starts on a Saturday: the first weekend is 1st-2nd, the third 15th-16th.
  EXPECT_EQ(at("family-register", "2028-01-02T10:00").reason, availability_reason::planned_outage);
  EXPECT_EQ(at("family-register", "2028-01-16T10:00").reason, availability_reason::planned_outage);
  EXPECT_TRUE(up("family-register", "2028-01-09T10:00"));
}

TEST_F(DefaultWorld, TimelineSplitsAtEveryChange) {
  auto from = *parse_instant("2026-12-19T00:00"), until = *parse_instant("2026-12-21T00:00");
  auto segments = service_->timeline("juki", from, until);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_TRUE(segments[0].status.up);
  EXPECT_EQ(format_instant(segments[1].from), "2026-12-19T22:00:00+09:00");
  EXPECT_EQ(format_instant(segments[1].until), "2026-12-20T08:00:00+09:00");
  EXPECT_FALSE(segments[1].status.up);
  EXPECT_EQ(segments[2].until, until);
}

}  // namespace
}  // namespace mynasim

namespace mynasim {
namespace {

// A forced stop's label outlives its fault for whoever is still answering with it: one thread
// reads the availability (GET /__admin/availability) while another adds and removes the fault
// that forces the system down (seen under ASan in the browser test: the status pointed into
// the label the removal freed).
TEST(ForcedStop, ItsLabelSurvivesTheFaultsRemovalOnAnotherThread) {
  auto world = load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  holiday_calendar holidays(world.holidays);
  availability_service service(world, holidays);
  auto t = *parse_instant("2026-12-02T10:00:00+09:00");
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int i = 0; !stop; ++i) {
      service.force_down("juki", std::nullopt, "fault fault-" + std::to_string(i) + " with a label past SSO");
      service.clear_forced("juki");
    }
  });
  std::size_t forced_seen = 0;
  for (int i = 0; i < 20000; ++i) {
    auto a = service.query("juki", t);
    auto s = service.status("juki", t);
    if (a.status.reason == availability_reason::forced_down) {
      ++forced_seen;
      ASSERT_NE(a.status.detail, nullptr);
      std::string label = *a.status.detail;  // read after the fault may be gone
      EXPECT_EQ(label.rfind("fault fault-", 0), 0u) << label;
    }
    if (s.detail) {
      EXPECT_FALSE(std::string(*s.detail).empty());
    }
  }
  stop = true;
  churn.join();
  EXPECT_GT(forced_seen, 0u);  // the race was there to be lost
}

}  // namespace
}  // namespace mynasim
