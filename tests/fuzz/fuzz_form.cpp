// SPDX-License-Identifier: Apache-2.0
// Form bodies and query strings, percent-decoding and request paths.
#include <string_view>

#include "core/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> form;
  (void)mynasim::parse_form(text, form);
  std::string decoded;
  (void)mynasim::percent_decode(text, decoded, true);
  if (auto path = mynasim::canonical_path(text)) {
    // A canonical path never holds a dot segment or an empty segment.
    if (path->find("//") != std::string::npos || path->find("/../") != std::string::npos) __builtin_trap();
  }
  (void)mynasim::percent_encode(text);
  return 0;
}
