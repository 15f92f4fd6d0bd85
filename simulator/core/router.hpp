// SPDX-License-Identifier: Apache-2.0
// Method + path pattern → handler. Patterns are literal segments, `{name}` segments bound
// into request.params, and an optional trailing `*` for "anything below".
#pragma once

#include <string>
#include <vector>

#include "core/http.hpp"

namespace mynasim {

class router {
 public:
  void add(std::string method, std::string pattern, handler_fn handler);
  void add_sync(std::string method, std::string pattern, sync_handler_fn handler);

  // Dispatches, answering 404 or 405 (with Allow) when nothing matches.
  void dispatch(http_request& request, respond_fn respond) const;
  bool matches_path(const std::string& path) const;
  // The pattern a request would be routed to ("" when none): for a response a fault made
  // before routing, so that it is counted under its endpoint.
  std::string route_of(const std::string& method, const std::string& path) const;
  // (method, pattern) of every route, in the order added.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;
    bool wildcard = false;
    handler_fn handler;
    std::string pattern;  // as registered, e.g. /__admin/faults/{id}
  };
  static bool match(const route& r, const std::vector<std::string_view>& parts, http_request* request);

  std::vector<route> routes_;
};

// {"error": code, "error_description": message} — the simulator's generic error body.
http_response json_error(int status, std::string_view code, std::string_view message);

}  // namespace mynasim
