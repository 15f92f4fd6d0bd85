// SPDX-License-Identifier: Apache-2.0
// What a split world's owner tells a follower per request — the fault decision and the
// virtual clock — on the wire and back. The readers treat the answer as hostile input.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "clock/virtual_clock.hpp"
#include "faults/fault_registry.hpp"

namespace mynasim {

nlohmann::json decision_json(const fault_decision& d);
std::optional<fault_decision> decision_from_json(const nlohmann::json& j);
nlohmann::json clock_state_json(const clock_state& s);
std::optional<clock_state> clock_state_from_json(const nlohmann::json& j);

}  // namespace mynasim
