// SPDX-License-Identifier: Apache-2.0
// HTML of Myna Portal's screens (guideline figures 2.3-3 … 2.3-5). Every control carries
// a stable data-testid for browser tests.
#pragma once

#include <string>

#include "core/http.hpp"
#include "data/world_data.hpp"

namespace mynasim {

std::string html_escape(const std::string& s);

// The Content-Security-Policy every page of ours carries: our own scripts and styles only.
inline constexpr const char* page_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
// Adds the CSP and the headers that keep a page from being framed or sniffed.
void add_page_headers(http_response& res);
std::string consent_page(const world_data& data, const service_config& service, const std::string& session_id,
                         const std::string& message);
// `chosen_serial`: the card picked before (kept after a wrong PIN).
std::string auth_page(const world_data& data, const std::string& session_id, const std::string& message,
                      const std::string& chosen_serial = "");
std::string link_page(const service_config& service, const std::string& session_id);
std::string error_page(const error_entry& error, const std::string& detail);
// A card that cannot be used (locked, certificate expired or revoked): the reason, and a
// button that takes the person back to the service with the error redirect.
std::string card_failure_page(const error_entry& error, const std::string& back_to_service);
std::string terms_page();

}  // namespace mynasim
