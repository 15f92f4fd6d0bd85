// One answer to "is system X up at instant t, why, and until when" — used by the request
// path, the admin API and the CLI alike.
#pragma once

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

 private:
  struct entry {
    const system_config* system;
    rule_evaluator evaluator;
  };
  const entry* find(std::string_view id) const;
  const entry& get(std::string_view id) const;

  const holiday_calendar* holidays_;
  std::vector<entry> entries_;
};

}  // namespace mynasim
