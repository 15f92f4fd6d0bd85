// SPDX-License-Identifier: Apache-2.0
// IF001-04 inquiryCondition (Date=, Range=, Latest), the inquiry the network forwards, and the
// query a 中間サーバ reads as a stream — checked against the document-based reading it replaced.
#include <cstdlib>
#include <string>

#include "core/json_util.hpp"
#include "intermediate/query.hpp"

namespace {

// The query read as a document, as the 中間サーバ did before it streamed.
std::optional<mynasim::query_request> reference(const std::string& text) {
  std::string error;
  auto body = mynasim::parse_json_object(text, error);
  if (!body) return std::nullopt;
  auto q = body->contains("inquiry") ? mynasim::inquiry_from_json((*body)["inquiry"]) : std::nullopt;
  if (!q || !body->contains("person_id") || !(*body)["person_id"].is_string() || !body->contains("items") ||
      !(*body)["items"].is_array())
    return std::nullopt;
  mynasim::query_request out{(*body)["person_id"].get<std::string>(), {}, *q};
  for (const auto& code : (*body)["items"])
    if (code.is_string()) out.items.push_back(code.get<std::string>());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  static const mynasim::portal_settings settings{};
  if (auto q = mynasim::parse_inquiry(text, settings)) (void)mynasim::inquiry_json(*q);
  std::string error;
  if (auto j = mynasim::parse_json(text, error, {4096, 16})) (void)mynasim::inquiry_from_json(*j);
  auto streamed = mynasim::read_query_request(text, error);
  auto expected = reference(text);
  if (streamed.has_value() != expected.has_value()) std::abort();
  if (streamed && (streamed->person_id != expected->person_id || streamed->items != expected->items ||
                   streamed->query.method != expected->query.method || streamed->query.date != expected->query.date ||
                   streamed->query.from != expected->query.from || streamed->query.to != expected->query.to))
    std::abort();
  return 0;
}
