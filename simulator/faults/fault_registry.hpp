// SPDX-License-Identifier: Apache-2.0
// The active faults of a world: added from the admin API, the per-request header or a
// scenario; consulted for every request and every IF001-05 notification. Thread-safe.
#pragma once

#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "core/http.hpp"
#include "faults/fault.hpp"
#include "world/runtime.hpp"

namespace mynasim {

struct fault_decision {
  std::optional<http_response> response;  // http_error, quota: answer this instead
  transport_fault transport;              // latency, hang, reset, …
  std::vector<std::string> fired;         // ids of the faults that fired
};

struct notification_decision {
  bool drop = false;
  millis delay{0};
  int copies = 1;
  std::vector<std::string> fired;
};

class fault_registry {
 public:
  explicit fault_registry(world_runtime& rt);

  // Validates the target and narrowing, assigns an id when missing; error on failure.
  // At most qa.max_faults at once: one more is refused, none is evicted.
  std::optional<std::string> add(fault f, std::string& error);
  // A one-shot fault that X-Mynasim-Fault binds to one request's downstream hops. These live
  // in their own pool of max_request_faults, owned by the service they are narrowed to
  // (f.client_id, an authenticated identity). When full, the owner holding the most loses its
  // oldest: a service flooding the pool only ever evicts its own.
  std::optional<std::string> add_for_request(fault f, std::string& error);
  static constexpr std::size_t max_request_faults = 1024;
  bool remove(const std::string& id);
  void clear();
  std::vector<fault> list();

  // For a request that reached `req.system` (facts set on the request).
  fault_decision decide(const http_request& req);
  notification_decision decide_notification(const std::string& client_id, const std::string& persona);
  // Called after a decision for every fault that fired (outside the registry's lock). Set
  // once, before serving.
  void on_fire(std::function<void(const fault& f)> observer) { on_fire_ = std::move(observer); }

 private:
  struct active {
    fault spec;
    std::mt19937_64 rng;
    instant window_start{};
    long window_count = 0;
    bool per_request = false;
    std::list<std::string>::iterator in_pool;  // per_request: its place in request_faults_
  };
  std::optional<std::string> insert(fault f, bool per_request, std::string& error);
  fault_decision decide_and_collect(const http_request& req, std::vector<fault>& fired);
  void expire_locked(instant now);
  bool any_active_locked(instant now);  // drops expired faults first
  bool matches(const fault& f, const http_request& req) const;
  bool fires_locked(active& a);  // draws the probability, spends a count
  // A quota fault: counts the request in its window; fires (as fires_locked) past the limit.
  bool quota_exceeded_locked(active& a, instant now);
  millis draw_latency_locked(active& a);  // a latency fault's delay, by its distribution
  // What a fault that fired does to the decision for `req`.
  void apply_locked(const std::string& id, active& a, const http_request& req, instant now, fault_decision& d);
  void drop_locked(std::map<std::string, active>::iterator it);
  // The system's forced stop from every `down` fault on it still active: down until the latest
  // of their ends (none: until removed), labelled by that fault; up when none is left.
  void refresh_forced_locked(const std::string& target);
  void evict_request_fault_locked();  // the oldest of the owner holding the most

  world_runtime* rt_;
  std::mutex mutex_;
  std::map<std::string, active> faults_;  // by id, in id order
  long next_id_ = 1;
  long next_request_id_ = 1;
  std::size_t admin_faults_ = 0;
  std::list<std::string> request_faults_;              // live per-request faults, oldest first
  std::map<std::string, std::size_t> request_owners_;  // live per-request faults per client_id
  std::function<void(const fault&)> on_fire_;
  void report(const std::vector<fault>& fired) const {
    if (on_fire_)
      for (const auto& f : fired) on_fire_(f);
  }
};

}  // namespace mynasim
