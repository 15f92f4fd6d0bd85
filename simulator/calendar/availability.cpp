// SPDX-License-Identifier: Apache-2.0
#include "calendar/availability.hpp"

#include <stdexcept>

namespace mynasim {

std::string system_availability::reason_text() const {
  switch (status.reason) {
    case availability_reason::operating:
      return "運用中";
    case availability_reason::outside_hours: {
      std::string text = "運用時間外";
      if (system && !system->rules.hours.empty()) {
        text += " (";
        for (std::size_t i = 0; i < system->rules.hours.size(); ++i) {
          const auto& w = system->rules.hours[i];
          if (i) text += ", ";
          text += format_clock_time(w.from_minute) + "-" + format_clock_time(w.until_minute);
        }
        text += ")";
      }
      return text;
    }
    case availability_reason::closed_weekday:
      return "休業日 (土日)";
    case availability_reason::closed_holiday:
      return "休業日 (祝日: " + (status.detail ? *status.detail : "") + ")";
    case availability_reason::planned_outage:
      return "計画停止: " + (status.detail ? *status.detail : "");
    case availability_reason::forced_down:
      return "強制停止 (forced)";
  }
  return "";
}

availability_service::availability_service(const world_config& world, const holiday_calendar& holidays)
    : holidays_(&holidays) {
  entries_.reserve(world.systems.size());
  for (const auto& s : world.systems) entries_.push_back({&s, rule_evaluator(s.rules, holidays)});
}

const availability_service::entry* availability_service::find(std::string_view id) const {
  for (const auto& e : entries_)
    if (e.system->id == id) return &e;
  return nullptr;
}

const availability_service::entry& availability_service::get(std::string_view id) const {
  if (const auto* e = find(id)) return *e;
  throw std::out_of_range("unknown system '" + std::string(id) + "'");
}

const availability_service::forced* availability_service::forced_at(std::string_view id, instant t) const {
  auto it = forced_.find(id);
  if (it == forced_.end() || (it->second.until && t >= *it->second.until)) return nullptr;
  return &it->second;
}

void availability_service::force_down(const std::string& id, std::optional<instant> until, const std::string& label) {
  get(id);  // throws for an unknown system
  std::lock_guard lock(forced_mutex_);
  forced_[id] = {until, std::make_shared<const std::string>(label)};
  any_forced_ = true;
}

void availability_service::clear_forced(const std::string& id) {
  std::lock_guard lock(forced_mutex_);
  forced_.erase(id);
  any_forced_ = !forced_.empty();
}

availability_status availability_service::status(std::string_view id, instant t) const {
  const auto& e = get(id);
  if (any_forced_) {
    std::lock_guard lock(forced_mutex_);
    if (const auto* f = forced_at(id, t)) return {false, availability_reason::forced_down, f->label.get(), f->label};
  }
  return e.evaluator.at(t);
}

system_availability availability_service::query(std::string_view id, instant t) const {
  const auto& e = get(id);
  if (any_forced_) {
    std::lock_guard lock(forced_mutex_);
    if (const auto* f = forced_at(id, t)) {
      // Back when the fault ends, unless the rules keep the system closed then.
      std::optional<instant> next;
      if (f->until) next = e.evaluator.at(*f->until).up ? *f->until : e.evaluator.next_change(*f->until);
      return {e.system, {false, availability_reason::forced_down, f->label.get(), f->label}, next};
    }
  }
  return {e.system, e.evaluator.at(t), e.evaluator.next_change(t)};
}

std::vector<system_availability> availability_service::query_all(instant t) const {
  std::vector<system_availability> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(query(e.system->id, t));
  return out;
}

std::vector<rule_evaluator::segment> availability_service::timeline(std::string_view id, instant from,
                                                                    instant until) const {
  return get(id).evaluator.timeline(from, until);
}

}  // namespace mynasim
