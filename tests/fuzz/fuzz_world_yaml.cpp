// SPDX-License-Identifier: Apache-2.0
// A world file as `mynasim check` and `serve` load it: YAML budget, strict typed parsing.
#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "config/world.hpp"
#include "config/yaml_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/mynasim-fuzz-world-" + std::to_string(::getpid()) + ".yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    auto w = mynasim::load_world(path);
    (void)w;
  } catch (const mynasim::config_error&) {
  }
  try {
    auto v = mynasim::load_yaml_string(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)mynasim::yaml_to_json(v, true);
  } catch (const mynasim::config_error&) {
  }
  return 0;
}
