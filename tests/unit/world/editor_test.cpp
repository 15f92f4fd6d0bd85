// SPDX-License-Identifier: Apache-2.0
// issue 26 item 12: the work of sheet changes runs on the background pool, one job at a time,
// in the order asked, with a bounded queue.
#include "world/editor.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/background_pool.hpp"

namespace mynasim {
namespace {

using namespace std::chrono_literals;

sheet_change note_of(const std::string& id, int n) {
  return {sheet_change::op::patch, "personas", id, R"({"note": ")" + std::to_string(n) + R"("})",
          "PATCH /__admin/personas/" + id};
}

// Waits, for at most a generous bound, until `done` holds.
template <class F>
bool wait_until(std::mutex& m, std::condition_variable& cv, F&& done) {
  std::unique_lock lock(m);
  return cv.wait_for(lock, 60s, done);
}

TEST(WorldEditor, ChangesRunOffTheCallersThreadOneAtATimeInOrder) {
  world_runtime rt(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml"));
  background_pool pool({2, 64, 64});
  std::atomic<int> running{0}, most{0};
  world_editor editor(
      rt, {},
      [&](const world_data&) {
        auto now = ++running;
        most = std::max(most.load(), now);
        std::this_thread::sleep_for(2ms);  // a little heavy work, so that overlaps would show
        --running;
      },
      &pool);
  struct stopper {  // the pool stops before the editor its jobs use goes, whatever happens
    background_pool& pool;
    ~stopper() { pool.stop(); }
  } stop_first{pool};
  std::mutex m;
  std::condition_variable cv;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  constexpr int changes = 30;
  for (int i = 0; i < changes; ++i)
    editor.change(note_of(i % 2 ? "taro" : "jiro", i), [&, i](const edit_outcome& o) {
      EXPECT_EQ(o.status, 200) << o.body.dump();
      std::lock_guard lock(m);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
      cv.notify_all();
    });
  ASSERT_TRUE(wait_until(m, cv, [&] { return order.size() == changes; }));
  for (int i = 0; i < changes; ++i) EXPECT_EQ(order[i], i);
  for (auto id : threads) EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_EQ(most.load(), 1);
  EXPECT_EQ(rt.data.get()->find_persona("taro")->note, "29");
  EXPECT_EQ(editor.changes_json().size(), 2u);  // folded: one change per persona
}

TEST(WorldEditor, AFullQueueIsRefusedNotGrown) {
  world_runtime rt(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml"));
  background_pool pool({1, 64, 64});
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  int answered = 0, busy = 0;
  world_editor editor(
      rt, {},
      [&](const world_data&) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return release; });  // the first job holds its turn
      },
      &pool);
  auto done = [&](const edit_outcome& o) {
    std::lock_guard lock(m);
    ++answered;
    busy += o.status == 503;
    cv.notify_all();
  };
  struct releaser {  // whatever happens, the held job goes on and the pool stops before the editor goes
    std::function<void()> run;
    ~releaser() { run(); }
  } at_exit{[&] {
    {
      std::lock_guard lock(m);
      release = true;
    }
    cv.notify_all();
    pool.stop();
  }};
  editor.change(note_of("taro", 0), done);
  std::this_thread::sleep_for(50ms);  // let it start; the rest wait behind it
  for (std::size_t i = 0; i < world_editor::max_pending + 3; ++i) editor.change(note_of("taro", 1), done);
  {
    std::lock_guard lock(m);
    EXPECT_GE(busy, 3);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(wait_until(m, cv, [&] { return answered == static_cast<int>(world_editor::max_pending) + 4; }));
  EXPECT_LE(busy, 4);  // at most one more, had the first not started yet
}

// issue 27: every world has its own editor; their jobs queue in the pool under each world's
// owner, so editors of many worlds waiting at once never fill one shared owner's share (with
// one owner for all, the third editor here was refused 503 editor_busy).
TEST(WorldEditor, EditorsOfManyWorldsQueueUnderTheirOwnOwners) {
  constexpr int worlds = 4;
  background_pool pool({1, 64, 2});  // one worker, two waiting jobs per owner
  std::vector<std::unique_ptr<world_runtime>> runtimes;
  std::vector<std::unique_ptr<world_editor>> editors;
  for (int i = 0; i < worlds; ++i) {
    runtimes.push_back(std::make_unique<world_runtime>(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")));
    editors.push_back(std::make_unique<world_editor>(
        *runtimes.back(), std::vector<sheet_change>{}, [](const world_data&) {}, &pool, editor_log{},
        "world:w" + std::to_string(i)));
  }
  struct stopper {
    background_pool& pool;
    ~stopper() { pool.stop(); }
  } stop_first{pool};
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  ASSERT_TRUE(pool.submit("blocker", [&] {  // holds the only worker until every change is queued
    std::unique_lock lock(m);
    cv.wait_for(lock, 60s, [&] { return release; });
  }));
  std::vector<int> statuses;
  for (int i = 0; i < worlds; ++i)
    editors[i]->change(note_of("taro", i), [&](const edit_outcome& o) {
      std::lock_guard lock(m);
      statuses.push_back(o.status);
      cv.notify_all();
    });
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(wait_until(m, cv, [&] { return statuses.size() == worlds; }));
  for (int status : statuses) EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace mynasim
