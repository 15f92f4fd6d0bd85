// SPDX-License-Identifier: Apache-2.0
// /__admin routes over the portal's state: access records, processes, cards, reset.
#pragma once

#include <functional>

#include "core/router.hpp"
#include "portal/authorization.hpp"
#include "portal/processor.hpp"

namespace mynasim {

struct portal_admin_context {
  world_runtime* runtime;
  processor* processes;
  card_registry* cards;
  authorization* auth;
};

void register_portal_admin_routes(router& r, portal_admin_context ctx);

}  // namespace mynasim
