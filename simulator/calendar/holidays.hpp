// SPDX-License-Identifier: Apache-2.0
// Japanese national holidays (国民の祝日, 振替休日, 国民の休日) computed from the law's rules,
// plus the one-off days set by special laws, plus additions/removals from the world YAML.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mynasim {

struct holiday {
  std::chrono::sys_days date;
  std::string name;  // as officially used, e.g. "元日", "振替休日", "休日"
  friend bool operator==(const holiday&, const holiday&) = default;
};

struct holiday_adjustments {
  std::vector<holiday> add;                   // a new one-off day, or a renamed day
  std::vector<std::chrono::sys_days> remove;  // a day that is no longer a holiday
};

// The holidays of one year by law alone (no adjustments), in date order.
std::vector<holiday> statutory_holidays(int year);

// 春分日 / 秋分日 (day of March / September) by the standard approximation, 1900–2150.
int vernal_equinox_day(int year);
int autumnal_equinox_day(int year);

// A precomputed table for fast lookups between first_year and last_year inclusive.
class holiday_calendar {
 public:
  static constexpr int default_first_year = 1955;
  static constexpr int default_last_year = 2100;

  explicit holiday_calendar(const holiday_adjustments& adjustments = {}, int first_year = default_first_year,
                            int last_year = default_last_year);

  // nullptr when d is not a holiday (or lies outside the table).
  const std::string* name_of(std::chrono::sys_days d) const {
    auto i = (d - first_day_).count();
    if (i < 0 || i >= static_cast<long>(index_.size()) || index_[static_cast<std::size_t>(i)] == 0) return nullptr;
    return &names_[index_[static_cast<std::size_t>(i)] - 1];
  }
  bool is_holiday(std::chrono::sys_days d) const { return name_of(d) != nullptr; }

  std::vector<holiday> between(int from_year, int to_year) const;
  int first_year() const { return first_year_; }
  int last_year() const { return last_year_; }

 private:
  void set(std::chrono::sys_days d, const std::string& name);

  int first_year_;
  int last_year_;
  std::chrono::sys_days first_day_;
  std::vector<std::uint16_t> index_;  // per day: 0 = none, else 1 + index into names_
  std::vector<std::string> names_;
};

}  // namespace mynasim
