// SPDX-License-Identifier: Apache-2.0
// The README's snippets, run as written (taken from README.md itself), twice in a row, against
// a server on port 0 (or none): base URLs and the binary's folder are all that is set from outside.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "flow_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

// The ```sh block after `marker` in README.md.
std::string readme_block(const std::string& marker) {
  std::ifstream in(std::string(MYNASIM_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto at = text.find(marker);
  if (at == std::string::npos) return "";
  auto open = text.find("```sh\n", at);
  auto close = text.find("\n```", open + 6);
  if (open == std::string::npos || close == std::string::npos) return "";
  return text.substr(open + 6, close - open - 6 + 1);
}

std::string run_bash(const std::string& script, const std::string& env, int& status) {
  auto path = std::string(::testing::TempDir()) + "readme-snippet-" + std::to_string(::getpid()) + ".sh";
  std::ofstream(path) << "set -u\n" << script;
  std::string out;
  if (FILE* p = ::popen((env + " bash " + path + " 2>&1").c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    status = ::pclose(p);
  }
  std::remove(path.c_str());
  return out;
}

TEST(ReadmeSnippet, WebFlowRunsAsWrittenTwice) {
  auto snippet = readme_block("<!-- snippet:web-flow");
  ASSERT_FALSE(snippet.empty()) << "README.md has no web-flow snippet";
  test_server server([](world_config& w) { w.data.portal.processing_delay = std::chrono::milliseconds(50); });
  server.set_clock("2026-12-02T10:00:00+09:00");  // a weekday morning: every holder open
  // In the suite's run inside a named world, the snippet's base URLs are that world's.
  std::string env = "A=https://localhost:" + std::to_string(server.port("app")) + server.base() +
                    " S=https://localhost:" + std::to_string(server.port("sp")) + server.base();
  for (int run = 1; run <= 2; ++run) {
    int status = -1;
    auto out = run_bash(snippet, env, status);
    EXPECT_EQ(status, 0) << "run " << run << ":\n" << out;
    EXPECT_NE(out.find("processId "), std::string::npos) << out;
    auto last = out.substr(out.rfind('{') == std::string::npos ? 0 : out.find("\n{") + 1);
    auto result = nlohmann::json::parse(last, nullptr, false);
    ASSERT_TRUE(result.is_object()) << "run " << run << ":\n" << out;
    EXPECT_EQ(result["commonHeader"]["telegramType"], "IFA0303-S01") << out;
    EXPECT_EQ(result["commonHeader"]["errorCode"], "") << out;
    EXPECT_NE(out.find("selfPersonalData"), std::string::npos) << out;
  }
}

TEST(ReadmeSnippet, WorldsRunAsWritten) {
  auto snippet = readme_block("<!-- snippet:worlds");
  ASSERT_FALSE(snippet.empty()) << "README.md has no worlds snippet";
  test_server server;
  const auto before = nlohmann::json::parse(server.admin("GET", "/__admin/clock").body)["now"];
  for (int run = 1; run <= 2; ++run) {
    int status = -1;
    auto out = run_bash(snippet, "ADMIN=http://127.0.0.1:" + std::to_string(server.port("admin")), status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("world w-"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("now":"2026-12-29T10:00:00+09:00")"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("deleted":"w-)"), std::string::npos) << out;
  }
  EXPECT_EQ(nlohmann::json::parse(server.admin("GET", "/__admin/clock").body)["now"], before);
  EXPECT_EQ(nlohmann::json::parse(server.admin("GET", "/__admin/worlds").body)["count"],
            server.world().empty() ? 0 : 1);
}

TEST(ReadmeSnippet, CiServiceRunsAsWritten) {
  auto snippet = readme_block("<!-- snippet:ci-service");
  ASSERT_FALSE(snippet.empty()) << "README.md has no ci-service snippet";
  auto dir = std::string(::testing::TempDir()) + "readme-ci-" + std::to_string(::getpid());
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  for (int run = 1; run <= 2; ++run) {
    int status = -1;
    auto out = run_bash(
        snippet, "cd " + dir + " && MYNASIM=" + MYNASIM_BINARY + " MYNASIM_CERTS_DIR=" + test_certs_dir(), status);
    EXPECT_EQ(status, 0) << "run " << run << ":\n" << out;
    EXPECT_NE(out.find("mynasim ready: https://127.0.0.1:"), std::string::npos) << out;
    EXPECT_EQ(out.find(":8443"), std::string::npos) << "free ports, not the defaults: " << out;
    EXPECT_FALSE(std::ifstream(dir + "/mynasim.json").good())
        << "run " << run << ": the ready file outlived its process";
  }
  std::system(("rm -rf " + dir).c_str());
}

TEST(ReadmeSnippet, OfflineCalendarRunsAsWrittenTwice) {
  auto snippet = readme_block("<!-- snippet:offline");
  ASSERT_FALSE(snippet.empty()) << "README.md has no offline snippet";
  std::string binary_dir = MYNASIM_BINARY;
  binary_dir.resize(binary_dir.rfind('/'));
  for (int run = 1; run <= 2; ++run) {
    int status = -1;
    auto out = run_bash(snippet, "PATH=" + binary_dir + ":$PATH", status);
    EXPECT_EQ(status, 0) << "run " << run << ":\n" << out;
    EXPECT_NE(out.find("\"system\": \"juki\""), std::string::npos) << out;  // the timeline, as JSON
    EXPECT_NE(out.find("2027-01-01\t元日"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace mynasim::test
