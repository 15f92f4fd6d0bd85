// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics of one process (prometheus-cpp): counters and histograms updated as
// things happen, gauges read at scrape time. The prometheus headers stay in metrics.cpp.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace mynasim {

// What is read, not counted: filled by the app when /metrics is scraped.
struct metrics_snapshot {
  std::map<std::string, bool> system_up;  // by system id, at the virtual now
  std::size_t processes_pending = 0, processes_ready = 0, processes_expired = 0;
  std::size_t journal_entries = 0, journal_bytes = 0;
  std::uint64_t journal_dropped = 0, log_lines_dropped = 0;
  std::size_t open_connections = 0;
};

class metrics {
 public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // endpoint: the matched route pattern (bounded), "unmatched" otherwise.
  void request(const std::string& system, const std::string& endpoint, int status, const std::string& error_code,
               double seconds);
  void fault_fired(const std::string& kind, const std::string& target);
  void notification(const std::string& outcome, int attempt);
  void scenario_step();
  void clock_change(const std::string& how);
  // The text exposition format (version 0.0.4).
  std::string scrape(const metrics_snapshot& s);

  // Label sets per family beyond which new ones are counted under "other".
  static constexpr std::size_t max_series = 2000;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Resident memory (bytes) and open file descriptors of this process, from /proc/self.
std::size_t resident_bytes();
std::size_t open_fds();

}  // namespace mynasim
