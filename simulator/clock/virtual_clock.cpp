// SPDX-License-Identifier: Apache-2.0
#include "clock/virtual_clock.hpp"

#include <algorithm>

namespace mynasim {

virtual_clock::virtual_clock(clock_settings settings, real_source real, wall_source wall)
    : settings_(settings), real_(std::move(real)), wall_(std::move(wall)) {
  if (!real_) real_ = [] { return std::chrono::steady_clock::now(); };
  if (!wall_) wall_ = [] { return std::chrono::time_point_cast<millis>(std::chrono::system_clock::now()); };
  reset();
}

void virtual_clock::reset() {
  {
    std::lock_guard lock(mutex_);
    anchor_virtual_ = settings_.start ? *settings_.start : wall_();
    anchor_real_ = real_();
    speed_ = settings_.speed;
    frozen_ = settings_.frozen;
  }
  changed("reset");
}

void virtual_clock::follow_wall() {
  {
    std::lock_guard lock(mutex_);
    anchor_virtual_ = std::clamp(wall_(), earliest_instant(), latest_instant());
    anchor_real_ = real_();
    speed_ = 1.0;
    frozen_ = false;
  }
  changed("wall");
}

instant virtual_clock::now_locked() const {
  if (frozen_) return anchor_virtual_;
  auto elapsed = std::chrono::duration<double, std::milli>(real_() - anchor_real_).count() * speed_;
  // A fast clock left running stops at the end of the supported span instead of overflowing.
  auto room = static_cast<double>((latest_instant() - anchor_virtual_).count());
  if (!(elapsed < room)) return latest_instant();
  return anchor_virtual_ + millis{static_cast<std::int64_t>(elapsed)};
}

void virtual_clock::rebase_locked() {
  anchor_virtual_ = now_locked();
  anchor_real_ = real_();
}

instant virtual_clock::now() const {
  std::lock_guard lock(mutex_);
  return now_locked();
}

clock_state virtual_clock::state() const {
  std::lock_guard lock(mutex_);
  return {now_locked(), speed_, frozen_};
}

void virtual_clock::set_now(instant t) {
  {
    std::lock_guard lock(mutex_);
    anchor_virtual_ = std::clamp(t, earliest_instant(), latest_instant());
    anchor_real_ = real_();
  }
  changed("set");
}

void virtual_clock::adopt(const clock_state& s) {
  std::lock_guard lock(mutex_);
  anchor_virtual_ = std::clamp(s.now, earliest_instant(), latest_instant());
  anchor_real_ = real_();
  speed_ = s.speed;
  frozen_ = s.frozen;
}

void virtual_clock::set_speed(double speed) {
  {
    std::lock_guard lock(mutex_);
    rebase_locked();
    speed_ = speed;
  }
  changed("speed");
}

void virtual_clock::set_frozen(bool frozen) {
  {
    std::lock_guard lock(mutex_);
    rebase_locked();
    frozen_ = frozen;
  }
  changed(frozen ? "freeze" : "run");
}

bool virtual_clock::advance(millis by) {
  {
    std::lock_guard lock(mutex_);
    rebase_locked();
    auto room_ahead = latest_instant() - anchor_virtual_, room_behind = anchor_virtual_ - earliest_instant();
    if (by > room_ahead || -by > room_behind) return false;
    anchor_virtual_ += by;
  }
  changed("advance");
  return true;
}

}  // namespace mynasim
