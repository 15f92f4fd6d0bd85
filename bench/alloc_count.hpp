// SPDX-License-Identifier: Apache-2.0
// Heap allocations per thread, counted by the program's own malloc (alloc_count.cpp).
#pragma once

#include <cstdint>
#include <vector>

namespace mynasim::bench {

struct alloc_totals {
  std::uint64_t allocations = 0, bytes = 0;
};

// What the threads with these kernel thread ids have allocated since they started.
alloc_totals allocations_of(const std::vector<long>& tids);

}  // namespace mynasim::bench
