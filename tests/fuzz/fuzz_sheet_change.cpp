// SPDX-License-Identifier: Apache-2.0
// A sheet entry as the admin API receives it (PUT / PATCH on services, connections,
// personas), applied to the default world exactly as a running server would, then recorded
// twice (the second folds into the first: merge patches composed).
#include <string>
#include <vector>

#include "config/sheet_changes.hpp"
#include "config/yaml_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto world = mynasim::load_world(std::string(MYNASIM_SOURCE_DIR) + "/fixtures/world.yaml");
  if (size < 1) return 0;
  static const char* sections[] = {"services", "connections", "personas"};
  static const char* ids[] = {"SP00000086_AA0003", "SP00000086_AA0003", "taro"};
  static const char* fresh[] = {"SP00000999_ZZ0001", "SP00000300_DD0001", "newbie"};
  int which = data[0] % 3;
  bool patch = (data[0] / 3) % 2 == 1;
  bool existing = (data[0] / 6) % 2 == 1;
  mynasim::sheet_change c;
  c.what = patch ? mynasim::sheet_change::op::patch : mynasim::sheet_change::op::put;
  c.section = sections[which];
  c.id = patch || existing ? ids[which] : fresh[which];
  c.text.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  c.origin = "fuzz";
  auto copy = world.data;
  try {
    mynasim::apply_sheet_changes(world, copy, {c});
    std::vector<mynasim::sheet_change> list;
    mynasim::record_sheet_change(list, c, world.data, copy, {});
    mynasim::record_sheet_change(list, c, world.data, copy, {});
  } catch (const mynasim::config_error&) {
  }
  return 0;
}
