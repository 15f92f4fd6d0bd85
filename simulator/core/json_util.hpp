// SPDX-License-Identifier: Apache-2.0
// JSON helpers for handlers: the one guarded parser every JSON entry point goes through
// (bounded size and nesting, never throws) and safe dumping (invalid UTF-8 never throws).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/http.hpp"

namespace mynasim {

struct json_limits {
  std::size_t max_bytes = std::size_t{8} * 1024 * 1024;
  int max_depth = 64;  // nesting of arrays and objects; nlohmann's parser recurses per level
};

// Whether `text` is within the size and nesting bounds (counted before parsing); if not, why.
// Every parser of JSON text checks this first, so all of them accept and refuse the same texts.
bool json_within_limits(std::string_view text, const json_limits& limits, std::string& error);
// The same for a reader that bounds the nesting itself as it parses: the size, and the nesting
// counted over the whole text only when it holds a NUL byte (where the parser stops reading),
// so that such a reader accepts exactly the texts parse_json accepts without scanning twice.
bool json_stream_within_limits(std::string_view text, const json_limits& limits, std::string& error);
// Parses any JSON value; on failure returns nullopt and a message for the client.
std::optional<nlohmann::json> parse_json(std::string_view text, std::string& error, const json_limits& limits = {});
// The same, but the value must be an object.
std::optional<nlohmann::json> parse_json_object(std::string_view text, std::string& error,
                                                const json_limits& limits = {});
// The request's body as a JSON object, parsed on the first call and kept in the request, so
// that the facts read before routing and the handler share one parse; null and `error` when
// the body is not a JSON object within `limits`.
const nlohmann::json* request_json_object(http_request& req, std::string& error, const json_limits& limits = {});
// A string member of an object, or `fallback` when absent or of another type.
std::string string_member(const nlohmann::json& object, const char* key, std::string fallback = "");
std::string dump_json(const nlohmann::json& j, int indent = -1);
// Appends `s` as a JSON string literal, byte for byte what the library's writer writes for it
// (ill-formed UTF-8 replaced), without building a json value.
void append_json_string(std::string& out, std::string_view s);
// Appends `j` byte for byte as the library's writer writes it (members in their order, no
// spaces), strings and integers by the escaper above. dump_json without indent is this.
void append_json(std::string& out, const nlohmann::json& j);
http_response json_response(int status, const nlohmann::json& j);

}  // namespace mynasim
