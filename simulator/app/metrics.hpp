// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics of one process (prometheus-cpp): counters and histograms updated as
// things happen, gauges read at scrape time. The prometheus headers stay in metrics.cpp.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/world.hpp"

namespace mynasim {

// What is read, not counted: filled by the app when /metrics is scraped.
struct metrics_snapshot {
  std::map<std::string, bool> system_up;  // by system id, at the virtual now
  std::size_t processes_pending = 0, processes_ready = 0, processes_expired = 0;
  std::size_t journal_entries = 0, journal_bytes = 0;
  std::uint64_t journal_dropped = 0, log_lines_dropped = 0;
  std::size_t open_connections = 0;
  std::size_t worlds = 0;  // named worlds now
};

// Label values are bounded in number and in size, whatever requests carry: a `system` label is
// the id of one of the world's configured systems or one of the fixed values (`portal`,
// `admin`, `api-user`, `systems`, `unknown`), any other name becomes `unknown`; `endpoint` is a
// route pattern; every value is at most max_label_bytes long.
class metrics {
 public:
  // `systems`: the world's configured systems, the ids a `system` label may name.
  explicit metrics(const std::vector<system_config>& systems = {});
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // endpoint: the matched route pattern (bounded), "unmatched" otherwise. world: a named
  // world's id ("default" when empty; as many values as worlds.max allows).
  void request(const std::string& system, const std::string& endpoint, int status, const std::string& error_code,
               double seconds, const std::string& world = {});
  void fault_fired(const std::string& kind, const std::string& target);
  void notification(const std::string& outcome, int attempt);
  void scenario_step();
  void clock_change(const std::string& how);
  // The text exposition format (version 0.0.4).
  std::string scrape(const metrics_snapshot& s);

  // Label sets per family beyond which new ones are counted under "other".
  static constexpr std::size_t max_series = 2000;
  // Bytes of one label value; a longer one is cut (at a character boundary).
  static constexpr std::size_t max_label_bytes = 64;
  // The `system` label of a request said to concern `system` (request_log::system_of).
  std::string_view system_label(std::string_view system) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::set<std::string, std::less<>> systems_;  // configured ids, fixed while serving
};

// `value` cut to at most `max_bytes` bytes without splitting a UTF-8 character.
std::string_view bounded_label(std::string_view value, std::size_t max_bytes = metrics::max_label_bytes);
// An errorCode as a label: its text when it looks like one (letters, digits, `_`, `-`, `.`;
// at most 32 bytes), else `invalid`.
std::string_view error_code_label(std::string_view code);

// Resident memory (bytes) and open file descriptors of this process, from /proc/self.
std::size_t resident_bytes();
std::size_t open_fds();

}  // namespace mynasim
