// SPDX-License-Identifier: Apache-2.0
// Fault definitions as POST /__admin/faults and the X-Mynasim-Fault header read them.
#include <string_view>

#include "core/json_util.hpp"
#include "faults/fault.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto j = mynasim::parse_json(text, error, {4096, 8});
  if (!j) return 0;
  auto now = *mynasim::parse_instant("2026-11-27T10:00:00+09:00");
  if (auto f = mynasim::parse_fault(*j, now, error)) (void)mynasim::fault_json(*f);
  return 0;
}
