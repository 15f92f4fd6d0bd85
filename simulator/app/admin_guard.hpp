// SPDX-License-Identifier: Apache-2.0
// Who may use the admin plane. Pure functions of a request: no state, no I/O.
//
// - The global admin token (Bearer, or Basic with the token as password for a browser) reaches
//   every path: the default world's /__admin/…, every world's /worlds/{id}/__admin/…, the
//   worlds' life cycle, /metrics.
// - A world token reaches only its own world's /worlds/{id}/__admin/…: anywhere else 403,
//   whether or not a global token is configured (presenting it says whose the caller is).
// - Without a global token, the loopback rule: requests whose Host names this machine — but a
//   world token no world holds is refused (401) even there.
// - Browsers: a request carrying an Origin must be same-origin (DNS rebinding, CSRF).
// The path is the canonical one the server checked (no dot segments, no encoded slashes), so
// there is one spelling of each scope to compare.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"

namespace mynasim {

// An IP literal of the loopback interface or `localhost` (any case); no DNS name otherwise.
bool is_loopback(std::string_view name);
// A Host header (uri-host [":" port]) whose name is_loopback.
bool is_loopback_host(std::string_view host);
bool constant_time_equal(std::string_view a, std::string_view b);

struct admin_tokens {
  std::string global;  // empty: none configured (the loopback rule)
  // The world a presented token is the world token of, if any.
  std::function<std::optional<std::string>(std::string_view token)> world_of;
};

// nullopt: the request may go on. `world_scope` names the world whose token was presented
// (empty for the global token or none).
std::optional<http_response> admin_refusal(const http_request& req, const admin_tokens& tokens,
                                           std::string& world_scope);

}  // namespace mynasim
