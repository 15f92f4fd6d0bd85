// SPDX-License-Identifier: Apache-2.0
// When a simulated system serves: daily windows, closed days and planned outages, as data.
// Every row and remark of guideline tables 2.5-1 … 2.5-4 is expressible with these types.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "calendar/holidays.hpp"
#include "clock/time.hpp"

namespace mynasim {

struct day_window {
  int from_minute = 0;      // 0..1440, minutes after local midnight
  int until_minute = 1440;  // exclusive; 1440 = 24:00
};

// A planned outage that recurs. Times are JST wall-clock.
struct outage_rule {
  enum class recurrence { daily, monthly, yearly };
  std::string name;
  recurrence every = recurrence::monthly;
  // monthly: the anchor day is the nth (1..5) or last (nth = -1) `weekday` (0 = Sunday) of a
  // month; `months` is a bit set of allowed months (bit m for month m), 0 = every month.
  int nth = 3;
  int weekday = 6;
  std::uint16_t months = 0;
  // daily and monthly: starts at from_minute of the anchor day and ends at until_minute,
  // until_day_offset days later (daily: when until <= from it ends the next day).
  int from_minute = 0;
  int until_day_offset = 0;
  int until_minute = 0;
  // yearly: from (month, day, minute) to (month, day, minute), crossing the new year when
  // the end precedes the start.
  unsigned from_month = 12, from_day = 28, until_month = 1, until_day = 4;
  bool inferred = false;  // the guideline does not give the exact span; see docs
};

struct operating_rules {
  std::vector<day_window> hours{{0, 1440}};  // empty: never open
  std::uint8_t closed_weekdays = 0;          // bit w for weekday w (0 = Sunday)
  bool closed_on_holidays = false;
  std::vector<outage_rule> outages;
};

enum class availability_reason : std::uint8_t {
  operating,       // up
  outside_hours,   // before or after the daily windows
  closed_weekday,  // 土日
  closed_holiday,  // 祝日, with its name
  planned_outage,  // 計画停止, with its name
  forced_down,     // fault injection
};

const char* to_string(availability_reason r);

struct availability_status {
  bool up = true;
  availability_reason reason = availability_reason::operating;
  // Holiday or outage name: points into the rules/calendar (alive as long as the world), or —
  // for a fault's forced stop, whose label a concurrent fault removal frees — into `owned`.
  const std::string* detail = nullptr;
  std::shared_ptr<const std::string> owned;
  friend bool operator==(const availability_status&, const availability_status&) = default;
};

// Evaluates one system's rules against instants; cheap enough to call per request.
class rule_evaluator {
 public:
  rule_evaluator(const operating_rules& rules, const holiday_calendar& holidays)
      : rules_(&rules), holidays_(&holidays) {}

  availability_status at(instant t) const;
  // The next instant after t at which `up` flips, searching at most `horizon` days ahead.
  std::optional<instant> next_change(instant t, int horizon_days = 400) const;

  struct segment {
    instant from;
    instant until;
    availability_status status;
  };
  // Contiguous spans with the same status between from and until.
  std::vector<segment> timeline(instant from, instant until) const;

 private:
  const outage_rule* active_outage(local_minutes m, sys_days day) const;
  // Candidate instants (local minutes) within the local day where the status may change.
  void boundaries(sys_days day, std::vector<local_minutes>& out) const;

  const operating_rules* rules_;
  const holiday_calendar* holidays_;
};

}  // namespace mynasim
