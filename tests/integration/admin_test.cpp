// SPDX-License-Identifier: Apache-2.0
// The virtual clock and availability through /__admin and the systems' own endpoints.
#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clock/time.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<test_server>(); }
  nlohmann::json get_json(const std::string& target) {
    auto res = server_->admin("GET", target);
    EXPECT_EQ(res.status, 200) << target << " " << res.body;
    return nlohmann::json::parse(res.body, nullptr, false);
  }
  std::unique_ptr<test_server> server_;
};

TEST_F(AdminTest, ClockCanBeSetFrozenAndAdvanced) {
  auto res = server_->admin("PUT", "/__admin/clock", R"({"now": "2026-12-28T20:55:00+09:00", "frozen": true})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(get_json("/__admin/clock")["now"], "2026-12-28T20:55:00+09:00");
  res = server_->admin("POST", "/__admin/clock/advance", R"({"by": "PT2H30M"})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(get_json("/__admin/clock")["now"], "2026-12-28T23:25:00+09:00");
  res = server_->admin("PUT", "/__admin/clock", R"({"speed": 60, "frozen": false})");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["speed"], 60);
  EXPECT_EQ(j["frozen"], false);
}

// QA moved the clock into the year-end stop and froze it; one call puts it back on the
// server's wall clock (the control room's 実時刻に戻す uses it).
TEST_F(AdminTest, ClockFollowsTheWallClockAgain) {
  ASSERT_EQ(
      server_->admin("PUT", "/__admin/clock", R"({"now": "2026-12-29T10:00:00+09:00", "frozen": true, "speed": 60})")
          .status,
      200);
  auto before = std::chrono::system_clock::now();
  auto res = server_->admin("POST", "/__admin/clock/wall");
  ASSERT_EQ(res.status, 200) << res.body;
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["frozen"], false);
  EXPECT_EQ(j["speed"], 1);
  auto now = parse_instant(j["now"].get<std::string>());
  ASSERT_TRUE(now.has_value()) << res.body;
  auto off = std::chrono::duration_cast<std::chrono::seconds>(*now - before).count();
  EXPECT_LE(std::abs(off), 60) << "the virtual now is the wall clock's: " << res.body;
}

TEST_F(AdminTest, ClockRejectsBadInputAndKeepsItsState) {
  for (const char* body : {"not json", "[]", R"({"now": "yesterday"})", R"({"speed": -1})", R"({"frozen": "yes"})",
                           R"({"nwo": "2026-12-28T20:55:00+09:00"})"}) {
    auto res = server_->admin("PUT", "/__admin/clock", body);
    EXPECT_EQ(res.status, 400) << body;
    EXPECT_NE(res.body.find("invalid_request"), std::string::npos) << body;
  }
  for (const char* body : {R"({"by": "2 hours"})", R"({})", R"({"by": 5})"})
    EXPECT_EQ(server_->admin("POST", "/__admin/clock/advance", body).status, 400) << body;
  EXPECT_EQ(get_json("/__admin/clock")["now"], "2026-11-27T10:00:00+09:00");
}

TEST_F(AdminTest, AvailabilityOnTheThirdSaturdayNight) {
  server_->set_clock("2026-12-19T22:30:00+09:00");
  auto j = get_json("/__admin/availability");
  EXPECT_EQ(j["at"], "2026-12-19T22:30:00+09:00");
  std::map<std::string, nlohmann::json> by_id;
  for (auto& s : j["systems"]) by_id[s["id"]] = s;
  EXPECT_EQ(by_id.size(), 15u);
  EXPECT_EQ(by_id["portal"]["up"], true);
  EXPECT_TRUE(by_id["portal"]["next_change"].is_null());
  EXPECT_EQ(by_id["juki"]["up"], false);
  EXPECT_EQ(by_id["juki"]["reason"]["code"], "planned_outage");
  EXPECT_EQ(by_id["juki"]["next_change"], "2026-12-20T08:00:00+09:00");
  EXPECT_EQ(by_id["japan-pension"]["reason"]["code"], "closed_weekday");
}

TEST_F(AdminTest, AvailabilityAtAGivenInstantAndHolidayReason) {
  auto j = get_json("/__admin/availability?at=2026-11-23T10:00:00%2B09:00");
  for (auto& s : j["systems"])
    if (s["id"] == "medical-insurers") {
      EXPECT_EQ(s["reason"]["code"], "closed_holiday");
      EXPECT_EQ(s["reason"]["detail"], "勤労感謝の日");
    }
  EXPECT_EQ(server_->admin("GET", "/__admin/availability?at=nonsense").status, 400);
}

TEST_F(AdminTest, TimelineListsWindowsWithReasons) {
  auto j = get_json(
      "/__admin/availability/timeline?system=juki&from=2026-12-28T00:00:00%2B09:00&to=2027-01-05T00:00:00%2B09:00");
  ASSERT_EQ(j["windows"].size(), 3u) << j.dump();
  EXPECT_EQ(j["windows"][1]["from"], "2026-12-28T21:00:00+09:00");
  EXPECT_EQ(j["windows"][1]["until"], "2027-01-04T08:00:00+09:00");
  EXPECT_EQ(j["windows"][1]["up"], false);
  EXPECT_EQ(server_->admin("GET", "/__admin/availability/timeline?system=nowhere").status, 404);
  EXPECT_EQ(server_->admin("GET", "/__admin/availability/timeline?system=juki&from=2026-01-01&to=2028-01-01").status,
            400);
}

TEST_F(AdminTest, ClosedSystemAnswers503WithRetryAfterOnItsOwnEndpoint) {
  const auto port = server_->port("systems");
  server_->set_clock("2026-11-27T22:30:00+09:00");  // Friday
  auto open = request(port, false, "GET", "/systems/japan-pension/status");
  EXPECT_EQ(open.status, 200) << open.body;
  server_->set_clock("2026-11-27T23:30:00+09:00");
  auto closed = request(port, false, "GET", "/systems/japan-pension/status");
  EXPECT_EQ(closed.status, 503);
  auto j = nlohmann::json::parse(closed.body);
  EXPECT_EQ(j["system"], "japan-pension");
  EXPECT_EQ(j["name"], "日本年金機構中間サーバ");
  EXPECT_EQ(j["reason"]["code"], "outside_hours");
  EXPECT_EQ(j["reopens_at"], "2026-11-30T08:00:00+09:00");
  // Monday 08:00 is 56.5 hours after Friday 23:30.
  EXPECT_EQ(closed.header("retry-after"), std::to_string(56 * 3600 + 30 * 60));
  EXPECT_EQ(request(port, false, "GET", "/systems/japan-pension/healthz").status, 200);
}

TEST_F(AdminTest, ConfigReadsBackTheEffectiveWorld) {
  auto j = get_json("/__admin/config");
  EXPECT_EQ(j["systems"].size(), 15u);
  EXPECT_EQ(j["listeners"]["admin"]["address"], "127.0.0.1");
}

}  // namespace
}  // namespace mynasim::test
