// SPDX-License-Identifier: Apache-2.0
// The server-to-server routes of Myna Portal on the `sp` listener: IF001-03 token,
// IF001-04 request, IF001-06 result, and the official stub's root aliases.
#pragma once

#include "core/router.hpp"
#include "portal/authorization.hpp"
#include "portal/processor.hpp"

namespace mynasim {

struct api_context {
  const data_source* data;
  authorization* auth;
  processor* processes;
  bool mutual_tls = false;
};

void register_api_routes(router& r, api_context ctx);

}  // namespace mynasim
