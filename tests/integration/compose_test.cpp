// docker-compose.yml and the Dockerfile cannot run here (no engine): check instead that
// every command, flag, port and health URL they use exists in the CLI and the default world,
// and that the Dockerfile builds with the same commands as the README's run script.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "cli/cli.hpp"
#include "config/world.hpp"

namespace mynasim {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string root = MYNASIM_SOURCE_DIR;

std::vector<std::string> as_list(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(item.as<std::string>());
  return out;
}

TEST(Compose, EveryServiceCommandParsesAndNamesKnownSystems) {
  auto compose = YAML::LoadFile(root + "/docker-compose.yml");
  auto world = load_world(root + "/fixtures/world.yaml");
  ASSERT_TRUE(compose["services"]["mynasim"]);
  int split = 0;
  for (const auto& kv : compose["services"]) {
    auto name = kv.first.as<std::string>();
    auto command = as_list(kv.second["command"]);
    std::string error;
    auto cmd = parse_command_line(command, error);
    ASSERT_TRUE(cmd) << name << ": " << error;
    EXPECT_EQ(cmd->command, "serve") << name;
    if (cmd->has("--only")) {
      ++split;
      for (const auto& id : cmd->options.at("--only")) {
        EXPECT_TRUE(world.find_system(id)) << name << ": --only " << id;
        if (id != "portal") {
          EXPECT_EQ(name, id) << "the container is named after the system it runs";
        }
      }
    }
    if (auto t = cmd->value("--peer-url-template")) {
      EXPECT_NE(t->find("{id}"), std::string::npos);
    }
  }
  EXPECT_EQ(split, 15) << "the split profile runs every system of the default world";
}

TEST(Compose, PortsAndHealthUrlsMatchTheDefaultListeners) {
  auto compose = YAML::LoadFile(root + "/docker-compose.yml");
  auto world = load_world(root + "/fixtures/world.yaml");
  const auto& s = world.server;
  std::set<int> listener_ports = {s.app.port, s.sp.port, s.admin.port, s.systems.port};
  std::regex url(R"((https?)://localhost:(\d+)(/\S*))");
  for (const auto& kv : compose["services"]) {
    auto name = kv.first.as<std::string>();
    if (kv.second["ports"])
      for (const auto& p : as_list(kv.second["ports"])) {
        auto container_port = std::stoi(p.substr(p.rfind(':') + 1));
        EXPECT_TRUE(listener_ports.count(container_port)) << name << ": " << p;
      }
    // yaml-cpp does not expand `<<` merge keys: back-end services inherit x-backend's check.
    YAML::Node health = kv.second["healthcheck"] ? kv.second["healthcheck"]["test"] : compose["x-backend"]["healthcheck"]["test"];
    std::string joined;
    for (const auto& part : as_list(health)) joined += part + " ";
    std::smatch m;
    ASSERT_TRUE(std::regex_search(joined, m, url)) << name << ": " << joined;
    int port = std::stoi(m[2]);
    std::string path = m[3];
    EXPECT_TRUE(path == "/readyz" || path == "/healthz") << name << ": " << path;
    bool tls = m[1] == "https";
    if (port == s.app.port) EXPECT_EQ(tls, s.app.tls.enabled) << name;
    else EXPECT_EQ(port, s.systems.port) << name;
  }
}

TEST(Compose, DockerfileBuildsWithTheReadmeCommands) {
  auto dockerfile = read_file(root + "/Dockerfile");
  auto run_script = read_file(root + "/scripts/run.sh");
  for (const char* step : {"./scripts/setup.sh", "./scripts/build.sh release --target mynasim"}) {
    EXPECT_NE(run_script.find(step), std::string::npos) << step;
    EXPECT_NE(dockerfile.find("RUN " + std::string(step)), std::string::npos) << step;
  }
  auto readme = read_file(root + "/README.md");
  EXPECT_NE(readme.find("./scripts/run.sh"), std::string::npos);
  EXPECT_NE(readme.find("./scripts/test.sh"), std::string::npos);
  auto ci = read_file(root + "/.ci/run");
  EXPECT_NE(ci.find("./scripts/test.sh"), std::string::npos);
}

}  // namespace
}  // namespace mynasim
