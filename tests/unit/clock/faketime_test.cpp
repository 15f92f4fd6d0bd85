// SPDX-License-Identifier: Apache-2.0
#include "clock/faketime.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

const instant wall = *parse_instant("2026-12-07T10:00:00+09:00");

TEST(Faketime, ARunningClockIsAnOffsetFromTheWallClock) {
  auto f = faketime_of({*parse_instant("2026-12-29T10:00:00.250+09:00"), 1.0, false}, wall);
  EXPECT_FALSE(f.absolute);
  EXPECT_DOUBLE_EQ(f.offset, 22 * 86400 + 0.25);
  EXPECT_EQ(f.line, "+1900800.250\n");
  EXPECT_EQ(faketime_of({*parse_instant("2026-12-07T09:59:58+09:00"), 1.0, false}, wall).line, "-2.000\n");
}

TEST(Faketime, AFrozenClockIsAnAbsoluteJapanTime) {
  auto f = faketime_of({*parse_instant("2026-12-29T01:02:03.900Z"), 1.0, true}, wall);
  EXPECT_TRUE(f.absolute);
  EXPECT_EQ(f.line, "2026-12-29 10:02:03\n");  // libfaketime reads it in the app's zone: TZ=Asia/Tokyo
}

TEST(Faketime, WrittenAgainOnlyWhenItChangedOrDrifted) {
  faketime_spec none;
  auto running = faketime_of({wall + std::chrono::hours(1), 1.0, false}, wall);
  EXPECT_TRUE(faketime_due(none, running));
  EXPECT_FALSE(faketime_due(running, faketime_of({wall + std::chrono::hours(1) + millis(49), 1.0, false}, wall)));
  EXPECT_TRUE(faketime_due(running, faketime_of({wall + std::chrono::hours(1) + millis(50), 1.0, false}, wall)));
  auto frozen = faketime_of({wall, 1.0, true}, wall);
  EXPECT_TRUE(faketime_due(running, frozen));
  EXPECT_FALSE(faketime_due(frozen, faketime_of({wall + millis(500), 1.0, true}, wall)));
  EXPECT_TRUE(faketime_due(frozen, faketime_of({wall + millis(1000), 1.0, true}, wall)));
}

}  // namespace
}  // namespace mynasim
