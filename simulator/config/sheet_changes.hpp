// SPDX-License-Identifier: Apache-2.0
// Changes to the sheets made while serving — through the admin API or `serve --api-user` —
// kept as a list and replayed onto the files' world at start and on every reload, so that a
// reload keeps them. Each entry is validated by the same parser as the YAML files, with the
// same errors.
#pragma once

#include <optional>
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
  // A persona change that took or freed a card serial (serials are unique across personas), as
  // record_sheet_change found it; true when not known. Not sent to followers.
  bool moves_card = true;
};

// Applies `changes` in order to `data`; throws config_error ("origin:line:col: path: message").
void apply_sheet_changes(const world_config& world, world_data& data, const std::vector<sheet_change>& changes);

// A change that no longer applies when replayed over the files (its entry is gone, or the
// files now contradict it), with the error it met.
struct dropped_change {
  sheet_change change;
  std::string message;
};
// Applies `changes` in order like apply_sheet_changes, but a change that fails is taken out of
// `changes` and reported instead of failing them all: a stale change never blocks a reload.
std::vector<dropped_change> replay_sheet_changes(const world_config& world, world_data& data,
                                                 std::vector<sheet_change>& changes);

enum class record_result { recorded, too_many, too_large, list_full };

// Records `change`, which took the world from `before` to `after` (every change so far applied,
// then this one). Earlier changes to the same entry are folded into it where the result stays
// the same when replayed over any version of the files: a put or remove replaces them, a patch
// merges into the last one (a put becomes the entry as it is now; patches compose, RFC 7386).
// Where a change recorded since could depend on the entry (a service naming a persona in
// `ci:`, two personas' card serials), the change is appended instead. Refused, leaving `list`
// unchanged: `too_large` — the change alone is over limits.max_change_bytes; `too_many` /
// `list_full` — the list would pass limits.max_changes / limits.max_bytes.
record_result record_sheet_change(std::vector<sheet_change>& list, sheet_change change, const world_data& before,
                                  const world_data& after, const change_limits& limits);

// An upper bound of a change's size in GET /__admin/changes?full=1 (what a follower reads):
// the budget of change_limits is counted in these bytes.
std::size_t change_wire_bytes(const sheet_change& c);
std::size_t change_list_bytes(const std::vector<sheet_change>& list);

// One merge patch with the effect of `first` then `second` on any target (RFC 7386); nullopt
// where no single patch has it (an object merged into a key `first` set to a non-object).
std::optional<nlohmann::json> compose_merge_patches(const nlohmann::json& first, const nlohmann::json& second);

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
