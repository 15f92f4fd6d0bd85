// SPDX-License-Identifier: Apache-2.0
// Starts the real simulator in-process on port 0 for integration tests: the default world,
// certificates generated once into the build tree, short deadlines, a frozen clock.
#pragma once

#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "app/app.hpp"
#include "test_client.hpp"
#include "world/runtime.hpp"

namespace mynasim::test {

// The default world with every listener on port 0 and test-friendly limits.
world_config test_world();
// Another world file with the same test settings.
world_config test_world(const std::string& entry_file);
std::string test_certs_dir();

class test_server {
 public:
  explicit test_server(std::function<void(world_config&)> customize = {}, app_options options = {});
  ~test_server();

  std::uint16_t port(const std::string& listener) const { return app_->port(listener); }
  // The runtime state of the world the suite runs in: the default world, or the named world
  // of MYNASIM_TEST_WORLD.
  world_runtime& runtime() { return world_.empty() ? app_->runtime() : *app_->runtime(world_); }
  // "" or the named world every request of this server's clients goes to (MYNASIM_TEST_WORLD).
  const std::string& world() const { return world_; }
  // The path prefix of that world: "" or "/worlds/{id}" (what its pages' links start with).
  std::string base() const { return world_.empty() ? "" : "/worlds/" + world_; }
  simulator_app& app() { return *app_; }
  std::string logs() const { return logs_.str(); }

  client_response admin(const std::string& method, const std::string& target, const std::string& body = "") {
    return request(port("admin"), false, method, target, body, {{"Content-Type", "application/json"}});
  }
  // Sets the virtual clock (frozen) to an ISO-8601 instant.
  void set_clock(const std::string& iso);

 private:
  std::ostringstream logs_;
  std::unique_ptr<simulator_app> app_;
  std::string world_;
};

}  // namespace mynasim::test
