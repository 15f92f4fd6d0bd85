// SPDX-License-Identifier: Apache-2.0
// One answer to "is system X up at instant t, why, and until when" — used by the request
// path, the admin API and the CLI alike.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "calendar/operating_rules.hpp"
#include "config/world.hpp"

namespace mynasim {

struct system_availability {
  const system_config* system = nullptr;
  availability_status status;
  std::optional<instant> next_change;  // none: no change within the search horizon

  // Human-readable reason, e.g. "計画停止: 年末年始の計画停止（…）" or "運用時間外 (08:00-21:00)".
  std::string reason_text() const;
};

class availability_service {
 public:
  availability_service(const world_config& world, const holiday_calendar& holidays);

  const holiday_calendar& holidays() const { return *holidays_; }
  bool knows(std::string_view id) const { return find(id) != nullptr; }

  // Throws std::out_of_range for an unknown system.
  system_availability query(std::string_view id, instant t) const;
  std::vector<system_availability> query_all(instant t) const;
  // Only the status: the cheap check done on every request.
  availability_status status(std::string_view id, instant t) const;
  std::vector<rule_evaluator::segment> timeline(std::string_view id, instant from, instant until) const;

  // Fault injection: the system is down ("forced") until `until` (none: until cleared).
  void force_down(const std::string& id, std::optional<instant> until, const std::string& label);
  void clear_forced(const std::string& id);

 private:
  struct entry {
    const system_config* system;
    rule_evaluator evaluator;
  };
  const entry* find(std::string_view id) const;
  const entry& get(std::string_view id) const;

  struct forced {
    std::optional<instant> until;
    // Shared with every status that names it: removing the fault on one thread must not free
    // the text another thread is still answering with.
    std::shared_ptr<const std::string> label;
  };
  const forced* forced_at(std::string_view id, instant t) const;  // call with forced_mutex_ held

  const holiday_calendar* holidays_;
  std::vector<entry> entries_;
  mutable std::mutex forced_mutex_;
  std::map<std::string, forced, std::less<>> forced_;
  std::atomic<bool> any_forced_{false};
};

}  // namespace mynasim
