#include "calendar/availability.hpp"

#include <stdexcept>

namespace mynasim {

std::string system_availability::reason_text() const {
  switch (status.reason) {
    case availability_reason::operating: return "運用中";
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
    case availability_reason::closed_weekday: return "休業日 (土日)";
    case availability_reason::closed_holiday: return "休業日 (祝日: " + (status.detail ? *status.detail : "") + ")";
    case availability_reason::planned_outage: return "計画停止: " + (status.detail ? *status.detail : "");
    case availability_reason::forced_down: return "強制停止 (forced)";
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

availability_status availability_service::status(std::string_view id, instant t) const {
  return get(id).evaluator.at(t);
}

system_availability availability_service::query(std::string_view id, instant t) const {
  const auto& e = get(id);
  return {e.system, e.evaluator.at(t), e.evaluator.next_change(t)};
}

std::vector<system_availability> availability_service::query_all(instant t) const {
  std::vector<system_availability> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back({e.system, e.evaluator.at(t), e.evaluator.next_change(t)});
  return out;
}

std::vector<rule_evaluator::segment> availability_service::timeline(std::string_view id, instant from,
                                                                    instant until) const {
  return get(id).evaluator.timeline(from, until);
}

}  // namespace mynasim
