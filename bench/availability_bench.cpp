// SPDX-License-Identifier: Apache-2.0
// Availability queries per second over the default world, against a baseline loop that
// only reads the instant, in one run; and the cost of a one-year timeline per system.
#include <chrono>
#include <cstdio>
#include <vector>

#include "calendar/availability.hpp"

using namespace std::chrono;
using namespace mynasim;

namespace {

volatile std::uint64_t sink = 0;

template <class F>
double per_second(F&& f, long n) {
  auto t0 = steady_clock::now();
  for (long i = 0; i < n; ++i) f(i);
  return n / duration<double>(steady_clock::now() - t0).count();
}

}  // namespace

int main() {
  auto world = load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  auto t_cal = steady_clock::now();
  holiday_calendar holidays(world.holidays);
  double cal_ms = duration<double, std::milli>(steady_clock::now() - t_cal).count();
  availability_service service(world, holidays);
  const instant start = *parse_instant("2026-01-01T00:00:00+09:00");
  const long n = 4'000'000;
  // Instants spread over a year, 7 minutes and 13 seconds apart.
  auto when = [&](long i) { return start + milliseconds((i % 70000) * 433'000L); };

  std::printf("availability_bench: default world, %zu systems, one core\n", world.systems.size());
  std::printf("holiday table 1955-2100 built in %.2f ms\n\n", cal_ms);
  std::printf("%-48s %14s\n", "operation", "per second");
  double base =
      per_second([&](long i) { sink = sink + static_cast<std::uint64_t>(when(i).time_since_epoch().count()); }, n);
  std::printf("%-48s %14.0f\n", "baseline: compute the instant only", base);
  for (const char* id : {"portal", "juki", "japan-pension", "family-register", "medical-insurers"}) {
    double qps = per_second([&](long i) { sink = sink + service.status(id, when(i)).up; }, n);
    std::printf("status(%s)%*s %14.0f\n", id, static_cast<int>(40 - std::string(id).size()), "", qps);
  }
  double with_next =
      per_second([&](long i) { sink = sink + service.query("japan-pension", when(i)).status.up; }, n / 20);
  std::printf("%-48s %14.0f\n", "query(japan-pension) with next_change", with_next);
  double all = per_second([&](long i) { sink = sink + service.query_all(when(i)).size(); }, n / 200);
  std::printf("%-48s %14.0f\n", "query_all (15 systems, with next_change)", all);

  std::printf("\n%-48s %14s\n", "timeline for one year", "ms each");
  for (const char* id : {"juki", "japan-pension", "family-register", "medical-insurers-online"}) {
    auto t0 = steady_clock::now();
    std::size_t segments = 0;
    const int reps = 20;
    for (int r = 0; r < reps; ++r) segments = service.timeline(id, start, start + days(365)).size();
    double ms = duration<double, std::milli>(steady_clock::now() - t0).count() / reps;
    std::printf("%-32s (%5zu windows) %14.3f\n", id, segments, ms);
  }
  return 0;
}
