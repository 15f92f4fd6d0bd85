// SPDX-License-Identifier: Apache-2.0
#include "app/metrics.hpp"

#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

namespace mynasim {

using prometheus::Labels;

// A family's series by their label values, bounded: past max_series, new label sets share
// one series whose labels all read "other". A known series is found by its values alone —
// one lookup in a hash map under one lock, no label map built — since every request counts.
template <class Metric>
class bounded_family {
 public:
  explicit bounded_family(prometheus::Family<Metric>& f) : family_(f) {}

  template <std::size_t N, class... Args>
  Metric& get(const std::array<const char*, N>& names, const std::array<std::string_view, N>& values, Args&&... args) {
    thread_local std::string key;  // keeps its capacity: no allocation per call
    key.clear();
    for (auto v : values) {
      key += v;
      key += '\x1f';
    }
    std::lock_guard lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) return *it->second;
    Labels labels;
    for (std::size_t i = 0; i < N; ++i)
      labels[names[i]] = series_.size() >= metrics::max_series ? "other" : std::string(bounded_label(values[i]));
    auto& m = family_.Add(labels, std::forward<Args>(args)...);
    if (series_.size() < metrics::max_series) series_.emplace(key, &m);
    return m;
  }

 private:
  prometheus::Family<Metric>& family_;
  std::mutex mutex_;
  std::unordered_map<std::string, Metric*> series_;
};

struct metrics::impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  bounded_family<prometheus::Counter> requests{
      prometheus::BuildCounter()
          .Name("mynasim_requests_total")
          .Help("Requests answered, by world, system, endpoint, status and errorCode")
          .Register(*registry)};
  bounded_family<prometheus::Histogram> latency{
      prometheus::BuildHistogram()
          .Name("mynasim_request_duration_seconds")
          .Help("Time from a request's last byte to its response, by system and endpoint")
          .Register(*registry)};
  bounded_family<prometheus::Counter> faults{prometheus::BuildCounter()
                                                 .Name("mynasim_faults_fired_total")
                                                 .Help("Injected faults that fired, by kind and target")
                                                 .Register(*registry)};
  bounded_family<prometheus::Counter> notifications{
      prometheus::BuildCounter()
          .Name("mynasim_notifications_total")
          .Help("IF001-05 notification attempts, by outcome and attempt number")
          .Register(*registry)};
  prometheus::Counter& scenario_steps = prometheus::BuildCounter()
                                            .Name("mynasim_scenario_steps_total")
                                            .Help("Scenario steps applied")
                                            .Register(*registry)
                                            .Add({});
  bounded_family<prometheus::Counter> clock_changes{
      prometheus::BuildCounter()
          .Name("mynasim_clock_changes_total")
          .Help("Changes of the virtual clock, by how (set, advance, speed, freeze, scenario)")
          .Register(*registry)};
  prometheus::Family<prometheus::Gauge>& up =
      prometheus::BuildGauge()
          .Name("mynasim_system_up")
          .Help("1 when the simulated system is available at the virtual now, else 0")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& processes =
      prometheus::BuildGauge()
          .Name("mynasim_processes")
          .Help("IF001-04 processes kept, by state (pending, ready, expired)")
          .Register(*registry);
  prometheus::Gauge& journal_entries = prometheus::BuildGauge()
                                           .Name("mynasim_journal_entries")
                                           .Help("Entries in the request journal")
                                           .Register(*registry)
                                           .Add({});
  prometheus::Gauge& journal_bytes = prometheus::BuildGauge()
                                         .Name("mynasim_journal_bytes")
                                         .Help("Bytes held by the request journal")
                                         .Register(*registry)
                                         .Add({});
  prometheus::Counter& journal_dropped = prometheus::BuildCounter()
                                             .Name("mynasim_journal_dropped_total")
                                             .Help("Journal entries dropped to stay within its bounds")
                                             .Register(*registry)
                                             .Add({});
  prometheus::Counter& log_dropped = prometheus::BuildCounter()
                                         .Name("mynasim_log_lines_dropped_total")
                                         .Help("Log lines dropped because stdout was not read fast enough")
                                         .Register(*registry)
                                         .Add({});
  prometheus::Gauge& worlds = prometheus::BuildGauge()
                                  .Name("mynasim_worlds")
                                  .Help("Named worlds (besides the default one)")
                                  .Register(*registry)
                                  .Add({});
  prometheus::Gauge& connections = prometheus::BuildGauge()
                                       .Name("mynasim_open_connections")
                                       .Help("Open client connections on all listeners")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Gauge& rss = prometheus::BuildGauge()
                               .Name("mynasim_process_resident_memory_bytes")
                               .Help("Resident memory of the mynasim process")
                               .Register(*registry)
                               .Add({});
  prometheus::Gauge& fds = prometheus::BuildGauge()
                               .Name("mynasim_process_open_fds")
                               .Help("Open file descriptors of the mynasim process")
                               .Register(*registry)
                               .Add({});
  std::mutex scrape_mutex;
  std::map<std::string, prometheus::Gauge*> up_by_system;
};

namespace {
const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

// A counter that mirrors a total kept elsewhere (it only moves forward).
void catch_up(prometheus::Counter& c, double total) {
  if (total > c.Value()) c.Increment(total - c.Value());
}
}  // namespace

std::string_view bounded_label(std::string_view value, std::size_t max_bytes) {
  if (value.size() <= max_bytes) return value;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;  // not inside a character
  return value.substr(0, n);
}

std::string_view error_code_label(std::string_view code) {
  if (code.size() > 32) return "invalid";
  for (char c : code)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.'))
      return "invalid";
  return code;
}

metrics::metrics(const std::vector<system_config>& systems) : impl_(std::make_unique<impl>()) {
  for (const auto& s : systems) systems_.insert(s.id);
}
metrics::~metrics() = default;

std::string_view metrics::system_label(std::string_view system) const {
  for (std::string_view fixed : {"portal", "admin", "api-user", "systems"})
    if (system == fixed) return fixed;
  if (auto it = systems_.find(system); it != systems_.end()) return bounded_label(*it);
  return "unknown";  // a name no configured system has: one series, whatever was asked for
}

void metrics::request(const std::string& system, const std::string& endpoint, int status, const std::string& error_code,
                      double seconds, const std::string& world) {
  char status_text[12];
  auto [end, ec] = std::to_chars(status_text, status_text + sizeof status_text, status);
  std::string_view status_view(status_text, ec == std::errc{} ? static_cast<std::size_t>(end - status_text) : 0);
  const auto system_view = system_label(system);
  const auto endpoint_view = bounded_label(endpoint);
  impl_->requests
      .get<5>({"world", "system", "endpoint", "status", "error_code"},
              {world.empty() ? std::string_view("default") : bounded_label(world), system_view, endpoint_view,
               status_view, error_code_label(error_code)})
      .Increment();
  impl_->latency.get<2>({"system", "endpoint"}, {system_view, endpoint_view}, latency_buckets()).Observe(seconds);
}

void metrics::fault_fired(const std::string& kind, const std::string& target) {
  impl_->faults.get<2>({"kind", "target"}, {bounded_label(kind), bounded_label(target)}).Increment();
}

void metrics::notification(const std::string& outcome, int attempt) {
  auto attempt_text = std::to_string(attempt);
  impl_->notifications.get<2>({"outcome", "attempt"}, {outcome, attempt_text}).Increment();
}

void metrics::scenario_step() {
  impl_->scenario_steps.Increment();
}

void metrics::clock_change(const std::string& how) {
  impl_->clock_changes.get<1>({"how"}, {bounded_label(how)}).Increment();
}

std::string metrics::scrape(const metrics_snapshot& s) {
  std::lock_guard lock(impl_->scrape_mutex);
  for (const auto& [id, up] : s.system_up) {
    auto& g = impl_->up_by_system[id];
    if (!g) g = &impl_->up.Add({{"system", std::string(bounded_label(id))}});
    g->Set(up ? 1 : 0);
  }
  impl_->processes.Add({{"state", "pending"}}).Set(static_cast<double>(s.processes_pending));
  impl_->processes.Add({{"state", "ready"}}).Set(static_cast<double>(s.processes_ready));
  impl_->processes.Add({{"state", "expired"}}).Set(static_cast<double>(s.processes_expired));
  impl_->journal_entries.Set(static_cast<double>(s.journal_entries));
  impl_->journal_bytes.Set(static_cast<double>(s.journal_bytes));
  catch_up(impl_->journal_dropped, static_cast<double>(s.journal_dropped));
  catch_up(impl_->log_dropped, static_cast<double>(s.log_lines_dropped));
  impl_->connections.Set(static_cast<double>(s.open_connections));
  impl_->worlds.Set(static_cast<double>(s.worlds));
  impl_->rss.Set(static_cast<double>(resident_bytes()));
  impl_->fds.Set(static_cast<double>(open_fds()));
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

}  // namespace mynasim
