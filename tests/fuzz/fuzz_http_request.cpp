// SPDX-License-Identifier: Apache-2.0
// Requests as the server reads them: the bounded parser fed in pieces, then the target's
// path and query as the router sees them.
#include <string_view>

#include "net/message_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t piece = 1 + data[0] % 64;  // how the bytes arrive: 1..64 at a time
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  mynasim::message_limits limits{2048, 8192, 32};
  mynasim::plain_parser<true> parser(limits);
  auto ec = mynasim::feed_parser(parser, bytes, piece, limits.buffer_bytes());
  if (!ec && parser.is_done()) {
    auto q = parser.target.find('?');
    (void)mynasim::canonical_path(std::string_view(parser.target).substr(0, q));
    std::vector<std::pair<std::string, std::string>> form;
    if (q != std::string::npos) (void)mynasim::parse_form(std::string_view(parser.target).substr(q + 1), form);
    if (parser.body.size() > limits.body_bytes) __builtin_trap();
  }
  return 0;
}
