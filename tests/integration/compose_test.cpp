// SPDX-License-Identifier: Apache-2.0
// docker-compose.yml and the Dockerfile cannot run here (no engine): check instead that
// every command, flag, port and health URL they use exists in the CLI and the default world,
// and that the Dockerfile builds with the same commands as the README's run script.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/cli.hpp"
#include "config/world.hpp"
#include "config/yaml_reader.hpp"
#include "flow_client.hpp"

namespace mynasim {
namespace {
namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string root = MYNASIM_SOURCE_DIR;

// Every scalar as a string, as the files are written.
nlohmann::json load_yaml(const std::string& path) {
  return yaml_to_json(load_yaml_file(path), false);
}

std::vector<std::string> as_list(const nlohmann::json& n) {
  return n.get<std::vector<std::string>>();
}

// A profile's one-shot check that the other profile is not running (no-split-running, …).
bool is_guard(const std::string& service) {
  return service.starts_with("no-") && service.ends_with("-running");
}

TEST(Compose, EveryServiceCommandParsesAndNamesKnownSystems) {
  auto compose = load_yaml(root + "/docker-compose.yml");
  auto world = load_world(root + "/fixtures/world.yaml");
  ASSERT_TRUE(compose["services"].contains("mynasim"));
  int split = 0;
  for (const auto& [name, service] : compose["services"].items()) {
    if (is_guard(name)) continue;  // a profile's guard (below), not a mynasim
    auto command = as_list(service["command"]);
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
    // Every follower of a split world follows the service that runs the portal, at its admin port.
    if (cmd->has("--only") && cmd->options.at("--only") != std::vector<std::string>{"portal"}) {
      EXPECT_EQ(cmd->value("--world-owner").value_or(""), "http://portal:" + std::to_string(world.server.admin.port))
          << name;
    }
  }
  EXPECT_EQ(split, 15) << "the split profile runs every system of the default world";
}

// The services a profile set starts: those without profiles, and those naming an active one.
std::vector<std::string> active_services(const nlohmann::json& compose, const std::set<std::string>& profiles) {
  std::vector<std::string> out;
  for (const auto& [name, service] : compose["services"].items()) {
    bool on = !service.contains("profiles");
    if (service.contains("profiles"))
      for (const auto& p : as_list(service["profiles"])) on = on || profiles.count(p);
    if (on) out.push_back(name);
  }
  return out;
}

std::string compose_profiles_from_dotenv() {
  std::istringstream env(read_file(root + "/.env"));
  for (std::string line; std::getline(env, line);)
    if (line.rfind("COMPOSE_PROFILES=", 0) == 0) return line.substr(17);
  return "";
}

// Renders docker-compose.yml with the real tool (interpolation, merge keys) when it is
// installed, and checks what `docker compose up` and `docker compose --profile split up`
// would start: one world each, and no host port published twice.
TEST(Compose, EachProfileRendersAndPublishesEveryHostPortOnce) {
  std::string tool;
  for (const char* candidate : {"docker-compose", "docker compose"})
    if (std::system((std::string(candidate) + " version >/dev/null 2>&1").c_str()) == 0) {
      tool = candidate;
      break;
    }
  if (tool.empty()) GTEST_SKIP() << "docker-compose is not installed (scripts/setup.sh installs it for the tests)";
  auto out = fs::temp_directory_path() / ("mynasim-compose-" + std::to_string(::getpid()) + ".yml");
  auto cmd = "cd '" + root + "' && env -u COMPOSE_PROFILES -u MYNASIM_WORLD_DIR -u MYNASIM_PUBLISH_ADDRESS " + tool +
             " config > '" + out.string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(out.string());
  auto rendered = load_yaml(out.string());
  fs::remove(out);
  auto by_default = compose_profiles_from_dotenv();
  ASSERT_EQ(by_default, "single") << ".env makes the one-container world the default";
  for (const auto& [label, profiles] : std::vector<std::pair<std::string, std::set<std::string>>>{
           {"docker compose up", {by_default}}, {"docker compose --profile split up", {"split"}}}) {
    auto services = active_services(rendered, profiles);
    std::map<std::string, std::string> published;  // host port → service
    int portals = 0;
    for (const auto& name : services) {
      const auto& svc = rendered["services"][name];
      if (is_guard(name)) continue;  // the profile's guard
      auto command = as_list(svc["command"]);
      std::string error;
      auto parsed = parse_command_line(command, error);
      ASSERT_TRUE(parsed) << label << ": " << name << ": " << error;
      auto only = parsed->has("--only") ? parsed->options.at("--only") : std::vector<std::string>{};
      portals += only.empty() || std::find(only.begin(), only.end(), "portal") != only.end();
      EXPECT_EQ(svc["environment"]["MYNASIM_ADMIN_TOKEN"], "dev-admin-token") << name;
      EXPECT_EQ(svc["environment"]["MYNASIM_CERTS_DIR"], "/var/lib/mynasim/certs") << name;
      bool certs_volume = false, world_volume = false;
      for (const auto& v : svc["volumes"]) {
        // v1 renders "source:target:mode" strings; v2 renders mappings.
        std::string target = v.is_string() ? v.get<std::string>() : v["target"].get<std::string>();
        certs_volume = certs_volume || target.find("/var/lib/mynasim/certs") != std::string::npos;
        world_volume = world_volume || target.find("/world") != std::string::npos;
      }
      EXPECT_TRUE(certs_volume && world_volume) << name;
      EXPECT_TRUE(svc.contains("build")) << label << ": " << name << " does not build its image";
      if (svc.contains("ports"))
        for (const auto& p : svc["ports"]) {
          // v1 renders "address:host:container"; v2 a mapping. Only the host's loopback by default.
          std::string host, address;
          if (p.is_string()) {
            auto text = p.get<std::string>();
            auto head = text.substr(0, text.rfind(':'));  // "address:host" or "host"
            auto colon = head.rfind(':');
            host = colon == std::string::npos ? head : head.substr(colon + 1);
            address = colon == std::string::npos ? "" : head.substr(0, colon);
          } else {
            host = p["published"].is_string() ? p["published"].get<std::string>()
                                              : std::to_string(p["published"].get<int>());
            address = p.value("host_ip", "");
          }
          EXPECT_EQ(address, "127.0.0.1") << label << ": " << name << " publishes beyond loopback";
          EXPECT_FALSE(published.count(host))
              << label << ": host port " << host << " published by " << published[host] << " and " << name;
          published[host] = name;
        }
    }
    EXPECT_EQ(portals, 1) << label << ": exactly one Myna Portal";
    EXPECT_TRUE(published.count("8443") && published.count("9443") && published.count("8081")) << label;
    // The world's containers, and the profile's guard.
    EXPECT_EQ(services.size(), label == "docker compose up" ? 2u : 16u) << label;
  }
}

TEST(Compose, PortsAndHealthUrlsMatchTheDefaultListeners) {
  auto compose = load_yaml(root + "/docker-compose.yml");
  auto world = load_world(root + "/fixtures/world.yaml");
  const auto& s = world.server;
  std::set<int> listener_ports = {s.app.port, s.sp.port, s.admin.port, s.systems.port};
  for (const auto& [name, service] : compose["services"].items()) {
    if (service.contains("ports"))
      for (const auto& p : as_list(service["ports"])) {
        auto container_port = std::stoi(p.substr(p.rfind(':') + 1));
        EXPECT_TRUE(listener_ports.count(container_port)) << name << ": " << p;
      }
    // `<<` merge keys are not expanded here: back-end services inherit x-backend's check.
    auto health =
        service.contains("healthcheck") ? service["healthcheck"]["test"] : compose["x-backend"]["healthcheck"]["test"];
    std::string joined;
    for (const auto& part : as_list(health)) joined += part + " ";
    // http(s)://localhost:<port><path>
    auto at = joined.find("://localhost:");
    ASSERT_NE(at, std::string::npos) << name << ": " << joined;
    bool tls = at >= 5 && joined.compare(at - 5, 5, "https") == 0;
    auto digits_end = joined.find_first_not_of("0123456789", at + 13);
    int port = std::stoi(joined.substr(at + 13, digits_end - at - 13));
    std::string path = joined.substr(digits_end, joined.find(' ', digits_end) - digits_end);
    EXPECT_TRUE(path == "/readyz" || path == "/healthz") << name << ": " << path;
    if (port == s.app.port)
      EXPECT_EQ(tls, s.app.tls.enabled) << name;
    else
      EXPECT_EQ(port, s.systems.port) << name;
  }
}

// What the presets say about themselves is what they do.
TEST(Presets, TheReleasePresetsWordsMatchItsFlags) {
  auto presets = nlohmann::json::parse(read_file(root + "/CMakePresets.json"));
  for (const auto& p : presets["configurePresets"]) {
    if (p["name"] != "release") continue;
    auto words = p["displayName"].get<std::string>();
    auto flags = p["cacheVariables"].value("CMAKE_CXX_FLAGS_RELEASE", "");
    auto level = words.find("-O");
    ASSERT_NE(level, std::string::npos) << words;
    EXPECT_NE(flags.find(words.substr(level, 3)), std::string::npos) << words << " vs " << flags;
  }
  EXPECT_NE(read_file(root + "/.ci/run").find("MYNASIM_WERROR=1"), std::string::npos) << "CI builds with -Werror";
}

// The complete IF001-06 example in docs/api.md is what the simulator answers for it.
TEST(Docs, TheApiReferencesResultExampleIsReal) {
  auto doc = read_file(root + "/docs/api.md");
  auto at = doc.find("A complete IF001-06 answer");
  ASSERT_NE(at, std::string::npos);
  auto start = doc.find("```json\n", at) + 8;
  auto example = nlohmann::json::parse(doc.substr(start, doc.find("```", start) - start));
  test::notification_receiver receiver;
  test::test_server server([&](world_config& w) {
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  test::flow_client client{&server, "SP00000086_AA0004"};
  auto result = client.run("taro", "Date=20250701");
  EXPECT_EQ(result["selfPersonalDataProvisionInfo"], example["selfPersonalDataProvisionInfo"]) << result.dump();
  EXPECT_EQ(result["commonHeader"]["telegramType"], example["commonHeader"]["telegramType"]);
  for (const char* needle : {"TL-<8 digits>-<YYMMDDhhmmss>-<4 digits>", "**the IF001-04 one**", "IFA0303-S01"})
    EXPECT_NE(doc.find(needle), std::string::npos) << needle;
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

// Each profile first runs a guard that refuses, with mynasim's own message, to start over the
// other profile (which holds the same host ports); the world's first container waits for it.
TEST(Compose, EachProfileRefusesToStartOverTheOther) {
  auto compose = load_yaml(root + "/docker-compose.yml");
  for (const auto& [guard, profile, first, other] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {"no-split-running", "single", "mynasim", "split"}, {"no-single-running", "split", "portal", "single"}}) {
    ASSERT_TRUE(compose["services"].contains(guard)) << guard;
    const auto& g = compose["services"][guard];
    EXPECT_EQ(as_list(g["profiles"]), std::vector<std::string>{profile}) << guard;
    EXPECT_EQ(compose["x-guard"]["network_mode"], "host") << "a guard asks the host's loopback ports";
    EXPECT_EQ(as_list(compose["x-guard"]["entrypoint"]), (std::vector<std::string>{"sh", "-c"}));
    auto script = as_list(g["command"]).at(0);
    EXPECT_NE(script.find("/__admin/health"), std::string::npos) << script;
    EXPECT_NE(script.find("the " + other + " profile already serves"), std::string::npos) << script;
    EXPECT_NE(script.find("exit 1"), std::string::npos) << script;
    EXPECT_EQ(compose["services"][first]["depends_on"][guard]["condition"], "service_completed_successfully")
        << first << " waits for " << guard;
  }
}

}  // namespace
}  // namespace mynasim
