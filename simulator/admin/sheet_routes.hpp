// /__admin routes that change the sheets while serving: services, connections and personas
// (GET / PUT / PATCH / DELETE), POST /__admin/reload, GET /__admin/changes.
#pragma once

#include "app/world_editor.hpp"
#include "core/router.hpp"

namespace mynasim {

struct sheet_context {
  world_runtime* runtime;
  world_editor* editor;
};

void register_sheet_routes(router& r, sheet_context ctx);

}  // namespace mynasim
