// SPDX-License-Identifier: Apache-2.0
#include "faults/scenario.hpp"

#include <algorithm>

#include "config/yaml_reader.hpp"

namespace mynasim {
namespace {

instant read_instant(const yaml_value& v) {
  auto t = parse_instant(v.as_string());
  if (!t) v.fail("expected an ISO-8601 instant such as 2026-12-28T21:00:00+09:00");
  return *t;
}

clock_settings read_clock(const yaml_value& v) {
  yaml_map cm(v);
  clock_settings cs;
  cs.start = read_instant(cm.get("start"));
  cs.speed = cm.double_or("speed", 1.0, 0.0, 1e6);
  cs.frozen = cm.bool_or("frozen", false);
  cm.done();
  return cs;
}

// A step's faults, each checked as the admin API would add it (its "for" counted from the step).
std::vector<nlohmann::json> read_step_faults(const yaml_value& list, instant at, const world_config& world) {
  std::vector<nlohmann::json> faults;
  for (const auto& f : list.items()) {
    auto j = yaml_to_json(f, true);
    std::string error;
    auto parsed = parse_fault(j, at, error);
    if (parsed && parsed->target != "app" && parsed->target != "sp" && !world.find_system(parsed->target))
      error = "unknown target '" + parsed->target + "'";
    if (!error.empty()) f.fail(error);
    faults.push_back(std::move(j));
  }
  return faults;
}

scenario_step read_step(const yaml_value& item, const world_config& world, const world_data& data) {
  yaml_map sm(item);
  scenario_step step;
  step.at = read_instant(sm.get("at"));
  step.note = sm.string_or("note", "");
  step.clear_faults = sm.bool_or("clear_faults", false);
  if (auto r = sm.find("remove_faults")) step.remove_faults = r->strings();
  if (auto e = sm.find("expire_certificates")) {
    step.expire_certificates = e->strings();
    for (std::size_t i = 0; i < step.expire_certificates.size(); ++i)
      if (!data.find_persona(step.expire_certificates[i])) e->items()[i].fail("unknown persona");
  }
  if (auto add = sm.find("add_faults")) step.add_faults = read_step_faults(*add, step.at, world);
  sm.done();
  return step;
}

scenario parse_scenario(const yaml_value& doc, const world_config& world, const world_data& data) {
  yaml_map m(doc);
  scenario s;
  s.source = doc.file();
  s.name = m.get("name").as_string();
  s.description = m.string_or("description", "");
  if (auto c = m.find("clock")) s.clock = read_clock(*c);
  if (auto steps = m.find("steps"))
    for (const auto& item : steps->items()) s.steps.push_back(read_step(item, world, data));
  m.done();
  std::stable_sort(s.steps.begin(), s.steps.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  return s;
}

}  // namespace

scenario load_scenario_file(const std::string& path, const world_config& world, const world_data& data,
                            std::size_t max_bytes) {
  return parse_scenario(load_yaml_file(path, max_bytes), world, data);
}

scenario load_scenario_text(const std::string& text, const std::string& name, const world_config& world,
                            const world_data& data) {
  return parse_scenario(load_yaml_string(text, name), world, data);
}

std::optional<std::string> scenario_runner::start(scenario s) {
  std::lock_guard lock(mutex_);
  std::optional<std::string> replaced;
  if (current_) replaced = current_->name;
  faults_->clear();
  log_.clear();
  if (s.clock) {
    rt_->clock.set_speed(s.clock->speed);
    rt_->clock.set_frozen(s.clock->frozen);
    rt_->clock.set_now(*s.clock->start);
  }
  current_ = std::move(s);
  next_step_ = 0;
  return replaced;
}

void scenario_runner::stop() {
  std::lock_guard lock(mutex_);
  current_.reset();
  next_step_ = 0;
}

void scenario_runner::apply_locked(const scenario_step& step) {
  if (step.clear_faults) faults_->clear();
  for (const auto& id : step.remove_faults) faults_->remove(id);
  for (const auto& j : step.add_faults) {
    std::string error;
    auto f = parse_fault(j, rt_->clock.now(), error);
    if (f && !faults_->add(*f, error)) f.reset();
    if (!f) log_.push_back(format_instant(step.at) + ": fault not added: " + error);
  }
  for (const auto& persona : step.expire_certificates)
    if (const auto data = rt_->data.get(); const auto* p = data->find_persona(persona))
      cards_->set_certificate(p->card.serial, certificate_state::expired);
  log_.push_back(format_instant(step.at) + ": applied" + (step.note.empty() ? "" : " — " + step.note));
  if (on_step_)
    on_step_({{"scenario", current_ ? current_->name : ""},
              {"step", next_step_},
              {"at", format_instant(step.at)},
              {"note", step.note},
              {"log", log_.back()}});
}

void scenario_runner::tick() {
  std::lock_guard lock(mutex_);
  if (!current_ || next_step_ >= current_->steps.size()) return;
  auto now = rt_->clock.now();
  while (next_step_ < current_->steps.size() && current_->steps[next_step_].at <= now)
    apply_locked(current_->steps[next_step_++]);
}

nlohmann::json scenario_runner::status() const {
  std::lock_guard lock(mutex_);
  if (!current_) return {{"scenario", nullptr}};
  nlohmann::json steps = nlohmann::json::array();
  for (std::size_t i = 0; i < current_->steps.size(); ++i)
    steps.push_back({{"at", format_instant(current_->steps[i].at)},
                     {"note", current_->steps[i].note},
                     {"applied", i < next_step_}});
  return {{"scenario", current_->name},
          {"description", current_->description},
          {"source", current_->source},
          {"current_step", next_step_},
          {"steps", steps},
          {"log", log_}};
}

}  // namespace mynasim
