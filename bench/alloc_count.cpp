// SPDX-License-Identifier: Apache-2.0
// Counts heap allocations per thread in the program it is linked into, so a benchmark can print
// how many allocations (and bytes) the server's threads made per flow: a number that, unlike
// flows/s or CPU time, does not drift with what else the machine is doing.
//
// malloc, calloc and realloc of the executable take precedence over glibc's for every library
// in the process (operator new, OpenSSL, libyaml all end in malloc); they count and hand over
// to glibc's own entry points. free, memalign and friends are glibc's untouched, so every
// block still comes from and goes back to the same allocator.
#include "alloc_count.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>

#include <unistd.h>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
}

namespace {

constexpr int max_threads = 1024;  // threads beyond this are not counted

struct slot {
  std::atomic<long> tid{0};
  std::atomic<std::uint64_t> allocations{0}, bytes{0};
};

slot slots[max_threads];
std::atomic<int> slots_used{0};
thread_local slot* mine = nullptr;
thread_local bool full = false;

void count(std::size_t n) {
  if (!mine) {
    if (full) return;
    int i = slots_used.fetch_add(1, std::memory_order_relaxed);
    if (i >= max_threads) {
      full = true;
      return;
    }
    mine = &slots[i];
    mine->tid.store(static_cast<long>(::gettid()), std::memory_order_release);
  }
  // Only this thread writes its slot: no read-modify-write needed.
  mine->allocations.store(mine->allocations.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  mine->bytes.store(mine->bytes.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

extern "C" void* malloc(std::size_t n) {
  count(n);
  return __libc_malloc(n);
}

extern "C" void* calloc(std::size_t n, std::size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}

extern "C" void* realloc(void* p, std::size_t n) {
  count(n);
  return __libc_realloc(p, n);
}

namespace mynasim::bench {

alloc_totals allocations_of(const std::vector<long>& tids) {
  alloc_totals out;
  int n = std::min(slots_used.load(std::memory_order_relaxed), max_threads);
  for (int i = 0; i < n; ++i) {
    long tid = slots[i].tid.load(std::memory_order_acquire);
    for (long t : tids)
      if (t == tid) {
        out.allocations += slots[i].allocations.load(std::memory_order_relaxed);
        out.bytes += slots[i].bytes.load(std::memory_order_relaxed);
      }
  }
  return out;
}

}  // namespace mynasim::bench
