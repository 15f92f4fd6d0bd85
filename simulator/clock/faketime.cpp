// SPDX-License-Identifier: Apache-2.0
#include "clock/faketime.hpp"

#include <cmath>
#include <cstdio>

namespace mynasim {

faketime_spec faketime_of(const clock_state& s, instant wall) {
  faketime_spec f;
  if (s.frozen) {
    auto text = format_instant(std::chrono::floor<std::chrono::seconds>(s.now));  // 2026-12-29T10:00:00+09:00
    f.absolute = true;
    f.line = text.substr(0, 10) + " " + text.substr(11, 8) + "\n";
    return f;
  }
  f.offset = static_cast<double>((s.now - wall).count()) / 1000.0;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%+.3f\n", f.offset);
  f.line = buf;
  return f;
}

bool faketime_due(const faketime_spec& written, const faketime_spec& now) {
  if (written.line.empty() || written.absolute != now.absolute) return true;
  if (now.absolute) return written.line != now.line;
  return std::fabs(written.offset - now.offset) >= 0.05;
}

}  // namespace mynasim
