// The control room, the landing page and the portal screens in headless Chromium: starts
// mynasim on port 0 with an API user's endpoint and runs tests/browser/control_room.mjs
// (playwright-core) against it. Screenshots land in <build>/browser-artifacts.
// Without Chromium or playwright-core the test is skipped with the reason — unless
// MYNASIM_REQUIRE_BROWSER=1 (scripts/test.sh after `setup.sh test`), where that is a failure.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

#ifdef MYNASIM_NODE
std::string chromium_path() {
  if (const char* p = std::getenv("MYNASIM_CHROMIUM")) return p;
  return "/usr/bin/chromium";
}

std::string browser_dir() { return std::string(MYNASIM_SOURCE_DIR) + "/tests/browser"; }

std::string missing_browser_tools() {
  namespace fs = std::filesystem;
  if (!fs::exists(chromium_path())) return chromium_path() + " not found (Debian package chromium)";
  if (!fs::exists(browser_dir() + "/node_modules/playwright-core/package.json"))
    return "playwright-core not installed (npm ci --prefix tests/browser)";
  return "";
}

TEST(BrowserControlRoom, YearEndFaultsFlowsAndCardsInChromium) {
  if (auto missing = missing_browser_tools(); !missing.empty()) {
    const char* required = std::getenv("MYNASIM_REQUIRE_BROWSER");
    if (required && std::string(required) == "1") FAIL() << missing;
    GTEST_SKIP() << missing;
  }
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
                    "/ca.crt --client-id " + client_id + " --redirect-uri " + base + "/callback --out " + out_dir + " 2>&1";
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
#endif

}  // namespace
}  // namespace mynasim::test
