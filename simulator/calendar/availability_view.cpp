// SPDX-License-Identifier: Apache-2.0
#include "calendar/availability_view.hpp"

#include <nlohmann/json.hpp>

namespace mynasim {

nlohmann::json reason_json(const system_availability& a) {
  nlohmann::json r{{"code", to_string(a.status.reason)}, {"message", a.reason_text()}};
  if (a.status.detail) r["detail"] = *a.status.detail;
  return r;
}

nlohmann::json availability_json(const availability_service& service, instant at) {
  nlohmann::json systems = nlohmann::json::array();
  for (const auto& a : service.query_all(at)) {
    nlohmann::json s{
        {"id", a.system->id},
        {"name", a.system->name},
        {"kind", to_string(a.system->kind)},
        {"up", a.status.up},
        {"reason", reason_json(a)},
        {"next_change", a.next_change ? nlohmann::json(format_instant(*a.next_change)) : nlohmann::json()}};
    if (!a.system->part_of.empty()) s["part_of"] = a.system->part_of;
    systems.push_back(std::move(s));
  }
  return {{"at", format_instant(at)}, {"systems", std::move(systems)}};
}

nlohmann::json timeline_json(const availability_service& service, const system_config& system, instant from,
                             instant until) {
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& seg : service.timeline(system.id, from, until)) {
    system_availability a{&system, seg.status, std::nullopt};
    windows.push_back({{"from", format_instant(seg.from)},
                       {"until", format_instant(seg.until)},
                       {"up", seg.status.up},
                       {"reason", reason_json(a)}});
  }
  return {{"system", system.id},
          {"name", system.name},
          {"from", format_instant(from)},
          {"to", format_instant(until)},
          {"windows", std::move(windows)}};
}

std::string availability_text(const availability_service& service, instant at) {
  std::string out = "at " + format_instant(at) + "\n";
  for (const auto& a : service.query_all(at)) {
    out += a.system->id + "\t" + (a.status.up ? "up" : "DOWN") + "\t" + a.reason_text() + "\t" +
           (a.next_change ? "next change " + format_instant(*a.next_change) : std::string("no change ahead")) + "\t" +
           a.system->name + "\n";
  }
  return out;
}

std::string timeline_text(const availability_service& service, const system_config& system, instant from,
                          instant until) {
  std::string out = system.id + " (" + system.name + ")\n";
  for (const auto& seg : service.timeline(system.id, from, until)) {
    system_availability a{&system, seg.status, std::nullopt};
    out += format_instant(seg.from) + "\t" + format_instant(seg.until) + "\t" + (seg.status.up ? "up" : "DOWN") + "\t" +
           a.reason_text() + "\n";
  }
  return out;
}

}  // namespace mynasim
