// SPDX-License-Identifier: Apache-2.0
// What a named world costs (issue 27), measured on the real simulator in-process:
//   1. the time to create and to delete a world through the admin API (median, p99);
//   2. resident memory per idle world with 1, 100 and 1000 of them;
//   3. complete flows per second in one world against the same concurrency spread over 100
//      worlds, each with its own API-user client; the ratio (the goal is ≥ 0.9).
//
// Usage: world_bench [--creations 200] [--seconds 5] [--threads 8] [--worlds 100] [--runs 3]
//                    [--server-threads 2] [--quick]
//   --quick: 50 creations, memory for 1/10/100 worlds, 1 s per run, 1 run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include "flow_client.hpp"
#include "process.hpp"

using namespace std::chrono;
using namespace mynasim;
using namespace mynasim::test;

namespace {

struct options {
  int creations = 200, seconds_x10 = 50, threads = 8, worlds = 100, runs = 3, server_threads = 2;
  std::vector<int> memory_sizes{1, 100, 1000};
  double seconds() const { return seconds_x10 / 10.0; }
};

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      o.creations = 50;
      o.seconds_x10 = 10;
      o.runs = 1;
      o.memory_sizes = {1, 10, 100};
      continue;
    }
    if (i + 1 >= argc) break;
    int v = std::max(1, std::atoi(argv[++i]));
    if (a == "--creations") o.creations = v;
    if (a == "--seconds") o.seconds_x10 = std::max(1, static_cast<int>(std::atof(argv[i]) * 10));
    if (a == "--threads") o.threads = v;
    if (a == "--worlds") o.worlds = v;
    if (a == "--runs") o.runs = v;
    if (a == "--server-threads") o.server_threads = v;
  }
  return o;
}

double pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

// Resident memory of this process (server and bench share it), in kB.
long rss_kb() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// Lets worlds released on the background pool go, then hands freed heap back to the kernel,
// so that two readings differ by what is live rather than by what malloc keeps cached.
long settled_rss_kb() {
  std::this_thread::sleep_for(milliseconds(300));
  ::malloc_trim(0);
  return rss_kb();
}

// The admin API over one kept plain connection, so that a timing is the server's work and not
// a TCP handshake.
class admin_api {
 public:
  explicit admin_api(std::uint16_t port) : port_(port) {}
  client_response call(const std::string& method, const std::string& target, const std::string& body = "") {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!c_ || !c_->connected()) c_ = connection::open(port_, false);
      if (c_->send(build_request(method, target, body, {{"Content-Type", "application/json"}})))
        if (auto r = c_->read_response(seconds(30))) {
          if (r->header("connection") == "close") c_.reset();
          return *r;
        }
      c_.reset();
    }
    return {};
  }
  bool create(const std::string& id) {
    auto r = call("POST", "/__admin/worlds", "{\"id\":\"" + id + "\"}");
    if (r.status != 201) note("create " + id + ": " + std::to_string(r.status) + " " + r.body.substr(0, 200));
    return r.status == 201;
  }
  bool remove(const std::string& id) {
    auto r = call("DELETE", "/__admin/worlds/" + id);
    if (r.status != 200) note("delete " + id + ": " + std::to_string(r.status) + " " + r.body.substr(0, 200));
    return r.status == 200;
  }
  void note(const std::string& what) {
    if (errors.size() < 8) errors.push_back(what);
  }
  std::vector<std::string> errors;

 private:
  std::uint16_t port_;
  std::unique_ptr<connection> c_;
};

double ms_since(steady_clock::time_point t0) {
  return duration<double, std::milli>(steady_clock::now() - t0).count();
}

// 1. Creating `n` worlds one after another, then deleting them, each call timed.
void bench_lifecycle(admin_api& api, int n) {
  std::vector<double> created, deleted;
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    auto t0 = steady_clock::now();
    if (api.create("life-" + std::to_string(i)))
      created.push_back(ms_since(t0));
    else
      ++failed;
  }
  for (int i = 0; i < n; ++i) {
    auto t0 = steady_clock::now();
    if (api.remove("life-" + std::to_string(i)))
      deleted.push_back(ms_since(t0));
    else
      ++failed;
  }
  std::printf("\n1. world life cycle through the admin API (%d worlds, one kept connection, sequential)\n", n);
  std::printf("  %-34s %9s %9s %9s %7s\n", "", "p50 ms", "p99 ms", "max ms", "count");
  auto row = [](const char* name, const std::vector<double>& v) {
    std::printf("  %-34s %9.3f %9.3f %9.3f %7zu\n", name, pct(v, 0.5), pct(v, 0.99), pct(v, 1.0), v.size());
  };
  row("POST /__admin/worlds", created);
  row("DELETE /__admin/worlds/{id}", deleted);
  if (failed) std::printf("  failed calls: %d\n", failed);
}

// 2. Resident memory per idle world: RSS before and after creating `n` worlds.
void bench_memory(admin_api& api, const std::vector<int>& sizes) {
  std::printf(
      "\n2. resident memory per idle world (/proc/self/statm; malloc_trim(0) and a 300 ms pause before "
      "each reading)\n");
  std::printf("  %-10s %12s %12s %14s %16s\n", "worlds", "before kB", "after kB", "per world kB",
              "left after delete kB");
  for (int n : sizes) {
    auto before = settled_rss_kb();
    int made = 0;
    for (int i = 0; i < n; ++i) made += api.create("mem-" + std::to_string(n) + "-" + std::to_string(i)) ? 1 : 0;
    auto after = settled_rss_kb();
    for (int i = 0; i < n; ++i) api.remove("mem-" + std::to_string(n) + "-" + std::to_string(i));
    auto left = settled_rss_kb();
    std::printf("  %-10d %12ld %12ld %14.1f %16ld%s\n", n, before, after,
                made ? static_cast<double>(after - before) / made : 0.0, left - before,
                made == n ? "" : "  (some creations failed)");
  }
}

struct run_totals {
  long flows = 0, failures = 0;
  double elapsed = 0, server_cpu_us = 0;
  std::vector<double> flow_ms;
  double rate() const { return elapsed > 0 ? static_cast<double>(flows) / elapsed : 0; }
  double cpu_per_flow() const { return flows ? server_cpu_us / static_cast<double>(flows) : 0; }
};

// The threads of this process now (their ids).
std::vector<std::string> thread_ids() {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

// The server's threads: every thread now but those that were there before the server started
// (main, the notification receiver); taken before a run starts its client threads.
std::vector<std::string> server_threads(const std::vector<std::string>& before_server) {
  std::vector<std::string> out;
  for (auto& id : thread_ids())
    if (std::find(before_server.begin(), before_server.end(), id) == before_server.end()) out.push_back(id);
  return out;
}

double threads_cpu_us(const std::vector<std::string>& ids) {
  double sum = 0;
  for (const auto& id : ids) sum += cpu_time_us("/proc/self/task/" + id + "/stat");
  return sum;
}

std::vector<std::string> before_server;  // the threads there before the server started

std::mutex failure_mutex;
std::vector<std::string> failure_notes;  // the first few failures, printed at the end

bool one_flow(flow_client& client) {
  auto r = client.run("taro", "Latest");
  bool ok = r.is_object() && r.contains("commonHeader") && r["commonHeader"].value("errorCode", "?").empty();
  if (!ok) {
    std::lock_guard lock(failure_mutex);
    if (failure_notes.size() < 8) failure_notes.push_back(client.prefix + ": " + r.dump().substr(0, 200));
  }
  return ok;
}

// `threads` threads run complete flows for a time, each cycling over its own clients (one
// client per world it serves; `clients[t]` are thread t's).
run_totals run_flows(std::vector<std::vector<flow_client>>& clients, double seconds) {
  std::atomic<long> flows{0}, failures{0};
  std::vector<std::vector<double>> times(clients.size());
  auto server = server_threads(before_server);
  auto cpu_before = threads_cpu_us(server);
  auto started = steady_clock::now();
  auto deadline = started + milliseconds(static_cast<long>(seconds * 1000));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < clients.size(); ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; steady_clock::now() < deadline; ++i) {
        auto& client = clients[t][i % clients[t].size()];
        auto t0 = steady_clock::now();
        ++(one_flow(client) ? flows : failures);
        times[t].push_back(ms_since(t0));
      }
    });
  for (auto& th : threads) th.join();
  run_totals out{flows.load(),
                 failures.load(),
                 duration<double>(steady_clock::now() - started).count(),
                 threads_cpu_us(server) - cpu_before,
                 {}};
  for (auto& v : times) out.flow_ms.insert(out.flow_ms.end(), v.begin(), v.end());
  return out;
}

// Thread t's clients: one per world in `prefixes` it serves (world w goes to thread w % threads).
std::vector<std::vector<flow_client>> clients_for(test_server& server, const std::vector<std::string>& prefixes,
                                                  int threads) {
  static int layout = 0;  // telegramIds never repeat within a world across layouts
  ++layout;
  std::vector<std::vector<flow_client>> out(static_cast<std::size_t>(threads));
  auto per_world = std::max<std::size_t>(1, static_cast<std::size_t>(threads) / prefixes.size());
  for (int t = 0; t < threads; ++t)
    for (std::size_t w = static_cast<std::size_t>(t) % prefixes.size(); w < prefixes.size();
         w += static_cast<std::size_t>(threads)) {
      flow_client c{&server};
      c.prefix = prefixes[w];
      c.keep_alive = true;
      c.sequence = layout * 10'000'000 + t * 100'000;
      out[static_cast<std::size_t>(t)].push_back(std::move(c));
      if (per_world > 1) break;  // more threads than worlds: each thread serves one world
    }
  // One uncounted flow per client: its TLS connections open and its world's stores warm.
  for (auto& list : out)
    for (auto& c : list) one_flow(c);
  return out;
}

void print_row(const char* name, const std::vector<run_totals>& runs) {
  std::vector<double> rates, ms, cpu;
  long failures = 0;
  for (const auto& r : runs) {
    rates.push_back(r.rate());
    cpu.push_back(r.cpu_per_flow());
    ms.insert(ms.end(), r.flow_ms.begin(), r.flow_ms.end());
    failures += r.failures;
  }
  std::printf("  %-40s %9.1f %9.1f %9.1f %9.2f %9.2f %11.0f %7ld\n", name, pct(rates, 0), pct(rates, 0.5),
              pct(rates, 1.0), pct(ms, 0.5), pct(ms, 0.99), pct(cpu, 0.5), failures);
}

// That the flows did reach the named worlds: requests each world counted (GET /__admin/worlds).
void print_spread(admin_api& api, std::size_t worlds) {
  auto list = parse(api.call("GET", "/__admin/worlds"));
  std::vector<double> requests;
  if (list.is_object() && list["worlds"].is_array())
    for (const auto& w : list["worlds"])
      if (w.value("id", "").rfind("flow-", 0) == 0) requests.push_back(w.value("requests", 0.0));
  std::printf("  %-40s %zu of %zu worlds, min %.0f / median %.0f / max %.0f requests each\n",
              "requests counted by the named worlds", requests.size(), worlds, pct(requests, 0), pct(requests, 0.5),
              pct(requests, 1.0));
}

// 3. The same concurrency on the default world, on one named world, and spread over many.
void bench_throughput(test_server& server, admin_api& api, const options& o) {
  std::vector<std::string> many;
  for (int i = 0; i < o.worlds; ++i)
    if (api.create("flow-" + std::to_string(i))) many.push_back("/worlds/flow-" + std::to_string(i));
  auto home = clients_for(server, {""}, o.threads);
  api.create("solo");  // the one-world rows' world, apart from the many
  auto one = clients_for(server, {"/worlds/solo"}, o.threads);
  auto spread = clients_for(server, many, o.threads);
  std::vector<run_totals> home_runs, one_runs, spread_runs;
  for (int r = 0; r < o.runs; ++r) {  // alternately, so that a busy moment of the machine hits all three
    home_runs.push_back(run_flows(home, o.seconds()));
    one_runs.push_back(run_flows(one, o.seconds()));
    spread_runs.push_back(run_flows(spread, o.seconds()));
  }
  std::printf(
      "\n3. complete flows (taro, Latest; authorize → token → request → poll result every 10 ms; "
      "processing_delay 10 ms)\n");
  std::printf(
      "   %d client threads, keep-alive HTTPS, %d server I/O thread(s), %.1f s per run, %d run(s) each, "
      "alternating\n",
      o.threads, o.server_threads, o.seconds(), o.runs);
  std::printf("  %-40s %9s %9s %9s %9s %9s %11s %7s\n", "flows/s", "min", "median", "max", "p50 ms", "p99 ms",
              "srv µs/flow", "failed");
  print_row("default world (no prefix)", home_runs);
  print_row("one named world, all threads", one_runs);
  auto label = std::to_string(many.size()) + " named worlds, a client per world";
  print_row(label.c_str(), spread_runs);
  auto median_rate = [](const std::vector<run_totals>& runs) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(r.rate());
    return pct(v, 0.5);
  };
  double ratio = median_rate(one_runs) > 0 ? median_rate(spread_runs) / median_rate(one_runs) : 0;
  std::printf("  %-40s %8.2fx  (goal ≥ 0.90: %s)\n", "many worlds / one named world (medians)", ratio,
              ratio >= 0.9 ? "met" : "NOT met");
  std::printf("  %-40s %8.2fx\n", "one named world / default world", median_rate(one_runs) / median_rate(home_runs));
  auto median_cpu = [](const std::vector<run_totals>& runs) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(r.cpu_per_flow());
    return pct(v, 0.5);
  };
  std::printf("  %-40s %8.2fx  (server threads' CPU per flow, medians)\n", "CPU per flow, many worlds / one",
              median_cpu(one_runs) > 0 ? median_cpu(spread_runs) / median_cpu(one_runs) : 0.0);
  print_spread(api, many.size());
  std::printf(
      "  (a flow waits out the 10 ms processing delay and polls every 10 ms: with few client threads flows/s\n"
      "   is bounded by latency, and srv µs/flow — steadier on a shared machine — shows the cost; raise\n"
      "   --threads to load the server)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a kept connection the server closed is an error to retry, not a signal
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  auto o = parse_options(argc, argv);
  notification_receiver receiver;
  before_server = thread_ids();  // main and the receiver's: not the server's
  int max_worlds = std::max(2000, o.worlds + o.creations + 10);
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = milliseconds(10);
    w.data.portal.notification_first_retry = milliseconds(20);
    w.data.portal.notification_attempts = 3;
    w.data.portal.max_processes = 100000;
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
    w.logging.requests = false;
    w.server.threads = o.server_threads;
    w.server.read_timeout = seconds(60);  // the kept connections of clients waiting their turn
    w.worlds.max = static_cast<std::size_t>(max_worlds);
  });
  std::printf(
      "world_bench: the real simulator in this process (%d server I/O thread(s), worlds.max %d, request "
      "logs off); RSS is this whole process\n",
      o.server_threads, max_worlds);
  admin_api api(server.port("admin"));
  bench_lifecycle(api, o.creations);
  bench_memory(api, o.memory_sizes);
  bench_throughput(server, api, o);
  for (const auto& e : api.errors) std::printf("admin error: %s\n", e.c_str());
  for (const auto& f : failure_notes) std::printf("flow failure: %s\n", f.c_str());
  return 0;
}
