// SPDX-License-Identifier: Apache-2.0
// The 情報提供ネットワークシステム's provision answer,
//   {"holders": [{"system", "name", "status", "results": [{"body", "name", "records": [...]}, ...]}, ...], ...}
// read as a stream of parse events: each holder's members are kept as values, except its
// results, whose records go straight into selfPersonalData's text grouped by 提供機関 and
// 情報名 — never built into a document, never copied again.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_util.hpp"

namespace mynasim {

struct provision_answer {
  std::vector<nlohmann::json> holders;  // each holder's object without its "results"
  // 提供機関 → 情報名 → the records of holders whose status is "ok", each as JSON text, comma-separated
  std::map<std::string, std::map<std::string, std::string>> records;
  std::size_t record_count = 0;

  // selfPersonalData: [{提供機関: {情報名: [record, ...], ...}}, ...], as dump_json writes it.
  std::string personal_data_text() const;
};

// nullopt when `text` is not a provision result: not JSON within `limits`, not an object,
// holders not an array, a holder not an object, or a holder whose status is "ok" without
// results of the shape [{"records": [...]}, ...]. A repeated key counts once, the last time,
// as in a document.
std::optional<provision_answer> read_provision_answer(std::string_view text, const json_limits& limits = {});

}  // namespace mynasim
