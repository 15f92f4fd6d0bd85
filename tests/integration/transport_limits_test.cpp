// SPDX-License-Identifier: Apache-2.0
// Limits of the transport that need their own server: connection budgets per listener,
// configured head limits, slow clients, and a log reader that goes away.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/resource.h>

#include "process.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

// A final chunk split across reads ("0\r\n", then one byte at a time) is a valid partial
// message; Boost 1.81's parser asserted on it in builds with assertions (ASan).
TEST(TransportLimits, FinalChunkArrivingByteByByte) {
  test_server s;
  auto c = connection::open(s.port("systems"), false);
  ASSERT_TRUE(c->send("POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"));
  std::this_thread::sleep_for(30ms);
  ASSERT_TRUE(c->send("\r"));
  std::this_thread::sleep_for(30ms);
  ASSERT_TRUE(c->send("\n"));
  auto res = c->read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

// A head limit above 64 KiB is honoured, not a way to end the process.
TEST(TransportLimits, HeadLimitAbove64KiB) {
  test_server s([](world_config& w) { w.server.header_limit = 1 << 20; });
  auto big = request(s.port("systems"), false, "GET", "/healthz", "", {{"X-Big", std::string(200000, 'a')}});
  EXPECT_EQ(big.status, 200);
  auto c = connection::open(s.port("systems"), false);
  c->send("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Huge: " + std::string(2 << 20, 'b') + "\r\n\r\n");
  auto res = c->read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_EQ(request(s.port("systems"), false, "GET", "/healthz").status, 200);
}

// A flood of idle connections on one listener leaves the others (and internal hops) alone;
// on the flooded listener, further connections wait in the backlog and are served later.
TEST(TransportLimits, EachListenerHasItsOwnConnectionBudget) {
  test_server s([](world_config& w) {
    w.server.max_connections = 4;
    w.server.read_timeout = 10s;
  });
  std::vector<std::unique_ptr<connection>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(connection::open(s.port("app"), true));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(request(s.port("sp"), true, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("systems"), false, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("admin"), false, "GET", "/healthz").status, 200);
  client_response waited;
  std::thread fifth([&] { waited = request(s.port("app"), true, "GET", "/healthz"); });
  std::this_thread::sleep_for(100ms);
  idle.pop_back();  // a slot frees up: the waiting connection is accepted
  fifth.join();
  EXPECT_EQ(waited.status, 200);
}

// An injected latency ends when the client leaves: it does not hold a slot for the rest.
TEST(TransportLimits, DepartedClientFreesItsSlotDuringInjectedLatency) {
  test_server s([](world_config& w) { w.server.max_connections = 2; });
  ASSERT_EQ(s.admin("POST", "/__admin/faults", R"({"kind":"latency","target":"juki","latency_ms":60000})").status, 201);
  for (int i = 0; i < 2; ++i) {
    auto c = connection::open(s.port("systems"), false);
    c->send(build_request("POST", "/systems/juki/identify", "{}"));
    std::this_thread::sleep_for(50ms);
  }                                                                 // both clients gave up
  auto res = request(s.port("systems"), false, "GET", "/healthz");  // would wait 60 s in the backlog
  EXPECT_EQ(res.status, 200);
  auto journal = nlohmann::json::parse(s.admin("GET", "/__admin/requests?system=juki").body);
  ASSERT_GE(journal["requests"].size(), 1u);
  EXPECT_EQ(journal["requests"][0]["status"], 499);
}

std::uint16_t admin_port_of(child_process& p) {
  auto line = p.wait_for_line("\"listener\":\"admin\"", 15000);
  if (line.empty()) return 0;
  auto url = nlohmann::json::parse(line)["url"].get<std::string>();
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

std::string port0_world_file() {
  std::string fixtures = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  auto path = std::filesystem::temp_directory_path() / ("mynasim-limits-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "include: [" + fixtures + "calendar.yaml, " + fixtures + "systems.yaml]\n" +
                             "server:\n  certs_dir: " + test_certs_dir() +
                             "\n  shutdown_grace: PT1S\n  listeners:\n"
                             "    app: {port: 0}\n    sp: {port: 0}\n    admin: {port: 0}\n    systems: {port: 0}\n";
  return path.string();
}

// `mynasim serve | head -2`: the reader goes away; serving goes on and SIGTERM still works.
TEST(TransportLimits, ClosedStdoutNeitherKillsNorBlocks) {
  child_process p({"serve", "--config", port0_world_file()});
  auto port = admin_port_of(p);
  ASSERT_NE(port, 0);
  p.close_output();
  for (int i = 0; i < 300; ++i) ASSERT_EQ(request(port, false, "GET", "/__admin/health").status, 200) << i;
  // The lines nobody could read are counted, and the count is visible.
  long dropped = 0;
  for (int i = 0; i < 40 && dropped == 0; ++i) {
    std::this_thread::sleep_for(50ms);
    dropped = nlohmann::json::parse(request(port, false, "GET", "/__admin/health").body).value("log_lines_dropped", 0L);
  }
  EXPECT_GT(dropped, 0);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10000), 0);
}

// A reader that never reads: the pipe fills, serving goes on, SIGTERM ends it promptly.
TEST(TransportLimits, UnreadStdoutDoesNotBlockServing) {
  child_process p({"serve", "--config", port0_world_file()});
  auto port = admin_port_of(p);
  ASSERT_NE(port, 0);
  for (int i = 0; i < 1500; ++i) ASSERT_EQ(request(port, false, "GET", "/__admin/health").status, 200) << i;
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10000), 0);
}

// Out of file descriptors (EMFILE): accepting backs off instead of spinning, and serving
// resumes once descriptors are free again.
TEST(TransportLimits, RecoversFromRunningOutOfFileDescriptors) {
#ifdef MYNASIM_SANITIZED
  // UBSan's type check opens /proc/self/maps to validate a vptr; with no descriptor left it
  // reports a false "invalid vptr" and aborts. The release suite runs this test.
  GTEST_SKIP() << "runs in the release suite: the sanitizer runtime itself needs file descriptors";
#endif
  rlimit old{};
  ::getrlimit(RLIMIT_NOFILE, &old);
  rlimit low = old;
  low.rlim_cur = 96;
  ::setrlimit(RLIMIT_NOFILE, &low);  // inherited by the child only
  child_process p({"serve", "--config", port0_world_file()});
  ::setrlimit(RLIMIT_NOFILE, &old);
  auto port = admin_port_of(p);
  ASSERT_NE(port, 0);
  std::vector<std::unique_ptr<connection>> flood;
  for (int i = 0; i < 150; ++i) flood.push_back(connection::open(port, false));
  std::this_thread::sleep_for(300ms);  // the server sits at its descriptor limit
  flood.clear();
  client_response res;
  for (int i = 0; i < 50 && res.status != 200; ++i) {
    std::this_thread::sleep_for(100ms);
    res = request(port, false, "GET", "/__admin/health");
  }
  EXPECT_EQ(res.status, 200);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10000), 0);
}

}  // namespace
}  // namespace mynasim::test
