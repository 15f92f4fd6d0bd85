// SPDX-License-Identifier: Apache-2.0
// Changes to the sheets made while serving — through the admin API or `serve --api-user` —
// kept as a list and replayed onto the files' world at start and on every reload, so that a
// reload keeps them. Each entry is validated by the same parser as the YAML files, with the
// same errors.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/world.hpp"

namespace mynasim {

struct sheet_change {
  enum class op { put, patch, remove, api_user };
  op what = op::put;
  std::string section;  // services | connections | personas (api_user: services)
  std::string id;       // client_id or persona id; api_user: one client_id, or empty for every service
  // put: the entry as YAML or JSON; patch: a JSON merge patch (RFC 7386) of the entry's JSON;
  // api_user: the API user's base URL.
  std::string text;
  std::string origin;  // names the change in errors, e.g. "PUT /__admin/services/SP00000086_AA0003"
};

// The most changes kept (after a later change to the same entry replaces earlier ones).
inline constexpr std::size_t max_sheet_changes = 10000;

// Applies `changes` in order to `data`; throws config_error ("origin:line:col: path: message").
void apply_sheet_changes(const world_config& world, world_data& data, const std::vector<sheet_change>& changes);

// Appends `change`, dropping the earlier changes to the same entry that it makes moot (a
// put or remove supersedes them; a patch does not). False when the list is full.
bool record_sheet_change(std::vector<sheet_change>& list, sheet_change change);

// `[CLIENT_ID=]URL` of --api-user / MYNASIM_API_USER; nullopt and `error` when malformed.
std::optional<sheet_change> parse_api_user(const std::string& spec, std::string& error);

const char* to_string(sheet_change::op o);
// One entry of GET /__admin/changes?full=1 (what a split world's follower reads from the
// owner); nullopt when malformed.
std::optional<sheet_change> sheet_change_from_json(const nlohmann::json& j);

// Entries as JSON with the YAML files' keys: what /__admin shows and what a patch merges into.
nlohmann::json service_json(const service_config& s);
nlohmann::json connection_json(const connection_config& c);
nlohmann::json persona_json(const persona& p);
// A service as the admin API shows it: its entry, its connection (or null), where each was defined.
nlohmann::json service_view(const world_data& d, const service_config& s);

}  // namespace mynasim
