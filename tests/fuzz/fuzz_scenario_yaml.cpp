// SPDX-License-Identifier: Apache-2.0
// Scenario YAML as the admin API and --scenario load it, against the default world.
#include <string>

#include "config/yaml_reader.hpp"
#include "faults/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto world = mynasim::load_world(std::string(MYNASIM_SOURCE_DIR) + "/fixtures/world.yaml");
  try {
    auto s =
        mynasim::load_scenario_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz", world, world.data);
    (void)s;
  } catch (const mynasim::config_error&) {
  }
  return 0;
}
