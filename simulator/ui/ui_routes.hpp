// SPDX-License-Identifier: Apache-2.0
// The browser's pages: the landing page at the root of the `app` listener, the portal's style
// sheet, and the control room at /__admin/ui on the admin listener (behind the admin plane's
// access rule, like every /__admin path).
#pragma once

#include <functional>
#include <string>

#include "core/router.hpp"

namespace mynasim {

struct world_runtime;
class card_registry;

struct landing_context {
  world_runtime* runtime;
  card_registry* cards;
  // The control room's URL as a browser on `host` (the request's Host header) reaches it; "" if none.
  std::function<std::string(const std::string& host)> control_room_url;
  std::function<std::string()> sp_port;  // the sp listener's port, for the sample callback page's token call
  std::string prefix;                    // the world's path prefix ("" for the default world)
};

void register_landing_routes(router& app, const landing_context& ctx);
void register_control_room_routes(router& admin);

}  // namespace mynasim
