// SPDX-License-Identifier: Apache-2.0
// Routes of the simulated back-end systems on the `systems` listener, one path prefix per
// system: /systems/<id>/…  Only the systems this process runs are registered.
#pragma once

#include <string>
#include <vector>

#include "core/router.hpp"
#include "world/runtime.hpp"

namespace mynasim {

void register_system_routes(router& r, world_runtime& rt, const std::vector<const system_config*>& running);

}  // namespace mynasim
