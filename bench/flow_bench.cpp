// SPDX-License-Identifier: Apache-2.0
// Complete 自己情報取得API flows per second on the non-interactive path (authorize → token
// → request → notification → result) with N concurrent API users, and p50/p99 per step;
// in the same run, a trivial HTTPS request on the same listener as the baseline. Then the
// accuracy of injected latency, and the request journal's bound after the load.
//
// Usage: flow_bench [--users 8] [--seconds 5] [--items N] [--config WORLD.yaml] [--persona ID]
//   --items: the flows' service asks for the first N items of the catalogue (default 1: one
//     item held by one 中間サーバ; 23: every item, every holder).
//   --only keep-alive: only the kept-connection flows (no baseline, other variants or split world).
//   --config/--persona: another world (e.g. 100 000 generated personas) and who runs the flows.
//   --compare-stub PORT [--runs 3]: only the side-by-side comparison bench/compare.sh runs: the
//     same keep-alive HTTPS client runs the canned stub's flow (POST /oauth/token, /request,
//     /result at 127.0.0.1:PORT) and mynasim's complete flow, alternately, R times each, after one
//     uncounted warm-up run of each (the JVM compiles as it runs).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc_count.hpp"
#include "flow_client.hpp"
#include "process.hpp"

using namespace std::chrono;
using namespace mynasim;
using namespace mynasim::test;

namespace {

struct series {
  std::vector<double> ms;
  void add(steady_clock::time_point t0) {
    ms.push_back(duration<double, std::milli>(steady_clock::now() - t0).count());
  }
  double pct(double q) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))];
  }
};

constexpr auto seconds_to_wait = std::chrono::seconds(10);
std::string flow_persona = "taro";
std::string flow_client_id = "SP00000086_AA0003";
std::mutex failure_mutex;
std::vector<std::string> failure_codes;  // the first few failures, printed at the end

struct flow_totals {
  long flows = 0, failures = 0;
  double elapsed = 0;
};

// N API users running complete flows against `server` (its app and sp listeners) for a time.
// keep_alive: each user keeps one TLS connection per listener and waits for the IF001-05
// notification (as a real API user does); otherwise a new connection per request and polling
// IF001-06 every 10 ms until the result is ready.
flow_totals run_flows(test_server& server, int users, double seconds, std::map<std::string, std::vector<series>>& steps,
                      bool keep_alive = false, notification_receiver* receiver = nullptr) {
  static int run = 0;
  const long base = 1'000'000L * ++run;  // telegramIds never repeat across runs on one server
  std::vector<std::thread> threads;
  for (const char* s : {"1 authorize", "2 token", "3 request",
                        receiver ? "4 until notified" : "4 until ready (polling)", "5 result", "total"})
    steps[s].resize(static_cast<std::size_t>(users));
  std::atomic<long> flows{0}, failures{0};
  auto deadline = steady_clock::now() + milliseconds(static_cast<long>(seconds * 1000));
  auto started = steady_clock::now();
  for (int u = 0; u < users; ++u)
    threads.emplace_back([&, u] {
      flow_client flow;
      flow.server = &server;
      flow.keep_alive = keep_alive;
      flow.client_id = flow_client_id;
      flow.sequence = static_cast<int>(base + u * 100'000L);
      auto idx = static_cast<std::size_t>(u);
      while (steady_clock::now() < deadline) {
        auto t0 = steady_clock::now(), t = t0;
        auto code = flow.authorize_code(flow_persona);
        steps["1 authorize"][idx].add(t);
        t = steady_clock::now();
        auto tok = parse(flow.token(code));
        steps["2 token"][idx].add(t);
        if (!tok.contains("access_token")) {
          ++failures;
          continue;
        }
        std::string token = tok["access_token"];
        auto telegram = flow.next_telegram_id();
        t = steady_clock::now();
        auto accepted = parse(flow.request(token, telegram, "Date=20250701"));
        steps["3 request"][idx].add(t);
        auto pid = accepted["commonHeader"].value("processId", "");
        if (pid.empty()) {
          ++failures;
          std::lock_guard lock(failure_mutex);
          if (failure_codes.size() < 8) failure_codes.push_back("request: " + accepted.dump().substr(0, 300));
          continue;
        }
        t = steady_clock::now();
        client_response r;
        if (receiver)
          receiver->wait_for_process(pid, seconds_to_wait);
        else
          r = flow.wait_result(token, telegram, pid);  // polls until the result is ready
        steps[receiver ? "4 until notified" : "4 until ready (polling)"][idx].add(t);
        t = steady_clock::now();
        r = flow.result(token, telegram, pid);
        steps["5 result"][idx].add(t);
        steps["total"][idx].add(t0);
        auto result_code = parse(r)["commonHeader"].value("errorCode", "?");
        if (result_code == "") {
          ++flows;
        } else {
          ++failures;
          std::lock_guard lock(failure_mutex);
          if (failure_codes.size() < 8) failure_codes.push_back(result_code + " " + r.body.substr(0, 160));
        }
      }
    });
  for (auto& t : threads) t.join();
  return {flows.load(), failures.load(), duration<double>(steady_clock::now() - started).count()};
}

// The official stub's flow: three canned answers (token, request, result) with nothing behind
// them, by the same client and connections as the complete flow.
flow_totals run_canned_flows(std::uint16_t port, int users, double seconds) {
  std::atomic<long> flows{0}, failures{0};
  auto deadline = steady_clock::now() + milliseconds(static_cast<long>(seconds * 1000));
  auto started = steady_clock::now();
  std::vector<std::thread> threads;
  for (int u = 0; u < users; ++u)
    threads.emplace_back([&, u] {
      flow_client flow;
      flow.server = nullptr;
      flow.host = "127.0.0.1";
      flow.sp_port = port;
      flow.keep_alive = true;
      flow.sequence = u * 100'000;
      while (steady_clock::now() < deadline) {
        auto tok = parse(flow.send("sp", "POST", "/oauth/token",
                                   "grant_type=authorization_code&code=canned&redirect_uri=http%3A%2F%2Flocalhost%"
                                   "3A3000%2Fcallback&client_id=" +
                                       flow.client_id,
                                   {{"Content-Type", "application/x-www-form-urlencoded"}}));
        std::string token = tok.is_object() ? tok.value("access_token", "") : "";
        auto telegram = flow.next_telegram_id();
        auto accepted = parse(flow.request(token, telegram, "Date=20250701", "/request"));
        auto pid = accepted.is_object() ? accepted["commonHeader"].value("processId", "") : "";
        auto result = parse(flow.result(token, telegram, pid, "/result"));
        bool ok =
            !token.empty() && !pid.empty() && result.is_object() && result.contains("selfPersonalDataProvisionInfo");
        ++(ok ? flows : failures);
        if (!ok) {
          std::lock_guard lock(failure_mutex);
          if (failure_codes.size() < 8)
            failure_codes.push_back("canned: " + tok.dump().substr(0, 100) + " " + accepted.dump().substr(0, 100) +
                                    " " + result.dump().substr(0, 100));
        }
      }
    });
  for (auto& t : threads) t.join();
  return {flows.load(), failures.load(), duration<double>(steady_clock::now() - started).count()};
}

// The threads of this process now (ids), to tell the server's threads from the load's.
std::vector<std::string> thread_ids() {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

// The threads started since `before` was taken (a server's own, not the receiver's or the load's).
std::vector<std::string> threads_since(const std::vector<std::string>& before) {
  std::vector<std::string> out;
  for (const auto& id : thread_ids())
    if (std::find(before.begin(), before.end(), id) == before.end()) out.push_back(id);
  return out;
}

// CPU time the given threads have used, in microseconds.
double threads_cpu_us(const std::vector<std::string>& ids) {
  double sum = 0;
  for (const auto& id : ids) sum += cpu_time_us("/proc/self/task/" + id + "/stat");
  return sum;
}

// Heap allocations the given threads have made (alloc_count.cpp counts them per thread).
bench::alloc_totals threads_allocations(const std::vector<std::string>& ids) {
  std::vector<long> tids;
  for (const auto& id : ids) tids.push_back(std::stol(id));
  return bench::allocations_of(tids);
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void bench_settings(world_config& w, const notification_receiver& receiver, int items) {
  if (items > 1) {
    // A service like the first one, asking for the first `items` items of the catalogue.
    auto service = w.data.services.front();
    auto connection = w.data.connections.front();
    auto digits = std::to_string(10000 + items % 10000).substr(1);
    std::string id = "ZZ" + digits;
    service.client_id = connection.client_id = flow_client_id = "SP00000999_" + id;
    service.provider_id = "SP00000999";
    service.service_id = id;
    service.items.clear();
    for (const auto& item : w.data.items)
      if (static_cast<int>(service.items.size()) < items) service.items.push_back(item.code);
    w.data.services.push_back(service);
    w.data.connections.push_back(connection);
    w.data.reindex();
  }
  w.data.portal.processing_delay = millis{0};
  w.data.portal.max_processes = 100000;
  w.qa.journal_max_entries = 5000;
  w.logging.requests = false;
  w.server.threads = 1;
  for (auto& c : w.data.connections) c.notification_url = receiver.url();
}

}  // namespace

int main(int argc, char** argv) {
  std::string config;
  std::signal(SIGPIPE, SIG_IGN);  // a kept connection the server closed is an error to retry, not a signal
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int users = 8, items = 1, runs = 3, stub_port = 0;
  bool only_keep_alive = false;  // --only keep-alive: the kept-connection flows alone (for profilers)
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--users") users = std::stoi(argv[i + 1]);
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    if (a == "--items") items = std::stoi(argv[i + 1]);
    if (a == "--compare-stub") stub_port = std::stoi(argv[i + 1]);
    if (a == "--runs") runs = std::max(1, std::stoi(argv[i + 1]));
    if (a == "--config") config = argv[i + 1];
    if (a == "--persona") flow_persona = argv[i + 1];
    if (a == "--only") only_keep_alive = std::string(argv[i + 1]) == "keep-alive";
  }
  notification_receiver receiver;
  auto prepare = [&](world_config& w) {
    if (!config.empty()) w = test_world(config);
    bench_settings(w, receiver, items);
  };
  auto before_server = thread_ids();
  test_server server(prepare);
  // The server's own threads: those it started (not the receiver's, not the load's).
  auto server_threads = threads_since(before_server);
  if (stub_port) {
    std::printf("side by side: %d API users, keep-alive HTTPS, %.1f s per run, %d runs each, alternating\n", users,
                seconds, runs);
    std::printf("  canned stub at 127.0.0.1:%d: token → request → result (3 requests, canned answers)\n", stub_port);
    std::printf("  mynasim (1 I/O thread): authorize → token → request → hops → IF001-05 → result, %d item(s)\n\n",
                items);
    std::vector<double> stub_rates, sim_rates;
    long stub_failed = 0, sim_failed = 0;
    // Not counted: one run each first, so the JVM's JIT has compiled the stub's hot paths.
    run_canned_flows(static_cast<std::uint16_t>(stub_port), users, seconds);
    std::map<std::string, std::vector<series>> warm_up;
    run_flows(server, users, seconds, warm_up, true, &receiver);
    for (int r = 0; r < runs; ++r) {
      auto stub = run_canned_flows(static_cast<std::uint16_t>(stub_port), users, seconds);
      stub_rates.push_back(stub.flows / stub.elapsed);
      stub_failed += stub.failures;
      std::map<std::string, std::vector<series>> ignored;
      auto sim = run_flows(server, users, seconds, ignored, true, &receiver);
      sim_rates.push_back(sim.flows / sim.elapsed);
      sim_failed += sim.failures;
    }
    auto row = [](const char* name, std::vector<double> v, long failed) {
      std::sort(v.begin(), v.end());
      std::printf("%-40s %9.0f %9.0f %9.0f %8ld\n", name, v.front(), v[v.size() / 2], v.back(), failed);
    };
    std::printf("%-40s %9s %9s %9s %8s\n", "flows/s", "min", "median", "max", "failed");
    row("canned stub (3 canned answers)", stub_rates, stub_failed);
    row("mynasim (complete stateful flow)", sim_rates, sim_failed);
    std::printf("%-40s %8.2fx\n", "mynasim / canned stub (medians)", median_of(sim_rates) / median_of(stub_rates));
    for (const auto& f : failure_codes) std::printf("failure: %s\n", f.c_str());
    return stub_failed || sim_failed ? 1 : 0;
  }
  const char* hops = std::getenv("MYNASIM_INTERNAL_HOPS");
  std::printf(
      "flow_bench: %d concurrent API users, %.1f s, %d item(s) per flow, 1 server thread, HTTPS on sp, "
      "every hop an HTTP exchange (%s)\n\n",
      users, seconds, items,
      hops && std::string(hops) == "tcp" ? "all over TCP: MYNASIM_INTERNAL_HOPS=tcp" : "own systems in memory");

  // Baseline: a trivial HTTPS request per iteration (new connection each, as the flow does).
  std::atomic<long> base_count{0};
  auto deadline = steady_clock::now() + milliseconds(static_cast<long>(seconds * 1000));
  std::vector<std::thread> threads;
  std::vector<series> base(static_cast<std::size_t>(users));
  for (int u = 0; u < users && !only_keep_alive; ++u)
    threads.emplace_back([&, u] {
      while (steady_clock::now() < deadline) {
        auto t = steady_clock::now();
        if (request(server.port("sp"), true, "GET", "/healthz").status == 200) ++base_count;
        base[static_cast<std::size_t>(u)].add(t);
      }
    });
  for (auto& t : threads) t.join();
  threads.clear();
  series base_all;
  for (auto& s : base) base_all.ms.insert(base_all.ms.end(), s.ms.begin(), s.ms.end());

  // Flows, as a real API user runs them: kept connections, woken by the notification.
  std::map<std::string, std::vector<series>> steps;
  auto cpu_before = threads_cpu_us(server_threads);
  auto allocs_before = threads_allocations(server_threads);
  auto result = run_flows(server, users, seconds, steps, true, &receiver);
  auto server_cpu_us = threads_cpu_us(server_threads) - cpu_before;
  auto allocs_after = threads_allocations(server_threads);
  long flows = result.flows, failures_count = result.failures;
  double elapsed = result.elapsed;
  // Allocations per flow: the same for the same code whatever else the machine is doing.
  auto per_flow = [](std::uint64_t n, long count) {
    return count ? static_cast<double>(n) / static_cast<double>(count) : 0.0;
  };
  auto keep_alive_line = [&] {
    std::printf("%-34s %10.1f   (server CPU %.0f µs, %.0f allocations, %.0f KB allocated per flow)\n",
                "complete flows (keep-alive, notified)", flows / elapsed,
                flows ? server_cpu_us / static_cast<double>(flows) : 0.0,
                per_flow(allocs_after.allocations - allocs_before.allocations, flows),
                per_flow(allocs_after.bytes - allocs_before.bytes, flows) / 1024);
  };
  if (only_keep_alive) {
    keep_alive_line();
    return failures_count ? 1 : 0;
  }
  // The same with a new TLS connection per request and polling (what this bench measured before).
  std::map<std::string, std::vector<series>> fresh_steps;
  auto fresh = run_flows(server, users, seconds, fresh_steps);
  // The same flows in a world whose hops to its own systems listener go over loopback TCP.
  auto before_tcp = thread_ids();
  test_server tcp_server([&](world_config& w) {
    prepare(w);
    w.server.in_memory_hops = false;
  });
  auto tcp_threads = threads_since(before_tcp);
  std::map<std::string, std::vector<series>> tcp_steps;
  auto tcp_cpu_before = threads_cpu_us(tcp_threads);
  auto tcp_allocs_before = threads_allocations(tcp_threads);
  auto tcp = run_flows(tcp_server, users, seconds, tcp_steps, true, &receiver);
  auto tcp_cpu_us = threads_cpu_us(tcp_threads) - tcp_cpu_before;
  auto tcp_allocs_after = threads_allocations(tcp_threads);

  std::printf("%-34s %10s %9s %9s\n", "", "per second", "p50 ms", "p99 ms");
  std::printf("%-34s %10.0f %9.2f %9.2f\n", "baseline: GET /healthz over TLS", base_count / seconds, base_all.pct(0.5),
              base_all.pct(0.99));
  keep_alive_line();
  for (auto& [name, per_user] : steps) {
    series all;
    for (auto& s : per_user) all.ms.insert(all.ms.end(), s.ms.begin(), s.ms.end());
    std::printf("  %-32s %10s %9.2f %9.2f\n", name.c_str(), "", all.pct(0.5), all.pct(0.99));
  }
  std::printf("%-34s %10.1f   (failed %ld)\n", "complete flows (new connection each, polling)",
              fresh.flows / fresh.elapsed, fresh.failures);
  std::printf("%-34s %10.1f   (server CPU %.0f µs, %.0f allocations per flow; failed %ld)\n",
              "same as keep-alive, hops over TCP", tcp.flows / tcp.elapsed,
              tcp.flows ? tcp_cpu_us / static_cast<double>(tcp.flows) : 0.0,
              per_flow(tcp_allocs_after.allocations - tcp_allocs_before.allocations, tcp.flows), tcp.failures);
  std::printf("failed flows: %ld; notifications received: %zu\n", failures_count + tcp.failures,
              receiver.received().size());
  std::printf(
      "(each flow = 4 HTTPS requests from the client; internal HTTP hops — portal → 情報提供NWS → 住基ネット,\n"
      " 情報提供NWS → each 中間サーバ holding one of the service's %d item(s) — handed over in memory, or on kept\n"
      " loopback TCP connections in the \"hops over TCP\" row; and 1 notification over TCP)\n",
      items);

  // Injected latency: observed minus injected, against the same request without the fault.
  auto measure = [&](int n) {
    series s;
    for (int i = 0; i < n; ++i) {
      auto t = steady_clock::now();
      request(server.port("systems"), false, "GET", "/systems/municipal/status");
      s.add(t);
    }
    return s;
  };
  auto plain = measure(200);
  std::printf("\ninjected latency accuracy (GET /systems/municipal/status, 200 requests each)\n");
  std::printf("  %-12s %9s %9s %9s\n", "injected", "p50 ms", "p99 ms", "p50 - injected - baseline");
  std::printf("  %-12s %9.2f %9.2f\n", "none", plain.pct(0.5), plain.pct(0.99));
  double plain_p50 = plain.pct(0.5);
  for (int inject : {10, 50, 200}) {
    server.admin("DELETE", "/__admin/faults");
    server.admin("POST", "/__admin/faults",
                 "{\"kind\":\"latency\",\"target\":\"municipal\",\"latency_ms\":" + std::to_string(inject) + "}");
    auto s = measure(inject >= 200 ? 50 : 200);
    std::printf("  %-12s %9.2f %9.2f %9.2f\n", (std::to_string(inject) + " ms").c_str(), s.pct(0.5), s.pct(0.99),
                s.pct(0.5) - inject - plain_p50);
  }
  auto stats = parse(server.admin("GET", "/__admin/requests/count"))["journal"];
  std::printf("\njournal after the run (bound 5000 entries): %s\n", stats.dump().c_str());

  // The same flows in a split world: the portal owning the world in one server, every
  // back-end system in a second that follows it (--world-owner), on loopback: each hop into
  // the follower adds a call to the owner for the world's decision.
  auto owner_admin = unused_loopback_port(), follower_systems = unused_loopback_port();
  auto template_url = "http://127.0.0.1:" + std::to_string(follower_systems) + "/systems/{id}";
  app_options follower_options;
  for (const auto& sys : server.runtime().world.systems)
    if (sys.id != "portal") follower_options.only.push_back(sys.id);
  follower_options.world_owner = "http://127.0.0.1:" + std::to_string(owner_admin);
  follower_options.peer_url_template = template_url;
  // The bench world with one listener on a port known in advance.
  auto on_port = [&](listener_config server_config::*listener, std::uint16_t port) {
    return [&prepare, listener, port](world_config& w) {
      prepare(w);
      (w.server.*listener).port = port;
    };
  };
  test_server follower(on_port(&server_config::systems, follower_systems), follower_options);
  app_options owner_options;
  owner_options.only = {"portal"};
  owner_options.peer_url_template = template_url;
  test_server owner(on_port(&server_config::admin, owner_admin), owner_options);
  for (int i = 0; i < 200 && request(follower_systems, false, "GET", "/readyz").status != 200; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  std::map<std::string, std::vector<series>> split_steps;
  auto split = run_flows(owner, users, seconds, split_steps, true, &receiver);
  std::printf(
      "\nsplit world (portal = owner, back-end systems = 1 follower process, 1 thread each; keep-alive, notified)\n");
  std::printf("%-34s %10s %10s\n", "", "flows/s", "failed");
  std::printf("%-34s %10.1f %10ld\n", "one process", flows / elapsed, failures_count);
  std::printf("%-34s %10.1f %10ld\n", "split", split.flows / split.elapsed, split.failures);
  std::printf("%-34s %9.2fx\n", "split / one process", (split.flows / split.elapsed) / (flows / elapsed));
  for (const auto& f : failure_codes) std::printf("failure: %s\n", f.c_str());
  return 0;
}
