// SPDX-License-Identifier: Apache-2.0
#include "test_server.hpp"

#include <cstdlib>
#include <map>
#include <mutex>

namespace mynasim::test {

std::string test_certs_dir() {
  static std::once_flag once;
  static std::string dir = std::string(MYNASIM_TEST_CERTS_DIR);
  std::call_once(once, [] {
    server_config s;
    s.certs_dir = dir;
    s.certs_script = std::string(MYNASIM_SOURCE_DIR) + "/certs/generate.sh";
    ensure_certificates(s);
  });
  return dir;
}

world_config test_world() {
  return test_world(std::string(MYNASIM_SOURCE_DIR) + "/fixtures/world.yaml");
}

world_config test_world(const std::string& entry_file) {
  auto w = load_world(entry_file);
  auto& s = w.server;
  for (auto* l : {&s.app, &s.sp, &s.admin, &s.systems}) l->port = 0;
  s.certs_dir = test_certs_dir();
  s.threads = 2;
  s.read_timeout = std::chrono::milliseconds(800);
  s.write_timeout = std::chrono::milliseconds(2000);
  s.handshake_timeout = std::chrono::milliseconds(800);
  s.shutdown_grace = std::chrono::milliseconds(500);
  s.body_limit = 64 * 1024;
  s.header_limit = 8 * 1024;
  w.clock.start = parse_instant("2026-11-27T10:00:00+09:00");
  w.clock.frozen = true;
  return w;
}

test_server::test_server(std::function<void(world_config&)> customize, app_options options) {
  auto w = test_world();
  if (customize) customize(w);
  options.out = &logs_;
  const auto token = options.admin_token.value_or(w.server.admin.bearer_token);
  app_ = std::make_unique<simulator_app>(std::move(w), options);
  app_->start();
  // The suite once more inside a named world (scripts/test.sh): every request of the tests goes
  // to it through /worlds/{id}/, the default world stays idle. Not in a split world: named
  // worlds live in one process (a follower does not follow them yet).
  const char* world = std::getenv("MYNASIM_TEST_WORLD");
  if (world && *world && port("admin") && options.world_owner.empty()) {
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    auto made =
        request(port("admin"), false, "POST", "/__admin/worlds", std::string(R"({"id":")") + world + "\"}", headers);
    if (made.status != 201) throw std::runtime_error("MYNASIM_TEST_WORLD: cannot create the world: " + made.body);
    world_ = world;
    for (const char* listener : {"app", "sp", "admin", "systems"})
      if (port(listener)) set_world_prefix(port(listener), "/worlds/" + world_);
  }
}

test_server::~test_server() {
  for (const char* listener : {"app", "sp", "admin", "systems"})
    if (!world_.empty() && port(listener)) clear_world_prefix(port(listener));
  app_->shutdown();
  app_->join();
}

void test_server::set_clock(const std::string& iso) {
  auto res = admin("PUT", "/__admin/clock", "{\"now\": \"" + iso + "\", \"frozen\": true}");
  if (res.status != 200) throw std::runtime_error("cannot set clock: " + res.body);
}

}  // namespace mynasim::test
