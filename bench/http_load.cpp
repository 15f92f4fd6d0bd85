// SPDX-License-Identifier: Apache-2.0
// Load harness: runs mynasim and the minimal Beast baseline as separate processes, drives the
// same keep-alive load at a trivial endpoint of each, and prints requests/s, latency
// percentiles and peak RSS side by side; then mynasim's start-to-ready time and idle RSS.
//
// Usage: http_load [--seconds N] [--connections C] [--runs R]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.hpp"
#include "test_client.hpp"

namespace fs = std::filesystem;
using namespace std::chrono;
using mynasim::test::build_request;
using mynasim::test::connection;

namespace {

struct server_process {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

pid_t spawn(const std::vector<std::string>& args, const std::string& out_file) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    auto copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    FILE* out = std::fopen(out_file.c_str(), "w");
    dup2(fileno(out), 1);
    dup2(fileno(out), 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

long status_kb(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key) + 1));
  return -1;
}

bool ready(std::uint16_t port, const std::string& path) {
  try {
    auto c = connection::open(port, false);
    if (!c->send(build_request("GET", path))) return false;
    auto r = c->read_response(milliseconds(200));
    return r && r->status == 200;
  } catch (...) {
    return false;
  }
}

std::string scratch() {
  auto dir = fs::temp_directory_path() / ("mynasim-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir.string();
}

// A world on free-ish fixed ports (bench only), plain HTTP admin, requests logged or not.
std::string write_world(const std::string& dir, bool log_requests, int base_port, bool metrics = true) {
  auto path = dir + "/world.yaml";
  std::string fx = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  std::ofstream(path) << "include: [" << fx << "calendar.yaml, " << fx << "systems.yaml]\n"
                      << "server:\n  threads: 1\n  certs_dir: " << MYNASIM_TEST_CERTS_DIR
                      << "\n  certs_script: " << MYNASIM_SOURCE_DIR << "/certs/generate.sh\n  listeners:\n"
                      << "    app: {port: " << base_port << "}\n    sp: {port: " << base_port + 1 << "}\n"
                      << "    admin: {port: " << base_port + 2 << "}\n    systems: {port: " << base_port + 3 << "}\n"
                      << "logging: {requests: " << (log_requests ? "true" : "false")
                      << ", metrics: " << (metrics ? "true" : "false") << "}\n";
  return path;
}

server_process start_mynasim(const std::string& world, int base_port, const std::string& dir, double* ready_ms) {
  auto t0 = steady_clock::now();
  server_process p;
  p.pid = spawn({MYNASIM_BINARY, "serve", "--config", world}, dir + "/mynasim.out");
  p.port = static_cast<std::uint16_t>(base_port + 2);
  auto give_up = steady_clock::now() + seconds(30);  // the first start may generate keys
  while (!ready(p.port, "/readyz")) {
    if (steady_clock::now() > give_up || waitpid(p.pid, nullptr, WNOHANG) != 0) {
      std::fprintf(stderr, "mynasim did not become ready; see %s/mynasim.out\n", dir.c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(microseconds(200));
  }
  if (ready_ms) *ready_ms = duration<double, std::milli>(steady_clock::now() - t0).count();
  return p;
}

server_process start_baseline(const std::string& dir) {
  server_process p;
  auto port_file = dir + "/baseline.port";
  fs::remove(port_file);
  p.pid = spawn({BASELINE_BINARY, port_file}, dir + "/baseline.out");
  for (int tries = 0;; ++tries) {
    if (tries > 2000) {
      std::fprintf(stderr, "baseline_server did not start\n");
      std::exit(1);
    }
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) {
      p.port = static_cast<std::uint16_t>(port);
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  for (int tries = 0; !ready(p.port, "/healthz"); ++tries) {
    if (tries > 5000) std::exit(1);
    std::this_thread::sleep_for(milliseconds(1));
  }
  return p;
}

void stop(server_process& p) {
  kill(p.pid, SIGTERM);
  waitpid(p.pid, nullptr, 0);
}

struct load_result {
  double rps = 0;
  double p50 = 0, p99 = 0, p999 = 0;  // milliseconds
  long errors = 0;
  double cpu_us = 0;  // the server's CPU time (user + system) per request
};

// CPU time (user + system) a process has used, in microseconds.
double cpu_time_us(pid_t pid) {
  return mynasim::test::cpu_time_us("/proc/" + std::to_string(pid) + "/stat");
}

struct load_result drive(std::uint16_t port, const std::string& path, int connections, double seconds);

// drive(), with the server's CPU time per request.
load_result drive_measured(pid_t server, std::uint16_t port, const std::string& path, int connections, double seconds) {
  double before = cpu_time_us(server);
  auto r = drive(port, path, connections, seconds);
  double requests = r.rps * seconds;
  if (requests > 0) r.cpu_us = (cpu_time_us(server) - before) / requests;
  return r;
}

load_result drive(std::uint16_t port, const std::string& path, int connections, double seconds) {
  std::vector<std::vector<float>> latencies(static_cast<std::size_t>(connections));
  std::atomic<long> errors{0};
  std::atomic<bool> go{false};
  auto deadline = steady_clock::now() + milliseconds(static_cast<long>(seconds * 1000)) + milliseconds(100);
  std::vector<std::thread> threads;
  std::string req = build_request("GET", path);
  for (int i = 0; i < connections; ++i)
    threads.emplace_back([&, i] {
      auto c = connection::open(port, false);
      auto& lat = latencies[static_cast<std::size_t>(i)];
      lat.reserve(1 << 20);
      while (!go) std::this_thread::yield();
      while (steady_clock::now() < deadline) {
        auto t = steady_clock::now();
        if (!c->send(req) || !c->read_response()) {
          ++errors;
          c = connection::open(port, false);
          continue;
        }
        lat.push_back(duration<float, std::milli>(steady_clock::now() - t).count());
      }
    });
  auto start = steady_clock::now();
  go = true;
  for (auto& t : threads) t.join();
  double elapsed = duration<double>(steady_clock::now() - start).count();
  std::vector<float> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  load_result r;
  r.errors = errors;
  if (all.empty()) return r;
  auto pct = [&](double q) { return all[std::min(all.size() - 1, static_cast<std::size_t>(q * all.size()))]; };
  r.rps = all.size() / elapsed;
  r.p50 = pct(0.50);
  r.p99 = pct(0.99);
  r.p999 = pct(0.999);
  return r;
}

void print_row(const char* name, const load_result& r, long peak_kb) {
  std::printf("%-38s %10.0f %9.3f %9.3f %9.3f %9.1f %10.1f %7ld\n", name, r.rps, r.p50, r.p99, r.p999, r.cpu_us,
              peak_kb / 1024.0, r.errors);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int connections = 16, runs = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (a == "--connections")
      connections = std::stoi(argv[i + 1]);
    else if (a == "--runs")
      runs = std::stoi(argv[i + 1]);
  }
  auto dir = scratch();
  const int base_port = 18400 + getpid() % 500 * 8;
  std::printf("mynasim http_load: %d keep-alive connections, %.1f s per server, 1 server thread each, %u cores\n\n",
              connections, seconds, std::thread::hardware_concurrency());
  std::printf("%-38s %10s %9s %9s %9s %9s %10s %7s\n", "server (GET, plain HTTP)", "req/s", "p50 ms", "p99 ms",
              "p99.9 ms", "CPU µs/req", "peak MB", "errors");

  auto baseline = start_baseline(dir);
  auto base = drive_measured(baseline.pid, baseline.port, "/healthz", connections, seconds);
  print_row("baseline Beast responder", base, status_kb(baseline.pid, "VmHWM:"));
  stop(baseline);

  auto bare_world = write_world(dir, false, base_port, false);
  auto bare = start_mynasim(bare_world, base_port, dir, nullptr);
  auto b = drive_measured(bare.pid, bare.port, "/healthz", connections, seconds);
  print_row("mynasim /healthz (no log, no metrics)", b, status_kb(bare.pid, "VmHWM:"));
  stop(bare);

  auto quiet_world = write_world(dir, false, base_port);
  auto quiet = start_mynasim(quiet_world, base_port, dir, nullptr);
  auto q = drive_measured(quiet.pid, quiet.port, "/healthz", connections, seconds);
  print_row("mynasim /healthz (no log)", q, status_kb(quiet.pid, "VmHWM:"));
  stop(quiet);

  auto logged_world = write_world(dir, true, base_port);
  auto logged = start_mynasim(logged_world, base_port, dir, nullptr);
  auto l = drive_measured(logged.pid, logged.port, "/healthz", connections, seconds);
  print_row("mynasim /healthz (json log)", l, status_kb(logged.pid, "VmHWM:"));
  stop(logged);

  std::printf("\nratio mynasim/baseline: %.2f (no log), %.2f (json log to a file)\n", q.rps / base.rps,
              l.rps / base.rps);
  std::printf("metrics cost per request: %+.2f µs CPU (%.1f vs %.1f µs), throughput %.2f× without them\n",
              q.cpu_us - b.cpu_us, q.cpu_us, b.cpu_us, q.rps / b.rps);

  // Start to first successful /readyz, and RSS when idle, over several runs.
  std::vector<double> ready_ms;
  std::vector<long> idle_kb;
  for (int i = 0; i < runs; ++i) {
    double ms = 0;
    auto p = start_mynasim(quiet_world, base_port, dir, &ms);
    ready_ms.push_back(ms);
    std::this_thread::sleep_for(milliseconds(100));
    idle_kb.push_back(status_kb(p.pid, "VmRSS:"));
    stop(p);
  }
  std::sort(ready_ms.begin(), ready_ms.end());
  std::sort(idle_kb.begin(), idle_kb.end());
  std::printf(
      "\nmynasim start → first /readyz over %d runs (default world, certs present): min %.1f ms, median %.1f ms, max "
      "%.1f ms\n",
      runs, ready_ms.front(), ready_ms[ready_ms.size() / 2], ready_ms.back());
  std::printf("mynasim idle RSS after start: median %.1f MB\n", idle_kb[idle_kb.size() / 2] / 1024.0);
  fs::remove_all(dir);
  return 0;
}
