// SPDX-License-Identifier: Apache-2.0
#include "core/router.hpp"

#include <nlohmann/json.hpp>

namespace mynasim {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

}  // namespace

http_response json_error(int status, std::string_view code, std::string_view message) {
  nlohmann::json body{{"error", code}, {"error_description", message}};
  return http_response::json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void router::add(std::string method, std::string pattern, handler_fn handler) {
  route r{std::move(method), {}, false, std::move(handler), std::move(pattern)};
  for (auto part : split_path(r.pattern)) {
    if (part == "*")
      r.wildcard = true;
    else
      r.segments.emplace_back(part);
  }
  routes_.push_back(std::move(r));
}

void router::add_sync(std::string method, std::string pattern, sync_handler_fn handler) {
  add(std::move(method), std::move(pattern),
      [h = std::move(handler)](http_request& req, const respond_fn& respond) { respond(h(req)); });
}

bool router::match(const route& r, const std::vector<std::string_view>& parts, http_request* request) {
  if (parts.size() < r.segments.size() || (!r.wildcard && parts.size() != r.segments.size())) return false;
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& seg = r.segments[i];
    bool param = seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
    if (!param && seg != parts[i]) return false;
  }
  if (request)
    for (std::size_t i = 0; i < r.segments.size(); ++i) {
      const auto& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{') request->params[seg.substr(1, seg.size() - 2)] = std::string(parts[i]);
    }
  return true;
}

bool router::matches_path(const std::string& path) const {
  auto parts = split_path(path);
  for (const auto& r : routes_)
    if (match(r, parts, nullptr)) return true;
  return false;
}

std::vector<std::pair<std::string, std::string>> router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

std::string router::route_of(const std::string& method, const std::string& path) const {
  auto parts = split_path(path);
  for (const auto& r : routes_)
    if ((r.method == method || (method == "HEAD" && r.method == "GET")) && match(r, parts, nullptr)) return r.pattern;
  return "";
}

void router::dispatch(http_request& request, respond_fn respond) const {
  auto parts = split_path(request.path);
  std::string allow;
  for (const auto& r : routes_) {
    if (!match(r, parts, nullptr)) continue;
    if (r.method == request.method || (request.method == "HEAD" && r.method == "GET")) {
      match(r, parts, &request);
      request.route = r.pattern;
      r.handler(request, std::move(respond));
      return;
    }
    if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
  }
  if (!allow.empty()) {
    auto res = json_error(405, "method_not_allowed", "method " + request.method + " is not allowed here");
    res.set("allow", allow);
    respond(std::move(res));
    return;
  }
  respond(json_error(404, "not_found", "no route for " + request.path));
}

}  // namespace mynasim
