// SPDX-License-Identifier: Apache-2.0
// The browser-facing routes of Myna Portal on the `app` listener: IF001-01 authorize and
// the consent, card and link screens.
#pragma once

#include "core/router.hpp"
#include "data/world_data.hpp"
#include "portal/authorization.hpp"

namespace mynasim {

namespace paths {
inline constexpr const char* authorize = "/online-authorization-web/oauth/authorize";
inline constexpr const char* consent = "/online-authorization-web/consent";
inline constexpr const char* auth = "/online-authorization-web/auth";
inline constexpr const char* link = "/online-authorization-web/link";
inline constexpr const char* terms = "/online-authorization-web/terms";
// The screens' static files (portal.css): served, never journaled while they are found.
inline constexpr const char* page_assets = "/online-authorization-web/assets/";
inline constexpr const char* token = "/online-authorization-web/oauth/token";
inline constexpr const char* request = "/online-resource-web/request";
inline constexpr const char* result = "/online-resource-web/result";
// The official stub (WireMock) serves these at the root.
inline constexpr const char* stub_token = "/oauth/token";
inline constexpr const char* stub_request = "/request";
inline constexpr const char* stub_result = "/result";
}  // namespace paths

void register_web_routes(router& r, const data_source& source, authorization& auth);

}  // namespace mynasim
