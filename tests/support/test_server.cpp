// SPDX-License-Identifier: Apache-2.0
#include "test_server.hpp"

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
  app_ = std::make_unique<simulator_app>(std::move(w), options);
  app_->start();
}

test_server::~test_server() {
  app_->shutdown();
  app_->join();
}

void test_server::set_clock(const std::string& iso) {
  auto res = admin("PUT", "/__admin/clock", "{\"now\": \"" + iso + "\", \"frozen\": true}");
  if (res.status != 200) throw std::runtime_error("cannot set clock: " + res.body);
}

}  // namespace mynasim::test
