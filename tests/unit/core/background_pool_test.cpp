// SPDX-License-Identifier: Apache-2.0
#include "core/background_pool.hpp"

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mynasim {
namespace {

using namespace std::chrono_literals;

// One worker held busy by a first job until `release` is set: what is queued behind it
// then runs in the pool's order.
struct held_pool {
  background_pool pool;
  std::promise<void> started, release;
  explicit held_pool(background_pool::limits l) : pool(l) {
    auto gate = release.get_future().share();
    EXPECT_TRUE(pool.submit("holder", [this, gate] {
      started.set_value();
      gate.wait();
    }));
    started.get_future().wait();
  }
};

void wait_until_idle(background_pool& pool) {
  for (int i = 0; i < 2000; ++i) {
    auto s = pool.snapshot();
    if (s.queued == 0 && s.running == 0) return;
    std::this_thread::sleep_for(1ms);
  }
  FAIL() << "the pool did not finish its jobs";
}

TEST(BackgroundPool, ServesOwnersInTurnSoOneBurstWaitsBehindItself) {
  held_pool held({1, 16, 16});
  std::mutex mutex;
  std::vector<std::string> order;
  auto record = [&](std::string what) {
    return [&, what] {
      std::lock_guard lock(mutex);
      order.push_back(what);
    };
  };
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(held.pool.submit("flood", record("flood-" + std::to_string(i))));
  ASSERT_TRUE(held.pool.submit("qa", record("qa-1")));
  ASSERT_TRUE(held.pool.submit("ci", record("ci-1")));
  held.release.set_value();
  wait_until_idle(held.pool);
  EXPECT_EQ(order, (std::vector<std::string>{"flood-1", "qa-1", "ci-1", "flood-2", "flood-3"}));
}

TEST(BackgroundPool, RefusesBeyondAnOwnersShareWithoutTouchingOthers) {
  held_pool held({1, 8, 2});
  EXPECT_TRUE(held.pool.submit("flood", [] {}));
  EXPECT_TRUE(held.pool.submit("flood", [] {}));
  EXPECT_FALSE(held.pool.submit("flood", [] {}));  // its own queue is full
  EXPECT_TRUE(held.pool.submit("qa", [] {}));      // another owner still gets in
  auto s = held.pool.snapshot();
  EXPECT_EQ(s.queued, 3u);
  EXPECT_EQ(s.owners, 2u);
  EXPECT_EQ(s.refused, 1u);
  held.release.set_value();
  wait_until_idle(held.pool);
  EXPECT_EQ(held.pool.snapshot().done, 4u);  // the holder and the three queued
}

TEST(BackgroundPool, RefusesBeyondTheTotalBound) {
  held_pool held({1, 3, 3});
  EXPECT_TRUE(held.pool.submit("a", [] {}));
  EXPECT_TRUE(held.pool.submit("b", [] {}));
  EXPECT_TRUE(held.pool.submit("c", [] {}));
  EXPECT_FALSE(held.pool.submit("d", [] {}));
  held.release.set_value();
  wait_until_idle(held.pool);
  EXPECT_TRUE(held.pool.submit("d", [] {}));  // room again once the queue drained
}

TEST(BackgroundPool, AThrowingJobIsCountedAndTheWorkerGoesOn) {
  background_pool pool({1, 8, 8});
  std::promise<void> after;
  ASSERT_TRUE(pool.submit("x", [] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(pool.submit("x", [&] { after.set_value(); }));
  EXPECT_EQ(after.get_future().wait_for(5s), std::future_status::ready);
  wait_until_idle(pool);
  EXPECT_EQ(pool.snapshot().failed, 1u);
  EXPECT_EQ(pool.snapshot().done, 1u);
}

TEST(BackgroundPool, StopDropsQueuedJobsAndRefusesNewOnes) {
  bool ran = false;
  {
    held_pool held({1, 8, 8});
    ASSERT_TRUE(held.pool.submit("x", [&] { ran = true; }));
    std::thread releaser([&] {
      std::this_thread::sleep_for(20ms);
      held.release.set_value();
    });
    held.pool.stop();  // waits for the running job, drops the queued one
    releaser.join();
    EXPECT_FALSE(held.pool.submit("x", [] {}));
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace mynasim
