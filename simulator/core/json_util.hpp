// JSON helpers for handlers: safe parsing and safe dumping (invalid UTF-8 never throws).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/http.hpp"

namespace mynasim {

// Parses a JSON object; on failure returns nullopt and a message for the client.
std::optional<nlohmann::json> parse_json_object(const std::string& body, std::string& error);
std::string dump_json(const nlohmann::json& j, int indent = -1);
http_response json_response(int status, const nlohmann::json& j);

}  // namespace mynasim
