// HTML of Myna Portal's screens (guideline figures 2.3-3 … 2.3-5). Every control carries
// a stable data-testid for browser tests.
#pragma once

#include <string>

#include "data/world_data.hpp"

namespace mynasim {

std::string html_escape(const std::string& s);
std::string consent_page(const world_data& data, const service_config& service, const std::string& session_id,
                         const std::string& message);
std::string auth_page(const world_data& data, const std::string& session_id, const std::string& message);
std::string link_page(const service_config& service, const std::string& session_id);
std::string error_page(const error_entry& error, const std::string& detail);

}  // namespace mynasim
