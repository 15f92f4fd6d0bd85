// SPDX-License-Identifier: Apache-2.0
// Responses as the HTTP client reads them from notification endpoints and peer systems.
#include <string_view>

#include "net/message_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t piece = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  mynasim::message_limits limits{2048, 8192, 32};
  mynasim::plain_parser<false> parser(limits);
  auto ec = mynasim::feed_parser(parser, bytes, piece, limits.buffer_bytes());
  if (!ec && parser.body.size() > limits.body_bytes) __builtin_trap();
  return 0;
}
