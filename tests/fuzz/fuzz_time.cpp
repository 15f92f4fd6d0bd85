// SPDX-License-Identifier: Apache-2.0
// Instants, dates, durations and clock times: everything parsed must print and parse back.
#include <string_view>

#include "clock/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = mynasim::parse_instant(text)) {
    if (!mynasim::in_supported_range(*t)) __builtin_trap();
    auto again = mynasim::parse_instant(mynasim::format_instant(*t));
    if (!again || *again != *t) __builtin_trap();
  }
  if (auto d = mynasim::parse_date(text)) (void)mynasim::format_date(*d);
  if (auto m = mynasim::parse_duration(text)) {
    if (m->count() > 400LL * 366 * 86400 * 1000 || m->count() < -400LL * 366 * 86400 * 1000) __builtin_trap();
  }
  if (auto c = mynasim::parse_clock_time(text)) (void)mynasim::format_clock_time(*c);
  return 0;
}
