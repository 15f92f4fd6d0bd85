// SPDX-License-Identifier: Apache-2.0
#include "core/expiring_store.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

const instant t0 = *parse_instant("2026-11-27T10:00:00+09:00");

TEST(ExpiringStore, EntriesExpireOnTheGivenClock) {
  expiring_store<int> s(10, millis{1000});
  s.put("a", 1, t0);
  EXPECT_EQ(s.get("a", t0 + millis{999}), 1);
  EXPECT_FALSE(s.get("a", t0 + millis{1000}));
  EXPECT_EQ(s.size(), 0u);
}

TEST(ExpiringStore, CapacityDropsTheOldestFirst) {
  expiring_store<int> s(3, millis{60000});
  for (int i = 0; i < 5; ++i) s.put(std::to_string(i), i, t0);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.evicted(), 2u);
  EXPECT_FALSE(s.get("0", t0));
  EXPECT_EQ(s.get("4", t0), 4);
}

TEST(ExpiringStore, PutReportsExistingKeysAndWithMutates) {
  expiring_store<int> s(3, millis{60000});
  EXPECT_TRUE(s.put("k", 1, t0));
  EXPECT_FALSE(s.put("k", 2, t0));
  EXPECT_TRUE(s.with("k", t0, [](int& v) { v += 40; }));
  EXPECT_EQ(s.get("k", t0), 42);
  EXPECT_TRUE(s.erase("k"));
  EXPECT_FALSE(s.with("k", t0, [](int&) {}));
}

}  // namespace
}  // namespace mynasim
