// SPDX-License-Identifier: Apache-2.0
// A virtual clock as libfaketime reads it from FAKETIME_TIMESTAMP_FILE (with
// FAKETIME_NO_CACHE=1), so that an app under test lives in the world's virtual now.
#pragma once

#include <string>

#include "clock/virtual_clock.hpp"

namespace mynasim {

struct faketime_spec {
  std::string line;       // what the file holds (with its newline)
  double offset = 0.0;    // seconds from the wall clock, for a running clock
  bool absolute = false;  // a frozen clock: an absolute JST time
};

// A frozen clock is an absolute time ("YYYY-MM-DD hh:mm:ss", JST: libfaketime reads it in the
// app's own zone, so the app runs with TZ=Asia/Tokyo); a running one an offset from the wall
// clock in seconds ("+12345.678"). libfaketime's speed factor counts from each process's own
// start, which mynasim cannot know: a clock running at another speed is written as its offset
// again whenever it has drifted (faketime_due).
faketime_spec faketime_of(const clock_state& s, instant wall);

// Whether `now` differs from what was last written enough to write it again: another kind, an
// absolute time of another second, or an offset 50 ms or more away.
bool faketime_due(const faketime_spec& written, const faketime_spec& now);

}  // namespace mynasim
