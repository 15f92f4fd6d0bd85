#include "core/json_util.hpp"

namespace mynasim {

std::optional<nlohmann::json> parse_json_object(const std::string& body, std::string& error) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    error = "the body is not valid JSON";
    return std::nullopt;
  }
  if (!j.is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  return j;
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

http_response json_response(int status, const nlohmann::json& j) { return http_response::json(status, dump_json(j)); }

}  // namespace mynasim
