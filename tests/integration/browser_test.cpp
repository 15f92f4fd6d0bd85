// SPDX-License-Identifier: Apache-2.0
// The control room, the landing page and the portal screens in headless Chromium: starts
// mynasim on port 0 with an API user's endpoint and runs tests/browser/control_room.mjs
// (playwright-core) against it. Screenshots land in <build>/browser-artifacts.
// Without Chromium or playwright-core the test is skipped with the reason — unless
// MYNASIM_REQUIRE_BROWSER=1 (scripts/test.sh after `setup.sh test`), where that is a failure.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "flow_client.hpp"
#include "process.hpp"

namespace mynasim::test {
namespace {

#ifdef MYNASIM_NODE
std::string chromium_path() {
  if (const char* p = std::getenv("MYNASIM_CHROMIUM")) return p;
  return "/usr/bin/chromium";
}

std::string browser_dir() {
  return std::string(MYNASIM_SOURCE_DIR) + "/tests/browser";
}

std::string missing_browser_tools() {
  namespace fs = std::filesystem;
  if (!fs::exists(chromium_path())) return chromium_path() + " not found (Debian package chromium)";
  if (!fs::exists(browser_dir() + "/node_modules/playwright-core/package.json"))
    return "playwright-core not installed (npm ci --prefix tests/browser)";
  return "";
}

// Skips the test when Chromium or playwright-core is missing — a failure under
// MYNASIM_REQUIRE_BROWSER=1.
#define SKIP_OR_FAIL_WITHOUT_BROWSER()                               \
  if (auto missing = missing_browser_tools(); !missing.empty()) {    \
    const char* required = std::getenv("MYNASIM_REQUIRE_BROWSER");   \
    if (required && std::string(required) == "1") FAIL() << missing; \
    GTEST_SKIP() << missing;                                         \
  }

TEST(BrowserControlRoom, YearEndFaultsFlowsAndCardsInChromium) {
  SKIP_OR_FAIL_WITHOUT_BROWSER();
  notification_receiver app;  // the API user: callback page and IF001-05 endpoint
  std::string base = app.url().substr(0, app.url().rfind("/myna/notify"));
  const std::string client_id = "SP00000086_AA0003";
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(20);
    for (auto& s : w.data.services)
      if (s.client_id == client_id) s.redirect_uris.insert(s.redirect_uris.begin(), base + "/callback");
    for (auto& c : w.data.connections)
      if (c.client_id == client_id) c.notification_url = app.url();
    auto hostile = w.data.personas.front();
    hostile.id = "hostile";
    hostile.name = "<script>window.__pwned=1</script>";
    hostile.card.serial = "MC00099999";
    w.data.personas.push_back(hostile);
    w.data.reindex();
  });
  std::string out_dir = std::string(MYNASIM_BUILD_DIR) + "/browser-artifacts";
  std::string cmd = std::string(MYNASIM_NODE) + " " + browser_dir() + "/control_room.mjs" +
                    " --app https://localhost:" + std::to_string(server.port("app")) +
                    " --admin http://127.0.0.1:" + std::to_string(server.port("admin")) +
                    " --sp https://localhost:" + std::to_string(server.port("sp")) + " --ca " + test_certs_dir() +
                    "/ca.crt --client-id " + client_id + " --redirect-uri " + base + "/callback --out " + out_dir +
                    " 2>&1";
  std::string out;
  int status = -1;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    status = ::pclose(p);
  }
  std::cout << out;
  std::ofstream(out_dir + "/control_room.log") << out;  // kept with the screenshots
  if (status != 0) std::ofstream(out_dir + "/control_room.failed.log") << out;
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("# all browser checks passed"), std::string::npos) << out;
  for (const char* shot : {"control-room-timeline-desktop.png", "control-room-flows-mobile.png", "landing-mobile.png",
                           "portal-card-locked-desktop.png"})
    EXPECT_TRUE(std::filesystem::exists(out_dir + "/" + shot)) << shot;
}

// The conformance plan against the two sample API users of examples/, their flows driven
// through the portal's real screens in Chromium (tests/browser/conformance.mjs), the run
// started and followed by `mynasim conformance run`, whose JUnit report is read back as a CI
// system would (tests/tools/junit_summary.py).
struct plan_outcome {
  int cli_exit = -1;
  std::string cli_out, driver_out;
  nlohmann::json junit, report;
};

// `browser`: the flows go through the portal's screens in Chromium; else the run completes the
// screens itself (--complete-screens) and an HTTP client that follows redirects drives the app
// (tests/tools/conformance_http.py).
plan_outcome run_plan_against(const std::string& app_script, const std::string& label, bool browser) {
  plan_outcome o;
  const std::string client_id = "SP00000086_AA0010";
  test_server server([](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(20);
    w.conformance.settle = std::chrono::milliseconds(1000);
  });
  auto port = [&](const char* l) { return std::to_string(server.port(l)); };
  child_process app(MYNASIM_NODE, {std::string(MYNASIM_SOURCE_DIR) + "/examples/" + app_script, "--port", "0",
                                   "--client", client_id, "--portal", "https://localhost:" + port("app"), "--sp",
                                   "https://localhost:" + port("sp"), "--ca", test_certs_dir() + "/ca.crt"});
  auto line = app.wait_for_line("listening on ", 10000);
  EXPECT_FALSE(line.empty()) << app.output();
  if (line.empty()) return o;
  auto base = line.substr(line.find("http://"));
  // The team's own service, registered at runtime (no fixture copied).
  auto service = server.admin(
      "PUT", "/__admin/services/" + client_id,
      R"({"provider_name":"○○銀行","name":"○○銀行 カードローン事前審査","purpose":"カードローンの事前審査",)"
      R"("items":["TM00000000000003","TM00000000000023"],"redirect_uris":[")" +
          base + R"(/callback"]})");
  EXPECT_EQ(service.status, 201) << service.body;
  auto connection =
      server.admin("PUT", "/__admin/connections/" + client_id, R"({"notification_url":")" + base + R"(/myna/notify"})");
  EXPECT_EQ(connection.status, 201) << connection.body;

  std::string out_dir = std::string(MYNASIM_BUILD_DIR) + "/browser-artifacts/conformance-" + label;
  std::filesystem::create_directories(out_dir);
  std::vector<std::string> cli_args{"conformance", "run",
                                    "--client-id", client_id,
                                    "--admin",     "http://127.0.0.1:" + port("admin"),
                                    "--junit",     out_dir + "/junit.xml",
                                    "--json",      out_dir + "/report.json",
                                    "--markdown",  out_dir + "/report.md",
                                    "--timeout",   "10"};
  if (!browser) cli_args.push_back("--complete-screens");
  child_process cli(cli_args);
  std::string cmd = browser ? std::string(MYNASIM_NODE) + " " + browser_dir() +
                                  "/conformance.mjs --admin http://127.0.0.1:" + port("admin") + " --app " + base +
                                  " --client-id " + client_id + " --out " + out_dir + " 2>&1"
                            : "/usr/bin/python3 " + std::string(MYNASIM_SOURCE_DIR) +
                                  "/tests/tools/conformance_http.py --admin http://127.0.0.1:" + port("admin") +
                                  " --app " + base + " --client-id " + client_id + " --ca " + test_certs_dir() +
                                  "/ca.crt --out " + out_dir + " 2>&1";
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) o.driver_out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << o.driver_out;
  }
  o.cli_exit = cli.wait(60000);
  o.cli_out = cli.output();
  std::ofstream(out_dir + "/driver.log") << o.driver_out;
  std::ofstream(out_dir + "/cli.log") << o.cli_out;
  std::string summary;
  if (FILE* p = ::popen(("/usr/bin/python3 " + std::string(MYNASIM_SOURCE_DIR) + "/tests/tools/junit_summary.py " +
                         out_dir + "/junit.xml")
                            .c_str(),
                        "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) summary.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << summary;
  }
  o.junit = nlohmann::json::parse(summary, nullptr, false);
  std::ifstream report(out_dir + "/report.json");
  o.report = nlohmann::json::parse(report, nullptr, false);
  return o;
}

// The evidence of a failed test: its journal entries' paths and error codes, in one string.
std::string evidence_of(const nlohmann::json& report, const std::string& name) {
  std::string out;
  for (const auto& t : report["tests"])
    if (t["name"] == name)
      for (const auto& e : t["evidence"])
        out += e.value("direction", "") + " " + e.value("path", "") + " " + e.value("error_code", "") + " " +
               std::to_string(e.value("status", 0)) + "; ";
  return out;
}

// The sample bank app's plan with no browser at all: the portal completes the screens.
TEST(ConformanceSampleApps, CarefulBankAppPassesEveryTestWithoutABrowser) {
  auto o = run_plan_against("bank-app/app.mjs", "careful", false);
  std::cout << o.cli_out;
  EXPECT_EQ(o.cli_exit, 0) << o.cli_out << o.driver_out;
  ASSERT_TRUE(o.junit.is_object()) << o.driver_out;
  EXPECT_EQ(o.junit["tests"], 15);  // 13 tests, happy-path once per query method (3)
  EXPECT_EQ(o.junit["failures"], 0);
  EXPECT_EQ(o.junit["skipped"], 0);
  for (const auto& [name, verdict] : o.junit["cases"].items()) EXPECT_EQ(verdict, "pass") << name << "\n" << o.cli_out;
  // The partial result as the person sees it: which holder gave nothing, and why, in Japanese.
  std::ifstream page(std::string(MYNASIM_BUILD_DIR) + "/browser-artifacts/conformance-careful/partial-result.html");
  std::stringstream html;
  html << page.rdbuf();
  EXPECT_NE(html.str().find("data-testid=\"partial\""), std::string::npos) << html.str();
  EXPECT_NE(html.str().find("この機関だけが応答しません"), std::string::npos) << html.str();  // the reason
  EXPECT_EQ(html.str().find("unavailable"), std::string::npos) << html.str();
}

TEST(ConformanceSampleApps, SloppyAppFailsExactlyWhatItWasWrittenToFail) {
  SKIP_OR_FAIL_WITHOUT_BROWSER();
  auto o = run_plan_against("sloppy-app/app.mjs", "sloppy", true);
  std::cout << o.cli_out;
  EXPECT_EQ(o.cli_exit, 1) << o.cli_out << o.driver_out;
  ASSERT_TRUE(o.junit.is_object()) << o.driver_out;
  // The shortcuts listed at the top of examples/sloppy-app/app.mjs, and the evidence of each.
  std::map<std::string, std::vector<std::string>> expected_failures = {
      {"happy-path[date]", {"/online-resource-web/result MPE3008"}},
      {"happy-path[range]", {"/online-resource-web/result MPE3008"}},
      {"happy-path[latest]", {"/online-resource-web/result MPE3008"}},
      {"state-forged", {"/online-authorization-web/oauth/token"}},
      {"juki-year-end", {"/online-resource-web/request"}},
      {"partial-result", {"/online-resource-web/result MPE5001", "/online-resource-web/request"}},
      {"notification-ack", {"out /myna/notify"}},
      {"notification-duplicated", {"/online-resource-web/result"}},
      {"result-expired", {"/online-resource-web/result MPE3009"}},
  };
  EXPECT_EQ(o.junit["failures"], expected_failures.size());
  for (const auto& [name, verdict] : o.junit["cases"].items()) {
    auto it = expected_failures.find(name);
    EXPECT_EQ(verdict, it == expected_failures.end() ? "pass" : "fail") << name << "\n" << o.cli_out;
    if (it == expected_failures.end()) continue;
    auto evidence = evidence_of(o.report, name);
    for (const auto& needle : it->second)
      EXPECT_NE(evidence.find(needle), std::string::npos) << name << ": " << evidence;
  }
  EXPECT_NE(evidence_of(o.report, "juki-year-end").find("MPE4003"), std::string::npos)
      << evidence_of(o.report, "juki-year-end");
}
#endif

}  // namespace
}  // namespace mynasim::test
