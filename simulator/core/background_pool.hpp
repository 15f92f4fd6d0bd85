// SPDX-License-Identifier: Apache-2.0
// Runs expensive work off the I/O threads: key generation, copying and re-planning the world,
// signing a CRL. A few worker threads take queued jobs round-robin by owner (a service, a
// source address, "admin"), so one owner's burst waits behind itself, not in front of
// everyone. Bounded per owner and in total: a job that does not fit is refused, never queued
// by evicting another owner's.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mynasim {

class background_pool {
 public:
  struct limits {
    std::size_t threads = 2;
    std::size_t max_queued = 1024;           // jobs waiting, all owners together
    std::size_t max_queued_per_owner = 128;  // jobs waiting for one owner
  };
  using job = std::function<void()>;

  explicit background_pool(limits l);
  ~background_pool();  // stops: running jobs finish, queued ones are dropped unrun
  background_pool(const background_pool&) = delete;
  background_pool& operator=(const background_pool&) = delete;

  // Queues `work` for `owner`; false (and nothing queued) when the owner's or the pool's
  // queue is full, or the pool has stopped. A job that throws is counted and forgotten: a
  // job answers its own caller, errors included.
  bool submit(std::string_view owner, job work);
  void stop();

  struct stats {
    std::size_t queued = 0, running = 0, owners = 0;
    std::uint64_t done = 0, refused = 0, failed = 0;
  };
  stats snapshot() const;

 private:
  void worker_loop();
  bool take_locked(job& next);  // the next job, owners in turn

  limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, std::deque<job>, std::less<>> queues_;  // owners with queued jobs only
  std::deque<std::string> turn_;                                // owners in the order they are served
  std::size_t queued_ = 0, running_ = 0;
  std::uint64_t done_ = 0, refused_ = 0, failed_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mynasim
