// SPDX-License-Identifier: Apache-2.0
// The one clock every time rule reads. It follows the wall clock by default, and can be
// moved, frozen or sped up at runtime; it is shared by every system of the world.
#pragma once

#include <functional>
#include <mutex>

#include "clock/time.hpp"

namespace mynasim {

struct clock_settings {
  std::optional<instant> start;  // none: start at the wall clock's now
  double speed = 1.0;            // simulated seconds per real second
  bool frozen = false;
};

struct clock_state {
  instant now;
  double speed;
  bool frozen;
};

class virtual_clock {
 public:
  using real_source = std::function<std::chrono::steady_clock::time_point()>;
  using wall_source = std::function<instant()>;

  explicit virtual_clock(clock_settings settings = {}, real_source real = {}, wall_source wall = {});

  instant now() const;
  clock_state state() const;

  void set_now(instant t);
  // Takes over another clock's state at once (a split world's follower adopting the owner's).
  void adopt(const clock_state& s);
  void set_speed(double speed);  // keeps the current instant
  void set_frozen(bool frozen);  // keeps the current instant
  // false (and no change) when the result would leave the supported span
  [[nodiscard]] bool advance(millis by);
  void reset();  // back to the settings it was built with
  // Follows the wall clock again: its now, speed 1, running (whatever the settings say).
  void follow_wall();

  // Called after every change made through set_now/set_speed/set_frozen/advance/reset/
  // follow_wall (not adopt: a follower taking over its owner's clock) with how ("set", "speed",
  // "freeze", "run", "advance", "reset", "wall") and the state after it. Set once, before serving.
  using change_observer = std::function<void(const char* how, const clock_state& after)>;
  void on_change(change_observer observer) { observer_ = std::move(observer); }

 private:
  void changed(const char* how) const {
    if (observer_) observer_(how, state());
  }
  instant now_locked() const;
  void rebase_locked();

  clock_settings settings_;
  real_source real_;
  wall_source wall_;
  mutable std::mutex mutex_;
  instant anchor_virtual_;
  std::chrono::steady_clock::time_point anchor_real_;
  double speed_ = 1.0;
  bool frozen_ = false;
  change_observer observer_;
};

}  // namespace mynasim
