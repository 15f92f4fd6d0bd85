// SPDX-License-Identifier: Apache-2.0
// Parses the test-data sections of a world (items, services, connections, personas,
// portal, errors) once the systems are known.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/world.hpp"

namespace mynasim {

class yaml_value;
class yaml_map;
using section_map = std::map<std::string, std::vector<yaml_value>>;

// A world section's mapping for its parser, its `override` flag taken as read (a section
// replacing an included one's: config/world.cpp's file_collector reads it).
yaml_map section_fields(const yaml_value& v);

void parse_world_data(const section_map& sections, world_config& world);

// One entry of a sheet, exactly as in the YAML files — the admin API validates with these.
// `replaces` receives the entry's `override: true` (a later file replacing an earlier entry).
service_config parse_service(const yaml_value& v, const world_data& d, bool* replaces = nullptr);
connection_config parse_connection(const yaml_value& v, const world_data& d, bool* replaces = nullptr);
persona parse_persona(const yaml_value& v, const world_data& d, bool* replaces = nullptr);
// A persona entry with `count: N`: N personas from one template ({n}, {n:06} in its strings).
std::vector<persona> generate_personas(const yaml_value& v, const world_data& d);

}  // namespace mynasim
