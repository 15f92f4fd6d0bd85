// SPDX-License-Identifier: Apache-2.0
// The control plane under /__admin: health, the virtual clock, availability, config.
#pragma once

#include <functional>

#include <nlohmann/json_fwd.hpp>

#include "core/router.hpp"
#include "world/runtime.hpp"

namespace mynasim {

struct admin_context {
  world_runtime* runtime;
  std::function<nlohmann::json()> health;  // extra facts for /__admin/health
};

void register_admin_routes(router& r, const admin_context& ctx);

}  // namespace mynasim
