// SPDX-License-Identifier: Apache-2.0
// Scenarios: YAML timelines on the virtual clock — set the clock, then at given instants
// add or remove faults (and expire a card's certificate). Loaded at startup or at runtime.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faults/fault_registry.hpp"
#include "portal/cards.hpp"
#include "world/runtime.hpp"

namespace mynasim {

struct scenario_step {
  instant at;
  std::string note;
  bool clear_faults = false;
  std::vector<std::string> remove_faults;
  std::vector<nlohmann::json> add_faults;
  std::vector<std::string> expire_certificates;  // persona ids
};

struct scenario {
  std::string name, description, source;
  std::optional<clock_settings> clock;
  std::vector<scenario_step> steps;  // in time order
};

// Reads and validates a scenario file (or text); throws config_error naming file:line:col.
inline constexpr std::size_t max_scenario_bytes = std::size_t{1024} * 1024;
scenario load_scenario_file(const std::string& path, const world_config& world, const world_data& data,
                            std::size_t max_bytes = max_scenario_bytes);
scenario load_scenario_text(const std::string& text, const std::string& name, const world_config& world,
                            const world_data& data);

class scenario_runner {
 public:
  scenario_runner(world_runtime& rt, fault_registry& faults, card_registry& cards)
      : rt_(&rt), faults_(&faults), cards_(&cards) {}

  // Replaces the current scenario: clears faults, sets the clock, applies due steps.
  // Returns the name of the scenario it replaced, if one was running.
  std::optional<std::string> start(scenario s);
  void stop();
  // Applies every step whose instant has passed on the virtual clock.
  void tick();
  nlohmann::json status() const;
  // Called (under the runner's lock) for every step applied: {scenario, step, at, note, log}.
  void on_step(std::function<void(const nlohmann::json&)> observer) { on_step_ = std::move(observer); }

 private:
  void apply_locked(const scenario_step& step);

  world_runtime* rt_;
  fault_registry* faults_;
  card_registry* cards_;
  mutable std::mutex mutex_;
  std::optional<scenario> current_;
  std::size_t next_step_ = 0;
  std::vector<std::string> log_;
  std::function<void(const nlohmann::json&)> on_step_;
};

}  // namespace mynasim
