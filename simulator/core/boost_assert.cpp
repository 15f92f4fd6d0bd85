// SPDX-License-Identifier: Apache-2.0
// Boost's assertion handler (BOOST_ENABLE_ASSERT_DEBUG_HANDLER, set for every target): aborts on
// any failed assertion like the default, except one that Boost 1.81's Beast gets wrong.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  // basic_parser::parse_chunk_header asserts `n >= 5` when a final chunk "0\r\n" is followed
  // by a single byte in a later read — a valid partial message a slow client can send; the
  // code after the assertion handles it (Beast fixed the assertion upstream in 2024).
  if (std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "beast/http/impl/basic_parser.ipp")) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

}  // namespace boost
