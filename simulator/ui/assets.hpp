// SPDX-License-Identifier: Apache-2.0
// The control room's and the portal's static files (HTML, CSS, JavaScript), compiled into the
// binary from simulator/ui/assets by cmake/embed_assets.cmake.
#pragma once

#include <string_view>

namespace mynasim {

struct embedded_asset {
  std::string_view name;  // file name, e.g. "control-room.js"
  const char* data;
  std::size_t size;
  std::string_view text() const { return {data, size}; }
};

// nullptr when no asset has that name.
const embedded_asset* find_asset(std::string_view name);

}  // namespace mynasim
