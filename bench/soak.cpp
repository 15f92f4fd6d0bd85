// SPDX-License-Identifier: Apache-2.0
// A bounded soak: complete flows with faults (a flaky holder, injected latency, a failing
// notification endpoint now and then) from several API users, while authorize floods and
// fault-header requests come in too. Samples RSS and open file descriptors every interval
// and fails when memory keeps growing once the stores are full.
//
// Usage: soak [--minutes 10] [--users 4] [--interval 10] [--full]
// --full starts from a world at its limits and keeps it there: a persona template of 200 000
// (the largest count a sheet takes), the runtime changes filled to their byte bound, the
// faults to qa.max_faults, the named worlds to worlds.max, the metrics' label values to their
// series cap; the portal's stores and the journal fill from the flows. It prints how full
// each is at the start and the end, and the worst /healthz latency of each interval.
// Exit 1 when the last third's peak RSS exceeds the middle third's by more than 10 % + 8 MB,
// or when file descriptors keep growing. The process measured is this one (server and clients
// share it; the clients hold no state between flows).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include "flow_client.hpp"

using namespace std::chrono;
using namespace mynasim;
using namespace mynasim::test;

namespace {

long rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// Bytes malloc has handed out and not had back, over all arenas: flat while RSS rises means the
// allocator's free lists (fragmentation), rising means something keeps more.
double heap_in_use_mb() {
  auto m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / 1048576;
}

int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n - 2;
}

// A world file at the sheets' limits: the default world and a template of 200 000 personas.
std::string write_full_world() {
  std::string dir = "/tmp/mynasim-soak-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/world.yaml")
      << "include: [\"mynasim:fixtures/world.yaml\"]\n"
         "personas:\n"
         "  - {count: 200000, id: \"load-{n}\", name: \"負荷 太郎{n}\", kana: \"フカ タロウ\", birth_date: "
         "\"1990-01-01\",\n"
         "     sex: 男, address: \"東京都千代田区永田町一丁目{n}\", municipality: 東京都千代田区,\n"
         "     card: {serial: \"LT{n:08}\", pin: \"1234\"},\n"
         "     data: [{item: TM00000000000003, records: [{課税年度: \"2025\", 合計所得金額: \"4360000\"}]}]}\n";
  return dir + "/world.yaml";
}

// Adds `what` until the admin API refuses one with `limit_status` (the limit's own answer);
// stops the soak when something else refused it, or nothing was taken: not full, then.
void fill(const std::string& what, int at_most, int limit_status, const std::function<client_response(int)>& add) {
  int taken = 0;
  client_response refused;
  for (int i = 0; i < at_most && refused.status == 0; ++i) {
    auto r = add(i);
    if (r.status >= 300)
      refused = r;
    else
      ++taken;
  }
  std::printf("full: %-34s %5d taken, the next refused with %d\n", what.c_str(), taken, refused.status);
  if (taken == 0 || refused.status != limit_status) {
    std::printf("soak: %s not filled to its limit (expected %d): %.300s\n", what.c_str(), limit_status,
                refused.body.c_str());
    std::exit(2);
  }
}

// One line of /metrics: the value of `name` (summed over its labels).
double metric(const std::string& text, const std::string& name) {
  double sum = 0;
  std::size_t at = 0;
  while ((at = text.find("\n" + name, at)) != std::string::npos) {
    at += 1;
    auto end = text.find('\n', at);
    auto line = text.substr(at, end - at);
    auto after = line.substr(name.size());
    if (!after.empty() && after[0] != ' ' && after[0] != '{') continue;  // a longer name
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

void print_fill(test_server& server, const char* when) {
  auto m = server.admin("GET", "/metrics").body;
  auto series = std::count(m.begin(), m.end(), '\n');
  std::printf("%s: processes %.0f, journal %.0f entries / %.1f MB, worlds %.0f, /metrics %zu lines (%.1f KB)\n", when,
              metric(m, "mynasim_processes"), metric(m, "mynasim_journal_entries"),
              metric(m, "mynasim_journal_bytes") / 1048576, metric(m, "mynasim_worlds"),
              static_cast<std::size_t>(series), static_cast<double>(m.size()) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  double minutes = 10;
  int users = 4, interval = 10;
  bool full = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--full") full = true;
    if (i + 1 >= argc) break;
    if (a == "--minutes") minutes = std::stod(argv[++i]);
    if (a == "--users") users = std::stoi(argv[++i]);
    if (a == "--interval") interval = std::stoi(argv[++i]);
  }
  // The receiver remembers the last 1 000 notifications only: this process is the one measured.
  notification_receiver receiver(200, false, std::chrono::milliseconds(15000), 1000);
  auto loading = steady_clock::now();
  std::string full_world;  // the world file --full writes, removed at the end
  test_server server([&](world_config& w) {
    if (full) {
      full_world = write_full_world();
      w = test_world(full_world);
      w.server.body_limit = 4 * 1024 * 1024;  // room for a change of max_change_bytes (2 MiB)
    }
    w.data.portal.processing_delay = millis{0};
    w.data.portal.notification_first_retry = millis{10};
    w.logging.requests = false;
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  server.admin("POST", "/__admin/faults",
               R"([{"kind":"http_error","target":"japan-pension","status":500,"probability":0.2,"seed":3},)"
               R"( {"kind":"latency","target":"juki","latency_ms":2,"probability":0.5,"seed":4}])");
  if (full) {
    std::printf("full: a world of %zu personas loaded and serving in %.1f s (RSS %.0f MB)\n",
                server.runtime().data.get()->personas.size(),
                duration_cast<milliseconds>(steady_clock::now() - loading).count() / 1000.0,
                static_cast<double>(rss_kb()) / 1024);
    // Runtime changes to their byte bound: personas with a note just under max_change_bytes.
    const std::string note(1900 * 1024, 'x');
    fill("runtime changes (1.9 MB each)", 100, 413, [&](int i) {
      return server.admin("PUT", "/__admin/personas/soak-" + std::to_string(i),
                          R"({"name":"満杯 花子","kana":"マンパイ ハナコ","birth_date":"1990-01-01","sex":"女",)"
                          R"("address":"東京都千代田区","municipality":"東京都千代田区","note":")" +
                              note + R"(","card":{"serial":"SK)" + std::to_string(10000000 + i) +
                              R"(","pin":"1234"}})");
    });
    // Faults to qa.max_faults: rare 1 ms latencies on 住基ネット, each its own seed.
    fill("faults", 1000, 400, [&](int i) {
      return server.admin("POST", "/__admin/faults",
                          R"({"kind":"latency","target":"juki","latency_ms":1,"probability":0.001,"seed":)" +
                              std::to_string(100 + i) + "}");
    });
    // Named worlds to worlds.max, each idle for a day.
    fill("named worlds", 1000, 429, [&](int) { return server.admin("POST", "/__admin/worlds", R"({"ttl":"PT24H"})"); });
    // The metrics' label values: 3 000 different system names, beyond the series cap.
    for (int i = 0; i < 3000; ++i)
      request(server.port("systems"), false, "GET", "/systems/soak-junk-" + std::to_string(i) + "/x");
    print_fill(server, "full at the start");
  }
  std::printf("soak: %.1f min, %d API users + 1 authorize flooder, sample every %d s\n", minutes, users, interval);
  std::printf("%8s %10s %10s %8s %10s %10s %12s\n", "t(s)", "rss(MB)", "heap(MB)", "fds", "flows", "failed",
              "healthz max");
  std::atomic<bool> stop{false};
  std::atomic<long> flows{0}, failed{0};
  std::vector<std::thread> threads;
  for (int u = 0; u < users; ++u)
    threads.emplace_back([&, u] {
      flow_client api{&server};
      api.sequence = u * 100000000;
      const char* personas[] = {"taro", "hanako", "ichiro", "jiro"};
      while (!stop) {
        try {
          auto r = api.run(personas[u % 4], u % 2 ? "Latest" : "Date=20260101");
          ++flows;
          if (!r.contains("commonHeader")) ++failed;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  threads.emplace_back([&] {  // strangers filling the session store
    while (!stop)
      request(server.port("app"), true, "GET",
              "/online-authorization-web/oauth/authorize?response_type=code&client_id=SP00000086_AA0003&"
              "redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&state=x",
              "", {{"X-Mynasim-Fault", R"({"kind":"latency","latency_ms":1})"}});
  });
  // The app listener's /healthz every 100 ms: the worst latency of each interval.
  std::atomic<long> healthz_worst_us{0};
  threads.emplace_back([&] {
    while (!stop) {
      auto t0 = steady_clock::now();
      request(server.port("app"), true, "GET", "/healthz");
      long us = duration_cast<microseconds>(steady_clock::now() - t0).count();
      long seen = healthz_worst_us.load();
      while (us > seen && !healthz_worst_us.compare_exchange_weak(seen, us)) {
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  std::vector<long> rss;
  std::vector<int> fds;
  auto start = steady_clock::now();
  auto end = start + milliseconds(static_cast<long>(minutes * 60000));
  while (steady_clock::now() < end) {
    std::this_thread::sleep_for(seconds(interval));
    rss.push_back(rss_kb());
    fds.push_back(open_fds());
    std::printf("%8ld %10.1f %10.1f %8d %10ld %10ld %9.1f ms\n",
                static_cast<long>(duration_cast<seconds>(steady_clock::now() - start).count()),
                static_cast<double>(rss.back()) / 1024, heap_in_use_mb(), fds.back(), flows.load(), failed.load(),
                static_cast<double>(healthz_worst_us.exchange(0)) / 1000);
    std::fflush(stdout);
  }
  stop = true;
  for (auto& t : threads) t.join();
  if (full) {
    print_fill(server, "full at the end");
    std::filesystem::remove_all(std::filesystem::path(full_world).parent_path());
  }
  if (rss.size() < 3) {
    std::printf("soak: too short to judge (need 3 samples)\n");
    return 0;
  }
  auto third = rss.size() / 3;
  long middle = *std::max_element(rss.begin() + static_cast<long>(third), rss.begin() + static_cast<long>(2 * third));
  long last = *std::max_element(rss.begin() + static_cast<long>(2 * third), rss.end());
  int fd_middle = *std::max_element(fds.begin() + static_cast<long>(third), fds.begin() + static_cast<long>(2 * third));
  int fd_last = *std::max_element(fds.begin() + static_cast<long>(2 * third), fds.end());
  bool grew = static_cast<double>(last) > static_cast<double>(middle) * 1.10 + 8 * 1024;
  bool fd_grew = fd_last > fd_middle + 64;
  std::printf("soak: peak RSS middle third %.1f MB, last third %.1f MB; fds %d → %d; %ld flows (%ld failed): %s\n",
              static_cast<double>(middle) / 1024, static_cast<double>(last) / 1024, fd_middle, fd_last, flows.load(),
              failed.load(), grew || fd_grew ? "GROWING" : "flat");
  return grew || fd_grew ? 1 : 0;
}
