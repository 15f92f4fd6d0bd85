// SPDX-License-Identifier: Apache-2.0
// The one guarded JSON parser behind every JSON entry point and peer answer, and the two
// readers that stream instead of building a document: whatever the input, each accepts exactly
// what the document-based reading accepts and gives the same values; and a string written
// straight from its bytes (append_json_string), or a document by append_json, is what the
// library writes for it.
//   copy_member (core/json_stream): one member copied as text;
//   read_provision_answer (portal/provision_answer): the 情報提供NWS's answer, checked here
//   against the document-based reading it replaced.
#include <cstdlib>
#include <map>
#include <string_view>

#include "core/json_stream.hpp"
#include "core/json_util.hpp"
#include "portal/provision_answer.hpp"

namespace {

using nlohmann::json;

void check(bool ok) {
  if (!ok) std::abort();
}

// The provision answer read as a document: holders without their results, the records of "ok"
// holders grouped by body and name, or nullopt when it is not a provision result.
struct reference_answer {
  std::vector<json> holders;
  json personal_data = json::array();
  std::size_t records = 0;
};
std::optional<reference_answer> reference(const json& body) {
  if (!body.is_object() || !body.contains("holders") || !body["holders"].is_array()) return std::nullopt;
  for (const auto& h : body["holders"]) {
    if (!h.is_object()) return std::nullopt;
    if (mynasim::string_member(h, "status") != "ok") continue;
    if (!h.contains("results") || !h["results"].is_array()) return std::nullopt;
    for (const auto& res : h["results"])
      if (!res.is_object() || !res.contains("records") || !res["records"].is_array()) return std::nullopt;
  }
  reference_answer out;
  std::map<std::string, json> by_body;
  for (const auto& h : body["holders"]) {
    auto fields = h;
    fields.erase("results");
    out.holders.push_back(fields);
    if (mynasim::string_member(h, "status") != "ok") continue;
    for (const auto& res : h["results"]) {
      auto& slot = by_body[mynasim::string_member(res, "body")][mynasim::string_member(res, "name")];
      if (!slot.is_array()) slot = json::array();
      for (const auto& record : res["records"]) {
        slot.push_back(record);
        ++out.records;
      }
    }
  }
  for (auto& [provider, info] : by_body) out.personal_data.push_back({{provider, info}});
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const mynasim::json_limits limits{64 * 1024, 64};
  std::string error;
  auto j = mynasim::parse_json(text, error, limits);
  std::string copied;
  auto copy = mynasim::copy_member(text, "results", copied, limits);
  auto answer = mynasim::read_provision_answer(text, limits);
  // A string written straight from its bytes is what the library writes for it.
  std::string direct;
  mynasim::append_json_string(direct, text);
  check(direct == json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace));
  if (!j) {
    check(copy == mynasim::member_copy::invalid && !answer);
    return 0;
  }
  if (!j->is_object()) {
    check(copy == mynasim::member_copy::not_object);
  } else if (!j->contains("results")) {
    check(copy == mynasim::member_copy::absent);
  } else {
    check(copy == mynasim::member_copy::copied);
    auto back = mynasim::parse_json(copied, error, limits);
    check(back && *back == (*j)["results"]);
  }
  auto expected = reference(*j);
  check(expected.has_value() == answer.has_value());
  if (answer) {
    check(answer->holders == expected->holders && answer->record_count == expected->records);
    auto personal_data = mynasim::parse_json(answer->personal_data_text(), error, limits);
    check(personal_data && *personal_data == expected->personal_data);
  }
  std::string written;
  mynasim::append_json(written, *j);
  check(written == j->dump(-1, ' ', false, json::error_handler_t::replace));
  (void)mynasim::string_member(*j, "commonHeader");
  if (j->is_object() && j->contains("commonHeader")) (void)mynasim::string_member((*j)["commonHeader"], "telegramId");
  return 0;
}
