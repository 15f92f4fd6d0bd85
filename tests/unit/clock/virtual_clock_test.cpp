// SPDX-License-Identifier: Apache-2.0
#include "clock/virtual_clock.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mynasim {
namespace {

// A hand-driven real time source so that speed and freezing are tested exactly.
struct fake_real_time {
  std::chrono::steady_clock::time_point now{};
  virtual_clock::real_source source() {
    return [this] { return now; };
  }
};

const instant start = *parse_instant("2026-12-19T22:30:00+09:00");

TEST(VirtualClock, StartsAtConfiguredInstantAndRuns) {
  fake_real_time real;
  virtual_clock clock({start, 1.0, false}, real.source());
  EXPECT_EQ(clock.now(), start);
  real.now += std::chrono::seconds(90);
  EXPECT_EQ(clock.now(), start + std::chrono::seconds(90));
}

TEST(VirtualClock, SpeedFactorScalesElapsedTime) {
  fake_real_time real;
  virtual_clock clock({start, 60.0, false}, real.source());
  real.now += std::chrono::minutes(1);
  EXPECT_EQ(clock.now(), start + std::chrono::hours(1));
  clock.set_speed(1.0);
  real.now += std::chrono::minutes(1);
  EXPECT_EQ(clock.now(), start + std::chrono::minutes(61));
}

TEST(VirtualClock, FollowsTheWallClockAgainAtSpeedOneAndRunning) {
  fake_real_time real;
  const instant wall = *parse_instant("2026-12-07T15:00:00+09:00");
  std::vector<std::string> changes;
  virtual_clock clock({start, 60.0, true}, real.source(), [&] { return wall; });
  clock.on_change([&](const char* how, const clock_state&) { changes.emplace_back(how); });
  clock.follow_wall();
  EXPECT_EQ(clock.now(), wall);
  auto s = clock.state();
  EXPECT_EQ(s.speed, 1.0);
  EXPECT_FALSE(s.frozen);
  real.now += std::chrono::seconds(10);
  EXPECT_EQ(clock.now(), wall + std::chrono::seconds(10));
  EXPECT_EQ(changes, std::vector<std::string>{"wall"});
  clock.reset();  // back to the settings, not to the wall
  EXPECT_EQ(clock.now(), start);
}

TEST(VirtualClock, FrozenClockStandsStillUntilMoved) {
  fake_real_time real;
  virtual_clock clock({start, 1.0, true}, real.source());
  real.now += std::chrono::hours(5);
  EXPECT_EQ(clock.now(), start);
  ASSERT_TRUE(clock.advance(std::chrono::minutes(150)));
  EXPECT_EQ(clock.now(), start + std::chrono::minutes(150));
  clock.set_frozen(false);
  real.now += std::chrono::seconds(1);
  EXPECT_EQ(clock.now(), start + std::chrono::minutes(150) + std::chrono::seconds(1));
}

TEST(VirtualClock, SetNowAndResetRestoreSettings) {
  fake_real_time real;
  virtual_clock clock({start, 2.0, false}, real.source());
  clock.set_now(start + std::chrono::hours(24));
  clock.set_frozen(true);
  EXPECT_EQ(clock.state().now, start + std::chrono::hours(24));
  clock.reset();
  auto s = clock.state();
  EXPECT_EQ(s.now, start);
  EXPECT_EQ(s.speed, 2.0);
  EXPECT_FALSE(s.frozen);
}

TEST(VirtualClock, FollowsWallClockWithoutStart) {
  fake_real_time real;
  virtual_clock clock({}, real.source(), [] { return start; });
  EXPECT_EQ(clock.now(), start);
}

}  // namespace
}  // namespace mynasim
