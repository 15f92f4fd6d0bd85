// SPDX-License-Identifier: Apache-2.0
#include "core/background_pool.hpp"

#include <algorithm>

namespace mynasim {

background_pool::background_pool(limits l) : limits_(l) {
  limits_.threads = std::max<std::size_t>(1, limits_.threads);
  threads_.reserve(limits_.threads);
  for (std::size_t i = 0; i < limits_.threads; ++i) threads_.emplace_back([this] { worker_loop(); });
}

background_pool::~background_pool() {
  stop();
}

void background_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queues_.clear();
    turn_.clear();
    queued_ = 0;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  threads_.clear();
}

bool background_pool::submit(std::string_view owner, job work) {
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(owner);
    const std::size_t mine = it == queues_.end() ? 0 : it->second.size();
    if (stopping_ || queued_ >= limits_.max_queued || mine >= limits_.max_queued_per_owner) {
      ++refused_;
      return false;
    }
    if (it == queues_.end()) {
      it = queues_.emplace(std::string(owner), std::deque<job>{}).first;
      turn_.push_back(it->first);
    }
    it->second.push_back(std::move(work));
    ++queued_;
  }
  wake_.notify_one();
  return true;
}

bool background_pool::take_locked(job& next) {
  if (turn_.empty()) return false;
  auto owner = std::move(turn_.front());
  turn_.pop_front();
  auto it = queues_.find(owner);
  next = std::move(it->second.front());
  it->second.pop_front();
  --queued_;
  if (it->second.empty())
    queues_.erase(it);
  else
    turn_.push_back(std::move(owner));  // its next job waits for every other owner's turn
  return true;
}

void background_pool::worker_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !turn_.empty(); });
    if (stopping_) return;
    job next;
    if (!take_locked(next)) continue;
    ++running_;
    lock.unlock();
    bool ok = true;
    try {
      next();
    } catch (...) {
      ok = false;
    }
    next = nullptr;  // the job's captures are released outside the lock
    lock.lock();
    --running_;
    ++(ok ? done_ : failed_);
  }
}

background_pool::stats background_pool::snapshot() const {
  std::lock_guard lock(mutex_);
  return {queued_, running_, queues_.size(), done_, refused_, failed_};
}

}  // namespace mynasim
