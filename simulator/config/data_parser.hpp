// Parses the test-data sections of a world (items, services, connections, personas,
// portal, errors) once the systems are known.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/world.hpp"

namespace mynasim {

class yaml_value;
using section_map = std::map<std::string, std::vector<yaml_value>>;

void parse_world_data(const section_map& sections, world_config& world);

}  // namespace mynasim
