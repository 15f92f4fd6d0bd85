#include "core/json_util.hpp"

#include <algorithm>

namespace mynasim {
namespace {

// The deepest nesting of arrays and objects, counted without recursion; stops early once
// past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

bool json_within_limits(std::string_view text, const json_limits& limits, std::string& error) {
  if (text.size() > limits.max_bytes) {
    error = "the JSON body exceeds " + std::to_string(limits.max_bytes) + " bytes";
    return false;
  }
  if (nesting_depth(text, limits.max_depth) > limits.max_depth) {
    error = "the JSON body nests deeper than " + std::to_string(limits.max_depth) + " levels";
    return false;
  }
  return true;
}

std::optional<nlohmann::json> parse_json(std::string_view text, std::string& error, const json_limits& limits) {
  if (!json_within_limits(text, limits, error)) return std::nullopt;
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    error = "the body is not valid JSON";
    return std::nullopt;
  }
  return j;
}

std::optional<nlohmann::json> parse_json_object(std::string_view text, std::string& error, const json_limits& limits) {
  auto j = parse_json(text, error, limits);
  if (j && !j->is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  return j;
}

const nlohmann::json* request_json_object(http_request& req, std::string& error, const json_limits& limits) {
  if (req.json_body) return req.json_body.get();
  auto j = parse_json_object(req.body, error, limits);
  if (!j) return nullptr;
  req.json_body = std::make_shared<const nlohmann::json>(std::move(*j));
  return req.json_body.get();
}

std::string string_member(const nlohmann::json& object, const char* key, std::string fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_json_string(std::string& out, std::string_view s) {
  bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out += dump_json(nlohmann::json(std::string(s)));
}

void append_json(std::string& out, const nlohmann::json& j) {
  // What basic_json::dump does, writing into `out` instead of a new string.
  nlohmann::detail::serializer<nlohmann::json> writer(nlohmann::detail::output_adapter<char, std::string>(out), ' ',
                                                      nlohmann::json::error_handler_t::replace);
  writer.dump(j, false, false, 0);
}

http_response json_response(int status, const nlohmann::json& j) { return http_response::json(status, dump_json(j)); }

}  // namespace mynasim
