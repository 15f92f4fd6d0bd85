// SPDX-License-Identifier: Apache-2.0
// JSON and text renderings of availability answers, shared by /__admin and the CLI.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "calendar/availability.hpp"

namespace mynasim {

nlohmann::json availability_json(const availability_service& service, instant at);
nlohmann::json timeline_json(const availability_service& service, const system_config& system, instant from,
                             instant until);
std::string availability_text(const availability_service& service, instant at);
std::string timeline_text(const availability_service& service, const system_config& system, instant from,
                          instant until);
// {"code": ..., "detail": ..., "message": ...}
nlohmann::json reason_json(const system_availability& a);

}  // namespace mynasim
