// SPDX-License-Identifier: Apache-2.0
// /__admin routes that change the sheets while serving: services, connections and personas
// (GET / PUT / PATCH / DELETE), POST /__admin/reload, GET / DELETE /__admin/changes. A change or
// reload is worked out off the I/O thread (world_editor); its answer comes when it is in force.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/router.hpp"
#include "world/editor.hpp"

namespace mynasim {

struct sheet_context {
  world_runtime* runtime;
  world_editor* editor;
  std::function<void(const std::string& event, const nlohmann::json& detail)> log;  // reloads
};

void register_sheet_routes(router& r, sheet_context ctx);

}  // namespace mynasim
