// SPDX-License-Identifier: Apache-2.0
// The check every simulated back-end system makes on each request: is it serving now on the
// virtual clock? If not, a 503 naming the system, the reason and when it reopens.
#pragma once

#include <optional>

#include "core/http.hpp"
#include "world/runtime.hpp"

namespace mynasim {

std::optional<http_response> closed_response(const world_runtime& rt, const system_config& system);

}  // namespace mynasim
