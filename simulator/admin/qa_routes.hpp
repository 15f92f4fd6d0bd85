// SPDX-License-Identifier: Apache-2.0
// /__admin routes for QA and CI: faults, scenarios, the request journal and reset.
#pragma once

#include <functional>

#include "core/router.hpp"
#include "faults/fault_registry.hpp"
#include "faults/scenario.hpp"
#include "world/journal.hpp"

namespace mynasim {

struct qa_context {
  world_runtime* runtime;
  fault_registry* faults;
  scenario_runner* scenarios;
  request_journal* journal;
  std::function<void()> reset;                                         // everything back to the startup state
  std::function<void(const std::string&, const nlohmann::json&)> log;  // lifecycle events
};

void register_qa_routes(router& r, const qa_context& ctx);

}  // namespace mynasim
