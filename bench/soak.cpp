// SPDX-License-Identifier: Apache-2.0
// A bounded soak: complete flows with faults (a flaky holder, injected latency, a failing
// notification endpoint now and then) from several API users, while authorize floods and
// fault-header requests come in too. Samples RSS and open file descriptors every interval
// and fails when memory keeps growing once the stores are full.
//
// Usage: soak [--minutes 10] [--users 4] [--interval 10]
// Exit 1 when the last third's peak RSS exceeds the middle third's by more than 10 % + 8 MB,
// or when file descriptors keep growing. The process measured is this one (server and clients
// share it; the clients hold no state between flows).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <dirent.h>

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

int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n - 2;
}

}  // namespace

int main(int argc, char** argv) {
  double minutes = 10;
  int users = 4, interval = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--minutes") minutes = std::stod(argv[i + 1]);
    if (a == "--users") users = std::stoi(argv[i + 1]);
    if (a == "--interval") interval = std::stoi(argv[i + 1]);
  }
  notification_receiver receiver;
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = millis{0};
    w.data.portal.notification_first_retry = millis{10};
    w.logging.requests = false;
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  server.admin("POST", "/__admin/faults",
               R"([{"kind":"http_error","target":"japan-pension","status":500,"probability":0.2,"seed":3},)"
               R"( {"kind":"latency","target":"juki","latency_ms":2,"probability":0.5,"seed":4}])");
  std::printf("soak: %.1f min, %d API users + 1 authorize flooder, sample every %d s\n", minutes, users, interval);
  std::printf("%8s %10s %8s %10s %10s\n", "t(s)", "rss(MB)", "fds", "flows", "failed");
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
  std::vector<long> rss;
  std::vector<int> fds;
  auto start = steady_clock::now();
  auto end = start + milliseconds(static_cast<long>(minutes * 60000));
  while (steady_clock::now() < end) {
    std::this_thread::sleep_for(seconds(interval));
    rss.push_back(rss_kb());
    fds.push_back(open_fds());
    std::printf("%8ld %10.1f %8d %10ld %10ld\n",
                static_cast<long>(duration_cast<seconds>(steady_clock::now() - start).count()),
                static_cast<double>(rss.back()) / 1024, fds.back(), flows.load(), failed.load());
    std::fflush(stdout);
  }
  stop = true;
  for (auto& t : threads) t.join();
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
