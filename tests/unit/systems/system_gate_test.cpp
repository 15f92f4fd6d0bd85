// SPDX-License-Identifier: Apache-2.0
#include "systems/system_gate.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "config/world.hpp"

namespace mynasim {
namespace {

// The default world (fixtures/), its virtual clock frozen wherever a test puts it.
class SystemGate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rt_ = new world_runtime(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml"));
    rt_->clock.set_frozen(true);
  }
  static void TearDownTestSuite() { delete rt_; }
  void TearDown() override {
    for (const auto& s : rt_->world.systems) rt_->availability.clear_forced(s.id);
  }

  static std::optional<http_response> gate(const char* system, const char* when) {
    auto t = parse_instant(when);
    EXPECT_TRUE(t) << when;
    rt_->clock.set_now(*t);
    const auto* s = rt_->world.find_system(system);
    EXPECT_TRUE(s) << system;
    return closed_response(*rt_, *s);
  }

  // The 503 a closed system answers, its body parsed; fails the test when the system is open.
  static nlohmann::json closed(const char* system, const char* when, std::string* retry_after = nullptr) {
    auto res = gate(system, when);
    EXPECT_TRUE(res) << system << " is open at " << when;
    if (!res) return {};
    EXPECT_EQ(res->status, 503);
    const auto* type = res->header("content-type");
    EXPECT_TRUE(type && type->find("application/json") == 0) << (type ? *type : "no content-type");
    if (retry_after) {
      const auto* r = res->header("retry-after");
      *retry_after = r ? *r : "";
    }
    return nlohmann::json::parse(res->body);
  }

  static inline world_runtime* rt_ = nullptr;
};

TEST_F(SystemGate, OpenDuringOperatingHoursAnswersNothing) {
  EXPECT_FALSE(gate("juki", "2026-11-27T10:00"));
  EXPECT_FALSE(gate("medical-insurers", "2026-11-27T08:00"));  // the first minute
  EXPECT_FALSE(gate("medical-insurers", "2026-11-27T20:59:59"));
  EXPECT_FALSE(gate("hello-work", "2026-11-23T12:00"));  // open on holidays
  EXPECT_FALSE(gate("portal", "2026-12-31T23:59"));      // around the clock
  EXPECT_FALSE(gate("network", "2026-12-18T23:59:59"));  // the last second before the outage
}

TEST_F(SystemGate, ClosedOnAHolidayNamesTheHoliday) {
  std::string retry_after;
  auto body = closed("medical-insurers", "2026-11-23T10:00", &retry_after);  // 勤労感謝の日 (Monday)
  EXPECT_EQ(body["error"], "system_unavailable");
  EXPECT_EQ(body["system"], "medical-insurers");
  EXPECT_EQ(body["name"], "医療保険者等向け中間サーバ");
  EXPECT_EQ(body["error_description"], "医療保険者等向け中間サーバ は現在利用できません: 休業日 (祝日: 勤労感謝の日)");
  EXPECT_EQ(body["reason"],
            (nlohmann::json{
                {"code", "closed_holiday"}, {"message", "休業日 (祝日: 勤労感謝の日)"}, {"detail", "勤労感謝の日"}}));
  EXPECT_EQ(body["at"], "2026-11-23T10:00:00+09:00");
  EXPECT_EQ(body["reopens_at"], "2026-11-24T08:00:00+09:00");
  EXPECT_EQ(retry_after, "79200");  // 22 hours
}

TEST_F(SystemGate, ClosedAtNightSaysWhenItOpens) {
  std::string retry_after;
  auto body = closed("hello-work", "2026-12-20T22:00", &retry_after);
  EXPECT_EQ(body["system"], "hello-work");
  EXPECT_EQ(body["name"], "職業安定局（ハローワーク）中間サーバ");
  EXPECT_EQ(body["reason"]["code"], "outside_hours");
  EXPECT_EQ(body["reason"]["message"], "運用時間外 (07:00-22:00)");
  EXPECT_FALSE(body["reason"].contains("detail"));
  EXPECT_EQ(body["reopens_at"], "2026-12-21T07:00:00+09:00");
  EXPECT_EQ(retry_after, "32400");
}

TEST_F(SystemGate, ClosedOnAWeekend) {
  auto body = closed("medical-insurers", "2026-11-28T10:00");
  EXPECT_EQ(body["reason"]["code"], "closed_weekday");
  EXPECT_EQ(body["reason"]["message"], "休業日 (土日)");
  EXPECT_EQ(body["reopens_at"], "2026-11-30T08:00:00+09:00");
}

TEST_F(SystemGate, ClosedForAPlannedOutageNamesTheOutage) {
  std::string retry_after;
  auto body = closed("network", "2026-12-19T22:30", &retry_after);  // the third weekend
  EXPECT_EQ(body["system"], "network");
  EXPECT_EQ(body["name"], "情報提供ネットワークシステム");
  EXPECT_EQ(body["reason"]["code"], "planned_outage");
  EXPECT_EQ(body["reason"]["detail"], "第3土日の計画停止");
  EXPECT_EQ(body["error_description"],
            "情報提供ネットワークシステム は現在利用できません: 計画停止: 第3土日の計画停止");
  EXPECT_EQ(body["reopens_at"], "2026-12-21T00:00:00+09:00");
  EXPECT_EQ(retry_after, "91800");  // 25.5 hours
}

TEST_F(SystemGate, ClosedOverTheYearEndUntilTheFourthOfJanuary) {
  std::string retry_after;
  auto body = closed("juki", "2027-01-02T10:00", &retry_after);
  EXPECT_EQ(body["name"], "住民基本台帳ネットワークシステム");
  EXPECT_EQ(body["reason"]["code"], "planned_outage");
  EXPECT_EQ(body["reason"]["detail"], "年末年始の計画停止（12月28日21時～1月4日8時）");
  EXPECT_EQ(body["at"], "2027-01-02T10:00:00+09:00");
  EXPECT_EQ(body["reopens_at"], "2027-01-04T08:00:00+09:00");
  EXPECT_EQ(retry_after, "165600");  // 46 hours
  EXPECT_TRUE(closed("juki", "2026-12-28T21:00").is_object());
  EXPECT_FALSE(gate("juki", "2027-01-04T08:00"));
}

TEST_F(SystemGate, RetryAfterRoundsUpToWholeSecondsAndIsAtLeastOne) {
  std::string retry_after;
  closed("juki", "2027-01-04T07:59:58.200+09:00", &retry_after);
  EXPECT_EQ(retry_after, "2");
  closed("juki", "2027-01-04T07:59:59.999+09:00", &retry_after);
  EXPECT_EQ(retry_after, "1");
}

TEST_F(SystemGate, ForcedDownWithoutAnEndHasNoReopeningTime) {
  rt_->availability.force_down("municipal", std::nullopt, "fault fault-9");
  auto res = gate("municipal", "2026-11-27T10:00");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->header("retry-after"), nullptr);
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["reason"]["code"], "forced_down");
  EXPECT_EQ(body["reason"]["detail"], "fault fault-9");
  EXPECT_TRUE(body["reopens_at"].is_null());
  rt_->availability.clear_forced("municipal");
  EXPECT_FALSE(gate("municipal", "2026-11-27T10:00"));
}

TEST_F(SystemGate, ForcedDownUntilAnInstantReopensThen) {
  rt_->availability.force_down("municipal", parse_instant("2026-11-27T10:30"), "fault fault-1");
  std::string retry_after;
  auto body = closed("municipal", "2026-11-27T10:00", &retry_after);
  EXPECT_EQ(body["reopens_at"], "2026-11-27T10:30:00+09:00");
  EXPECT_EQ(retry_after, "1800");
  EXPECT_FALSE(gate("municipal", "2026-11-27T10:30"));
}

}  // namespace
}  // namespace mynasim
