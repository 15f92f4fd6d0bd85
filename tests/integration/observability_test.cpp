// SPDX-License-Identifier: Apache-2.0
// What operations see: /metrics (checked by Prometheus' own text parser) and the log lines
// of things that happen without a request asking — notifications, faults firing, scenario
// steps, clock changes, reloads.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

constexpr const char* parser = MYNASIM_SOURCE_DIR "/tests/tools/parse_metrics.py";

// Runs the Prometheus parser over `page`; its samples, or "" and `ok` false.
std::string parse_with_prometheus(const std::string& page, bool& ok) {
  auto path = std::filesystem::temp_directory_path() / ("metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << page;
  std::string out;
  if (FILE* p = ::popen(("/usr/bin/python3 " + std::string(parser) + " < " + path.string() + " 2>&1").c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ok = ::pclose(p) == 0;
  }
  std::filesystem::remove(path);
  return out;
}

bool prometheus_parser_installed() {
  return std::system("/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1") == 0;
}

TEST(Metrics, AFlowIsCountedPerSystemAndThePageParses) {
  notification_receiver receiver;
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(1);
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  server.set_clock("2026-12-02T10:00:00+09:00");
  const std::string world = server.world().empty() ? "default" : server.world();
  flow_client flow{&server};
  auto result = flow.run("taro", "Latest");
  ASSERT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
  ASSERT_TRUE(receiver.wait_for(1, std::chrono::seconds(5)));
  // The attempt is counted once its answer has been read, just after the receiver saw it.
  auto page = server.admin("GET", "/metrics");
  for (int i = 0; i < 500 && page.body.find("mynasim_notifications_total{") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    page = server.admin("GET", "/metrics");
  }
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const std::string& line :
       std::vector<std::string>{"mynasim_requests_total{endpoint=\"/online-resource-web/"
                                "request\",error_code=\"\",status=\"200\",system=\"portal\",world=\"" +
                                    world + "\"} 1",
                                "mynasim_requests_total{endpoint=\"/systems/network/"
                                "provision\",error_code=\"\",status=\"200\",system=\"network\",world=\"" +
                                    world + "\"} 1",
                                "mynasim_requests_total{endpoint=\"/systems/juki/"
                                "identify\",error_code=\"\",status=\"200\",system=\"juki\",world=\"" +
                                    world + "\"} 1",
                                "mynasim_requests_total{endpoint=\"/systems/municipal/"
                                "query\",error_code=\"\",status=\"200\",system=\"municipal\",world=\"" +
                                    world + "\"} 1",
                                "mynasim_notifications_total{attempt=\"1\",outcome=\"delivered\"} 1",
                                "mynasim_system_up{system=\"juki\"} 1", "mynasim_processes{state=\"ready\"} 1"})
    EXPECT_NE(page.body.find(line), std::string::npos) << line << "\n" << page.body;
  EXPECT_NE(page.body.find("mynasim_request_duration_seconds_bucket{endpoint=\"/systems/juki/identify\""),
            std::string::npos);
  EXPECT_NE(page.body.find("mynasim_process_resident_memory_bytes "), std::string::npos);
  if (!prometheus_parser_installed())
    GTEST_SKIP() << "python3-prometheus-client not installed (setup.sh test installs it)";
  bool ok = false;
  auto samples = parse_with_prometheus(page.body, ok);
  EXPECT_TRUE(ok) << samples;
  EXPECT_NE(samples.find("mynasim_requests_total{endpoint=\"/systems/juki/"
                         "identify\",error_code=\"\",status=\"200\",system=\"juki\",world=\"" +
                         world + "\"} 1.0"),
            std::string::npos)
      << samples;
  // The parser is not lenient: a broken page fails it.
  bool broken_ok = true;
  parse_with_prometheus("mynasim_requests_total{system=\"x\" 1\n", broken_ok);
  EXPECT_FALSE(broken_ok);
}

TEST(Metrics, ResponsesAFaultMadeCountUnderTheirEndpointAndLabelsStayBounded) {
  test_server server;
  server.set_clock("2026-12-02T10:00:00+09:00");
  const std::string world = server.world().empty() ? "default" : server.world();
  ASSERT_EQ(
      server.admin("POST", "/__admin/faults", R"({"kind":"http_error","target":"sp","status":503,"error_code":"BUSY"})")
          .status,
      201);
  flow_client flow{&server};
  flow.token("nonsense");
  for (int i = 0; i < 50; ++i) request(server.port("app"), true, "GET", "/no/such/path/" + std::to_string(i));
  auto page = server.admin("GET", "/metrics").body;
  EXPECT_NE(
      page.find(
          "endpoint=\"/online-authorization-web/oauth/token\",error_code=\"BUSY\",status=\"503\",system=\"portal\""),
      std::string::npos)
      << page;
  EXPECT_NE(page.find("mynasim_faults_fired_total{kind=\"http_error\",target=\"sp\"} 1"), std::string::npos);
  // Unknown paths share one label value, whatever they were.
  EXPECT_NE(page.find("endpoint=\"unmatched\",error_code=\"not_found\",status=\"404\",system=\"portal\",world=\"" +
                      world + "\"} 50"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("/no/such/path"), std::string::npos);
}

TEST(Metrics, NeedTheAdminToken) {
  test_server server([](world_config& w) { w.server.admin.bearer_token = "t0k"; });
  EXPECT_EQ(request(server.port("admin"), false, "GET", "/metrics").status, 401);
  EXPECT_EQ(request(server.port("admin"), false, "GET", "/metrics", "", {{"Authorization", "Bearer t0k"}}).status, 200);
}

std::vector<nlohmann::json> events(const std::string& logs, const std::string& name) {
  std::vector<nlohmann::json> out;
  std::size_t start = 0;
  while (start < logs.size()) {
    auto end = logs.find('\n', start);
    if (end == std::string::npos) end = logs.size();
    auto j = nlohmann::json::parse(logs.substr(start, end - start), nullptr, false);
    if (j.is_object() && j.value("event", "") == name) out.push_back(j);
    start = end + 1;
  }
  return out;
}

TEST(EventLog, NotificationsFaultsScenarioStepsClockChangesAndReloads) {
  notification_receiver refusing(500);
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(1);
    w.data.portal.notification_first_retry = std::chrono::milliseconds(20);
    w.data.portal.notification_attempts = 2;
    for (auto& c : w.data.connections) c.notification_url = refusing.url();
  });
  server.set_clock("2026-12-02T10:00:00+09:00");
  ASSERT_EQ(
      server
          .admin(
              "POST", "/__admin/faults",
              R"({"id":"f1","kind":"http_error","target":"municipal","count":1,"status":503,"error_code":"MUNI_BUSY"})")
          .status,
      201);
  flow_client flow{&server};
  auto result = flow.run("taro", "Latest");
  ASSERT_TRUE(refusing.wait_for(2, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto scenario =
      "name: one-step\nsteps:\n  - at: \"2026-12-02T10:00:00+09:00\"\n    note: 年金を止める\n"
      "    add_faults: [{kind: down, target: japan-pension}]\n";
  ASSERT_EQ(request(server.port("admin"), false, "POST", "/__admin/scenarios", scenario,
                    {{"Content-Type", "application/yaml"}})
                .status,
            200);
  server.admin("POST", "/__admin/clock/advance", R"({"by":"PT5M"})");
  server.admin("POST", "/__admin/reload");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto logs = server.logs();
  auto sent = events(logs, "notification");
  ASSERT_EQ(sent.size(), 2u) << logs;
  EXPECT_EQ(sent[0]["attempt"], 1);
  EXPECT_EQ(sent[0]["status"], 500);
  EXPECT_EQ(sent[0]["outcome"], "failed");
  EXPECT_EQ(sent[0]["next_retry_ms"], 20);
  EXPECT_EQ(sent[1]["attempt"], 2);
  EXPECT_TRUE(sent[1]["next_retry_ms"].is_null());
  EXPECT_EQ(sent[0]["url"], refusing.url());
  auto fired = events(logs, "fault_fired");
  ASSERT_GE(fired.size(), 1u) << logs;
  EXPECT_EQ(fired[0]["id"], "f1");
  EXPECT_EQ(fired[0]["kind"], "http_error");
  EXPECT_EQ(fired[0]["target"], "municipal");
  auto steps = events(logs, "scenario_step");
  ASSERT_EQ(steps.size(), 1u) << logs;
  EXPECT_EQ(steps[0]["note"], "年金を止める");
  bool advanced = false;
  for (const auto& c : events(logs, "clock_changed")) advanced = advanced || c["how"] == "advance";
  EXPECT_TRUE(advanced) << logs;
  EXPECT_EQ(events(logs, "reloaded").size(), 1u) << logs;
  // Request lines carry the errorCode, and the fault's id when one shaped the answer.
  bool muni = false;
  for (std::size_t at = 0; (at = logs.find("\"path\":\"/systems/municipal/query\"", at)) != std::string::npos; ++at) {
    auto begin = logs.rfind('\n', at) + 1;
    auto line = nlohmann::json::parse(logs.substr(begin, logs.find('\n', at) - begin));
    muni = muni || (line.value("error_code", "") == "MUNI_BUSY" && line.value("faults", "") == "f1");
  }
  EXPECT_TRUE(muni) << logs;
}

}  // namespace
}  // namespace mynasim::test

namespace mynasim::test {
namespace {

std::set<std::string> lint_rules_found(test_server& server, const std::string& client_id) {
  auto r = server.admin("GET", "/__admin/lint?client_id=" + client_id);
  EXPECT_EQ(r.status, 200) << r.body;
  std::set<std::string> out;
  auto j = nlohmann::json::parse(r.body);
  for (const auto& f : j["findings"]) {
    out.insert(f["rule"].get<std::string>());
    EXPECT_FALSE(f["evidence"].empty()) << f.dump();
    EXPECT_FALSE(f["remedy"].get<std::string>().empty());
  }
  return out;
}

// An app that skips state, polls before the notification, reuses its code and a telegramId:
// the lint names each mistake from the journal; a careful app's calls give no finding but advice.
// An idle split world or a container engine's health checks must not fill the log: probes and
// the world link's own calls are logged only when they fail.
TEST(RequestLog, ProbesAndTheSplitWorldsOwnCallsAreLoggedOnlyWhenTheyFail) {
  test_server server;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(request(server.port("app"), true, "GET", "/readyz").status, 200);
    EXPECT_EQ(request(server.port("admin"), false, "GET", "/healthz").status, 200);
    EXPECT_EQ(request(server.port("admin"), false, "GET", "/__admin/world/state").status, 200);
  }
  EXPECT_EQ(request(server.port("admin"), false, "POST", "/__admin/world/decide", "not json").status, 400);
  EXPECT_EQ(request(server.port("admin"), false, "GET", "/__admin/clock").status, 200);
  std::string logs;
  for (int i = 0; i < 50 && logs.find("\"path\":\"/__admin/clock\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    logs = server.logs();
  }
  EXPECT_NE(logs.find("\"path\":\"/__admin/clock\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("\"path\":\"/__admin/world/decide\""), std::string::npos) << "a failed call is logged";
  for (const char* quiet : {"\"path\":\"/readyz\"", "\"path\":\"/healthz\"", "\"path\":\"/__admin/world/state\""})
    EXPECT_EQ(logs.find(quiet), std::string::npos) << quiet << "\n" << logs;
}

TEST(ConformanceLint, NamesASloppyAppsMistakesFromTheJournal) {
  notification_receiver app;
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(300);
    w.conformance.polling_storm = 3;
    for (auto& c : w.data.connections) c.notification_url = app.url();
  });
  server.set_clock("2026-12-02T10:00:00+09:00");
  const std::string redirect = "http%3A%2F%2Flocalhost%3A3000%2Fcallback";
  // Sloppy: through the screens without state.
  flow_client sloppy{&server};
  auto session_page = request(server.port("app"), true, "GET",
                              "/online-authorization-web/oauth/authorize?response_type=code&client_id=SP00000086_AA0003"
                              "&redirect_uri=" +
                                  redirect);
  ASSERT_EQ(session_page.status, 200);
  auto code = sloppy.authorize_code("taro");
  ASSERT_EQ(parse(sloppy.token(code)).value("token_type", ""), "Bearer");
  sloppy.token(code);  // the same code again
  auto token = sloppy.access_token("taro");
  auto telegram = sloppy.next_telegram_id();
  auto accepted = parse(sloppy.request(token, telegram, "Latest"));
  auto pid = accepted["commonHeader"]["processId"].get<std::string>();
  for (int i = 0; i < 4; ++i) sloppy.result(token, telegram, pid);  // before the notification
  sloppy.request(token, telegram, "Latest");                        // the same telegramId
  auto found = lint_rules_found(server, "SP00000086_AA0003");
  for (const char* rule : {"authorize-without-state", "no-pkce", "code-reused", "polling-before-notification",
                           "polling-storm", "telegram-id-reused"})
    EXPECT_TRUE(found.count(rule)) << rule;
  EXPECT_EQ(server.admin("GET", "/__admin/lint").status, 400);
}

TEST(ConformanceLint, ACarefulAppGetsNoFinding) {
  notification_receiver app;
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(5);
    for (auto& c : w.data.connections) c.notification_url = app.url();
  });
  server.set_clock("2026-12-02T10:00:00+09:00");
  flow_client careful{&server};
  auto token = careful.access_token("taro");  // the test path is not judged as the app's authorize
  auto telegram = careful.next_telegram_id();
  auto pid = parse(careful.request(token, telegram, "Latest"))["commonHeader"]["processId"].get<std::string>();
  ASSERT_TRUE(app.wait_for_process(pid, std::chrono::seconds(5)));
  auto result = parse(careful.result(token, telegram, pid));
  EXPECT_EQ(result["commonHeader"]["errorCode"], "");
  EXPECT_TRUE(lint_rules_found(server, "SP00000086_AA0003").empty());
}

// The server's I/O threads carry a name, for top -H, perf --comm and /proc.
TEST(Threads, IoThreadsAreNamed) {
  test_server server;  // two I/O threads, started in the background
  int named = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    named += name == "mynasim-io";
  }
  EXPECT_GE(named, 2);
}

}  // namespace
}  // namespace mynasim::test
