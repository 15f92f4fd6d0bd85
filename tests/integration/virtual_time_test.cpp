// SPDX-License-Identifier: Apache-2.0
// The virtual now where an app under test can follow it: a header on every answer of every
// listener, GET /__admin/clock/faketime, and --faketime-dir's files for libfaketime, per world.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits (bounded) until `path` holds `expected` (or, with "", is gone).
bool file_becomes(const fs::path& path, const std::string& expected) {
  for (int i = 0; i < 100; ++i) {
    if (expected.empty() ? !fs::exists(path) : read_file(path) == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(VirtualTime, EveryAnswerOfEveryListenerCarriesTheWorldsVirtualNow) {
  test_server server;
  server.set_clock("2026-12-29T10:00:00+09:00");
  flow_client app{&server};
  app.prefix = server.base();
  const std::string now = "2026-12-29T10:00:00+09:00";
  auto clock = server.admin("GET", "/__admin/clock");
  EXPECT_EQ(clock.header("mynasim-virtual-time"), now);
  ASSERT_FALSE(clock.body.empty());
  EXPECT_EQ(clock.body.back(), '\n');                                // admin JSON ends with a newline, for curl users
  EXPECT_EQ(app.authorize("").header("mynasim-virtual-time"), now);  // the consent page
  EXPECT_EQ(app.token("nope").header("mynasim-virtual-time"), now);  // an error answer too
  auto faketime = server.admin("GET", "/__admin/clock/faketime");
  EXPECT_EQ(faketime.status, 200);
  EXPECT_EQ(faketime.body, "2026-12-29 10:00:00\n");  // frozen: an absolute JST time
}

TEST(VirtualTime, FaketimeFilesFollowEachWorldsClockAndGoWithIt) {
  auto dir = fs::temp_directory_path() / ("mynasim-faketime-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  app_options options;
  options.faketime_dir = dir.string();
  {
    test_server server({}, options);
    const auto own = server.world().empty() ? dir / "default" : dir / "worlds" / server.world();
    server.set_clock("2026-12-29T10:00:00+09:00");
    EXPECT_TRUE(file_becomes(own, "2026-12-29 10:00:00\n")) << read_file(own);
    // Running again: an offset from the wall clock, within a second of the virtual now.
    ASSERT_EQ(server.admin("PUT", "/__admin/clock", R"({"frozen":false})").status, 200);
    std::string line;
    for (int i = 0; i < 100 && (line = read_file(own)).rfind('+', 0) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(line.rfind('+', 0), 0u) << line;
    auto wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto offset = std::stod(line.substr(1));
    auto virtual_now = *parse_instant("2026-12-29T10:00:00+09:00");
    auto expected = std::chrono::duration<double>(virtual_now.time_since_epoch()).count() - wall;
    EXPECT_NEAR(offset, expected, 1.0) << line;
    // A named world has its own file, gone with the world.
    auto made = server.admin("POST", "/__admin/worlds", R"({"id":"ft-world","clock":"2027-01-04T09:00:00+09:00"})");
    ASSERT_EQ(made.status, 201) << made.body;
    EXPECT_TRUE(file_becomes(dir / "worlds" / "ft-world", "2027-01-04 09:00:00\n"));
    ASSERT_EQ(server.admin("DELETE", "/__admin/worlds/ft-world").status, 200);
    EXPECT_TRUE(file_becomes(dir / "worlds" / "ft-world", ""));
    EXPECT_TRUE(fs::exists(own));
  }
  EXPECT_FALSE(fs::exists(dir / "default"));  // removed at stop
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mynasim::test
