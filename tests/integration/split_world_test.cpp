// SPDX-License-Identifier: Apache-2.0
// The split topology is one world: every simulated system runs as its own process on its own
// test host — a network namespace with its own address, reached by name as in Compose — and
// the clock, faults, reset and journal changed through any process's admin API hold in every
// process. Needs root and iproute2; skipped, saying why, where namespaces cannot be made.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flow_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string token = "split-world-token";

bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

struct test_host {
  std::string system, ns, veth, ip;
  pid_t pid = -1;
  std::string log;
};

class SplitWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
    if (!run("command -v ip")) GTEST_SKIP() << "iproute2 (ip) is not installed";
    auto id = std::to_string(::getpid() % 100000);
    // Probe everything the topology needs (a namespace, a veth pair into it, a bridge) and
    // skip, naming what failed, where this sandbox does not allow it.
    probe_ = "mnsp" + id;
    for (const auto& step :
         {"ip netns add " + probe_, "ip link add " + probe_ + "a type veth peer name " + probe_ + "b",
          "ip link set " + probe_ + "b netns " + probe_, "ip link add " + probe_ + "br type bridge",
          "mkdir -p /etc/netns/" + probe_}) {
      if (!run(step)) {
        run("ip netns del " + probe_);
        run("ip link del " + probe_ + "a");
        run("ip link del " + probe_ + "br");
        GTEST_SKIP() << "network namespaces cannot be set up here: `" << step << "` failed";
      }
    }
    run("ip netns del " + probe_);
    run("ip link del " + probe_ + "br");
    fs::remove_all("/etc/netns/" + probe_);
    subnet_ = "10.213." + std::to_string(::getpid() % 250);
    bridge_ = "mnsbr" + id;
    dir_ = fs::temp_directory_path() / ("mynasim-split-" + id);
    fs::create_directories(dir_);
    ASSERT_TRUE(run("ip link add " + bridge_ + " type bridge && ip addr add " + subnet_ + ".1/24 dev " + bridge_ +
                    " && ip link set " + bridge_ + " up"));
    auto world = load_world(std::string(MYNASIM_SOURCE_DIR) + "/fixtures/world.yaml");
    std::string hosts = "127.0.0.1 localhost\n";
    int k = 0;
    for (const auto& s : world.systems) {
      test_host h;
      h.system = s.id;
      h.ns = "mns" + id + "-" + std::to_string(k);
      h.veth = "mv" + id + "x" + std::to_string(k);
      h.ip = subnet_ + "." + std::to_string(10 + k);
      hosts += h.ip + " " + s.id + "\n";
      hosts_.push_back(h);
      ++k;
    }
    for (auto& h : hosts_) {
      ASSERT_TRUE(run("ip netns add " + h.ns));
      ASSERT_TRUE(run("ip link add " + h.veth + " type veth peer name " + h.veth + "p"));
      ASSERT_TRUE(run("ip link set " + h.veth + "p netns " + h.ns + " && ip link set " + h.veth + " master " + bridge_ +
                      " up"));
      ASSERT_TRUE(run("ip -n " + h.ns + " addr add " + h.ip + "/24 dev " + h.veth + "p && ip -n " + h.ns +
                      " link set " + h.veth + "p up && ip -n " + h.ns + " link set lo up"));
      fs::create_directories("/etc/netns/" + h.ns);
      std::ofstream("/etc/netns/" + h.ns + "/hosts") << hosts;  // `ip netns exec` mounts it as /etc/hosts
    }
    certs_ = test_certs_dir();
  }

  void TearDown() override {
    for (auto& h : hosts_)
      if (h.pid > 0) ::kill(h.pid, SIGTERM);
    for (auto& h : hosts_)
      if (h.pid > 0) {
        int status = 0;
        for (int i = 0; i < 300 && ::waitpid(h.pid, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
        ::kill(h.pid, SIGKILL);
        ::waitpid(h.pid, &status, 0);
      }
    for (auto& h : hosts_) {
      run("ip netns del " + h.ns);
      fs::remove_all("/etc/netns/" + h.ns);
    }
    if (!bridge_.empty()) run("ip link del " + bridge_);
    if (HasFailure())
      for (auto& h : hosts_) {
        std::ifstream in(h.log);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        std::cerr << "---- " << h.system << " (" << h.ip << ")\n"
                  << text.substr(text.size() > 4000 ? text.size() - 4000 : 0);
      }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void start(test_host& h) {
    h.log = (dir_ / (h.system + ".log")).string();
    std::vector<std::string> args = {"ip",
                                     "netns",
                                     "exec",
                                     h.ns,
                                     "env",
                                     "MYNASIM_CERTS_DIR=" + certs_,
                                     "MYNASIM_ADMIN_TOKEN=" + token,
                                     MYNASIM_BINARY,
                                     "serve",
                                     "--only",
                                     h.system,
                                     "--host",
                                     "0.0.0.0",
                                     "--admin-host",
                                     "0.0.0.0",
                                     "--peer-url-template",
                                     "http://{id}:8090/systems/{id}"};
    if (h.system != "portal") {
      args.push_back("--world-owner");
      args.push_back("http://portal:8081");
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(h.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("ip", argv.data());
      ::_exit(127);
    }
    h.pid = pid;
  }

  test_host& host(const std::string& system) {
    for (auto& h : hosts_)
      if (h.system == system) return h;
    throw std::runtime_error("no host " + system);
  }
  client_response admin_of(const std::string& system, const std::string& method, const std::string& target,
                           const std::string& body = "") {
    return request_to(host(system).ip, 8081, false, method, target, body,
                      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  client_response systems_of(const std::string& system, const std::string& method, const std::string& target,
                             const std::string& body = "") {
    return request_to(host(system).ip, 8090, false, method, target, body, {{"Content-Type", "application/json"}});
  }
  bool ready(const test_host& h) {
    try {
      return request_to(h.ip, h.system == "portal" ? 8081 : 8090, false, "GET", "/readyz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }
  nlohmann::json journal(const std::string& via, const std::string& query) {
    return nlohmann::json::parse(admin_of(via, "GET", "/__admin/requests?limit=1000" + query).body, nullptr, false);
  }

  // Starts the owner, then the followers; "" once every process is ready, else why the test
  // cannot run here (a failure is recorded for a process that does not get ready).
  std::string start_all() {
    // The owner first; then check that one test host reaches another by name over the bridge
    // (a host firewall may filter bridged traffic) before blaming the processes for it.
    start(host("portal"));
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!ready(host("portal")) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    if (!ready(host("portal"))) {
      ADD_FAILURE() << "portal is not ready";
      return "";
    }
    if (!run("ip netns exec " + host("juki").ns + " timeout 5 bash -c 'exec 3<>/dev/tcp/portal/8081'"))
      return "test hosts cannot reach each other over the bridge here (bridged traffic filtered?)";
    for (auto& h : hosts_)
      if (h.system != "portal") start(h);
    for (auto& h : hosts_) {
      while (!ready(h) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
      if (!ready(h)) ADD_FAILURE() << h.system << " is not ready";
    }
    return "";
  }

  std::string probe_, subnet_, bridge_, certs_;
  fs::path dir_;
  std::vector<test_host> hosts_;
};

TEST_F(SplitWorld, EveryProcessSharesOneClockOneSetOfFaultsOneResetAndOneJournal) {
  auto started = std::chrono::steady_clock::now();
  if (auto why = start_all(); !why.empty()) GTEST_SKIP() << why;
  ASSERT_FALSE(HasFailure());
  auto ready_after = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(admin_of("juki", "PUT", "/__admin/clock", R"({"now": "2026-11-27T10:00:00+09:00", "frozen": true})").status,
            200);

  // A complete flow across fifteen processes.
  flow_client client{nullptr};
  client.host = host("portal").ip;
  client.app_port = 8443;
  client.sp_port = 9443;
  auto result = client.run("taro", "Date=20260401");
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
  EXPECT_NE(result.dump().find("地方税関係情報"), std::string::npos) << result.dump();

  // The journal, read through any process, has every process's hops, tagged with their node.
  nlohmann::json entries;
  for (int i = 0; i < 100; ++i) {
    entries = journal("municipal", "");
    std::set<std::string> nodes;
    for (const auto& e : entries["requests"]) nodes.insert(e.value("node", ""));
    if (nodes.count("network") && nodes.count("juki") && nodes.count("municipal") && nodes.count("portal")) break;
    std::this_thread::sleep_for(50ms);
  }
  std::set<std::string> systems;
  for (const auto& e : entries["requests"])
    if (e.value("telegram_id", "") != "" || e.value("system", "") != "portal") systems.insert(e.value("system", ""));
  for (const char* s : {"portal", "network", "juki", "municipal"})
    EXPECT_TRUE(systems.count(s)) << s << " " << entries.dump();

  // The clock set once — through the portal — makes 住基ネット refuse in the 住基ネット process.
  ASSERT_EQ(
      admin_of("portal", "PUT", "/__admin/clock", R"({"now": "2026-12-29T10:00:00+09:00", "frozen": true})").status,
      200);
  auto closed = systems_of("juki", "POST", "/systems/juki/identify", R"({"card_serial": "MC00000001"})");
  EXPECT_EQ(closed.status, 503) << closed.body;
  EXPECT_NE(closed.body.find("planned_outage"), std::string::npos) << closed.body;
  EXPECT_EQ(nlohmann::json::parse(admin_of("japan-pension", "GET", "/__admin/clock").body)["now"],
            "2026-12-29T10:00:00+09:00");

  // A fault added once — through 住基ネット's admin — fires in the targeted process.
  ASSERT_EQ(admin_of("juki", "PUT", "/__admin/clock", R"({"now": "2026-11-27T10:00:00+09:00", "frozen": true})").status,
            200);
  auto added = admin_of("juki", "POST", "/__admin/faults",
                        R"({"kind": "http_error", "target": "municipal", "status": 500, "error_code": "split_test",
                            "count": 1})");
  ASSERT_EQ(added.status, 201) << added.body;
  auto fault_id = nlohmann::json::parse(added.body)["ids"][0].get<std::string>();
  auto failed = systems_of("municipal", "POST", "/systems/municipal/query", R"({"person_id": "taro", "items": []})");
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(failed.header("x-mynasim-faults"), fault_id);
  auto again = systems_of("municipal", "POST", "/systems/municipal/query", R"({"person_id": "taro", "items": []})");
  EXPECT_NE(again.status, 500) << "count: 1 fires once in the whole world";
  // A down fault set through the portal stops the targeted process.
  ASSERT_EQ(admin_of("portal", "POST", "/__admin/faults", R"({"kind": "down", "target": "juki"})").status, 201);
  auto down = systems_of("juki", "POST", "/systems/juki/identify", R"({"card_serial": "MC00000001"})");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_NE(down.body.find("forced"), std::string::npos) << down.body;

  // Reset, through a third process, clears every process's faults and the one journal.
  ASSERT_EQ(admin_of("hello-work", "POST", "/__admin/reset").status, 200);
  EXPECT_EQ(nlohmann::json::parse(admin_of("network", "GET", "/__admin/faults").body)["faults"].size(), 0u);
  auto after = systems_of("juki", "POST", "/systems/juki/identify", R"({"card_serial": "MC00000001"})");
  EXPECT_NE(after.status, 503) << after.body;
  EXPECT_EQ(admin_of("portal", "GET", "/__admin/requests/count").status, 200);

  // A persona registered once, through the owner, is known to 住基ネット's process.
  auto put = admin_of("portal", "PUT", "/__admin/personas/newbie", R"({
    "name": "新井 一", "kana": "アライ ハジメ", "birth_date": "2000-01-02", "sex": "男",
    "address": "東京都千代田区1-1", "municipality": "東京都千代田区", "card": {"serial": "MC00009999", "pin": "4321"}})");
  ASSERT_EQ(put.status, 201) << put.body;
  client_response identified;
  for (int i = 0; i < 100; ++i) {
    identified = systems_of("juki", "POST", "/systems/juki/identify", R"({"card_serial": "MC00009999"})");
    if (identified.status == 200) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(identified.status, 200) << identified.body;

  // A follower that loses its owner says so in /readyz.
  ::kill(host("portal").pid, SIGTERM);
  ::waitpid(host("portal").pid, nullptr, 0);
  host("portal").pid = -1;
  client_response not_ready;
  for (int i = 0; i < 100; ++i) {
    not_ready = systems_of("juki", "GET", "/readyz");
    if (not_ready.status == 503) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_NE(not_ready.body.find("world owner"), std::string::npos) << not_ready.body;

  auto total = std::chrono::steady_clock::now() - started;
  RecordProperty("processes", static_cast<int>(hosts_.size()));
  RecordProperty("ready_ms",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(ready_after).count()));
  RecordProperty("total_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(total).count()));
  std::cout << "split world: " << hosts_.size() << " processes ready in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(ready_after).count() << " ms, test "
            << std::chrono::duration_cast<std::chrono::milliseconds>(total).count() << " ms\n";
}

// Named worlds in a split topology: the owner holds every world, each follower asks it with the
// world's id, and a world created or deleted through any process's admin is so in all.
TEST_F(SplitWorld, NamedWorldsAreHeldByTheOwnerAndFollowedByEveryProcess) {
  if (auto why = start_all(); !why.empty()) GTEST_SKIP() << why;
  ASSERT_FALSE(HasFailure());
  const std::string identify = R"({"card_serial": "MC00000001"})";
  ASSERT_EQ(
      admin_of("portal", "PUT", "/__admin/clock", R"({"now": "2026-11-27T10:00:00+09:00", "frozen": true})").status,
      200);

  // Created through a follower (住基ネット's admin), held by the owner.
  auto made = admin_of("juki", "POST", "/__admin/worlds", R"({"id": "qa", "clock": "2026-12-29T10:00:00+09:00"})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(admin_of("portal", "GET", "/__admin/worlds/qa").status, 200);
  // Its year-end clock closes 住基ネット in 住基ネット's own process — in that world only.
  auto closed = systems_of("juki", "POST", "/worlds/qa/systems/juki/identify", identify);
  EXPECT_EQ(closed.status, 503) << closed.body;
  EXPECT_NE(closed.body.find("planned_outage"), std::string::npos) << closed.body;
  auto open = systems_of("juki", "POST", "/systems/juki/identify", identify);
  EXPECT_EQ(open.status, 200) << open.body;

  // A second world: a complete flow crosses the processes inside it, its journal (read
  // through a follower) has every process's hops, and the default world's has none of them.
  auto dev = admin_of("portal", "POST", "/__admin/worlds", R"({"id": "dev", "clock": "2026-11-27T10:00:00+09:00"})");
  ASSERT_EQ(dev.status, 201) << dev.body;
  auto world_token = nlohmann::json::parse(dev.body)["token"].get<std::string>();
  flow_client client{nullptr};
  client.host = host("portal").ip;
  client.app_port = 8443;
  client.sp_port = 9443;
  client.prefix = "/worlds/dev";
  auto result = client.run("taro", "Date=20260401");
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
  EXPECT_NE(result.dump().find("地方税関係情報"), std::string::npos) << result.dump();
  std::set<std::string> nodes;
  for (int i = 0; i < 100 && nodes.size() < 4; ++i) {
    nodes.clear();
    auto j = nlohmann::json::parse(admin_of("network", "GET", "/worlds/dev/__admin/requests?limit=1000").body, nullptr,
                                   false);
    if (j.is_object())
      for (const auto& e : j["requests"])
        if (auto n = e.value("node", ""); n == "network" || n == "juki" || n == "municipal" || n == "portal")
          nodes.insert(n);
    if (nodes.size() < 4) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(nodes.size(), 4u) << "nodes in world dev's journal";
  const auto home_journal = journal("portal", "");
  for (const auto& e : home_journal["requests"])
    EXPECT_EQ(e.value("telegram_id", ""), "") << "the default world's journal holds a flow of world dev: " << e.dump();

  // A fault added with the world's own token through a follower fires in that world only.
  auto added = request_to(host("juki").ip, 8081, false, "POST", "/worlds/dev/__admin/faults",
                          R"({"kind": "http_error", "target": "municipal", "status": 500, "count": 1})",
                          {{"Authorization", "Bearer " + world_token}, {"Content-Type", "application/json"}});
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string query = R"({"person_id": "taro", "items": []})";
  EXPECT_NE(systems_of("municipal", "POST", "/systems/municipal/query", query).status, 500);
  EXPECT_NE(systems_of("municipal", "POST", "/worlds/qa/systems/municipal/query", query).status, 500);
  auto failed = systems_of("municipal", "POST", "/worlds/dev/systems/municipal/query", query);
  EXPECT_EQ(failed.status, 500) << failed.body;
  // The world token reaches nothing outside its world, through a follower as through the owner.
  for (const char* via : {"juki", "portal"}) {
    auto outside = request_to(host(via).ip, 8081, false, "GET", "/__admin/faults", "",
                              {{"Authorization", "Bearer " + world_token}});
    EXPECT_TRUE(outside.status == 401 || outside.status == 403) << via << ": " << outside.status;
    auto other = request_to(host(via).ip, 8081, false, "GET", "/worlds/qa/__admin/faults", "",
                            {{"Authorization", "Bearer " + world_token}});
    EXPECT_TRUE(other.status == 401 || other.status == 403) << via << ": " << other.status;
  }

  // A persona registered in world dev (through the owner) is known to 住基ネット's process there.
  auto put = admin_of("portal", "PUT", "/worlds/dev/__admin/personas/newbie", R"({
    "name": "新井 一", "kana": "アライ ハジメ", "birth_date": "2000-01-02", "sex": "男",
    "address": "東京都千代田区1-1", "municipality": "東京都千代田区", "card": {"serial": "MC00009999", "pin": "4321"}})");
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string newbie = R"({"card_serial": "MC00009999"})";
  EXPECT_EQ(systems_of("juki", "POST", "/worlds/dev/systems/juki/identify", newbie).status, 200);
  EXPECT_NE(systems_of("juki", "POST", "/systems/juki/identify", newbie).status, 200);

  // Deleted through a third process: gone in every process.
  ASSERT_EQ(admin_of("network", "DELETE", "/__admin/worlds/dev").status, 200);
  auto gone = systems_of("juki", "POST", "/worlds/dev/systems/juki/identify", identify);
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_EQ(admin_of("juki", "GET", "/worlds/dev/__admin/clock").status, 404);
}

}  // namespace
}  // namespace mynasim::test
