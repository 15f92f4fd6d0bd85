// SPDX-License-Identifier: Apache-2.0
// Selecting a persona's records for one item by 照会方法 (table 2.6-1): 時点指定 (Date),
// 範囲指定 (Range) and 最新情報指定 (Latest). Pure logic; dates are YYYYMMDD strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/world_data.hpp"

namespace mynasim {

struct inquiry {
  query_method method = query_method::date;
  std::string date;      // Date=YYYYMMDD
  std::string from, to;  // Range=YYYYMMDD-YYYYMMDD
};

// Parses an inquiryCondition ("Date=20260101", "Range=20250101-20251231", "Latest").
std::optional<inquiry> parse_inquiry(const std::string& condition, const portal_settings& settings);
nlohmann::json inquiry_json(const inquiry& q);
std::optional<inquiry> inquiry_from_json(const nlohmann::json& j);

// What the 情報提供NWS asks a 中間サーバ: {"person_id", "items": [codes], "inquiry": {...}}.
struct query_request {
  std::string person_id;
  std::vector<std::string> items;  // the strings among them, in order
  inquiry query;
};
// Read as a stream (no document is built), with the bounds of every JSON parser. nullopt and
// `error` when the text is not such an object: JSON's error, or which member is missing or
// of the wrong type. A repeated key counts the last time, as in a document.
std::optional<query_request> read_query_request(std::string_view text, std::string& error);

// Records of `item` matching `q` (pointers into `records`); `today` (YYYYMMDD on the virtual
// clock) bounds Latest.
std::vector<const nlohmann::json*> select_records(const item_definition& item,
                                                  const std::vector<nlohmann::json>& records, const inquiry& q,
                                                  const std::string& today);

// YYYYMMDD of an instant in JST.
std::string compact_date(instant t);

}  // namespace mynasim
