// SPDX-License-Identifier: Apache-2.0
// Business endpoints of the simulated back-end systems, each behind its availability gate:
//   POST /systems/juki/identify        住基ネット: the person behind a card
//   POST /systems/<intermediate>/query 中間サーバ: records for items by 照会方法
//   POST /systems/network/provision    情報提供NWS: identify via 住基ネット, fan out to holders
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/router.hpp"
#include "world/runtime.hpp"

namespace mynasim {

class http_client;

struct backend_context {
  world_runtime* runtime = nullptr;
  http_client* client = nullptr;
  std::function<std::string(const std::string& system_id)> url_of;  // base URL of a system
};

void register_backend_routes(router& r, const backend_context& ctx, const std::vector<const system_config*>& running);

}  // namespace mynasim
