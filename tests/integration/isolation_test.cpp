// SPDX-License-Identifier: Apache-2.0
// Hardening round 3 (issue 26): one user of a shared simulator cannot act for another.
// Item 1: the token-less admin plane answers only a Host that is a loopback address, parsed
// (DNS rebinding). Item 2: a request is filed, narrowed and given per-request faults only
// under an identity it proved — a client_id it merely names is a claim. Item 11: a throwing
// step does not stop the 100 ms housekeeping.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "app/app.hpp"
#include "flow_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string service_a = "SP00000086_AA0003";
const std::string service_b = "SP00000086_AA0004";
const std::string request_path = "/online-resource-web/request";

nlohmann::json body_of(const client_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

// An IF001-04 body as an API user sends it.
std::string telegram(const std::string& telegram_id, const std::string& condition = "Date=20260101") {
  return nlohmann::json{{"commonHeader",
                         {{"telegramId", telegram_id},
                          {"telegramType", "IFA0301-R01"},
                          {"mode", "1"},
                          {"processId", ""},
                          {"errorCode", ""}}},
                        {"selfProvisionDataReqInfo", {{"inquiryCondition", condition}}}}
      .dump();
}

// IF001-04 without an access token, naming a service in the query as the reproduction does.
client_response tokenless_request(test_server& s, const std::string& client_id, const std::string& telegram_id,
                                  std::map<std::string, std::string> headers = {}) {
  headers["Content-Type"] = "application/json";
  return request(s.port("sp"), true, "POST", request_path + "?client_id=" + client_id, telegram(telegram_id), headers);
}

nlohmann::json faults_of(test_server& s) {
  return body_of(s.admin("GET", "/__admin/faults"))["faults"];
}

// The newest journal entry for a path (bodies left out).
nlohmann::json last_entry(test_server& s, const std::string& path) {
  auto list = body_of(s.admin("GET", "/__admin/requests?bodies=0&limit=1&path=" + path))["requests"];
  return list.empty() ? nlohmann::json() : list.back();
}

// ---- Item 1: DNS rebinding ----------------------------------------------------------------

// A page on a rebinding name (Host and Origin agree) must not drive the token-less admin API.
// Accepted: an IPv4 literal in 127.0.0.0/8 as a dotted quad, [::1], an IPv4-mapped
// [::ffff:127.x.y.z], `localhost` in any case. Everything else is a name someone else's DNS
// answers for: 403 bad_host.
TEST(IsolationLoopbackHost, OnlyAParsedLoopbackAddressOrLocalhostPasses) {
  test_server s;
  auto port = std::to_string(s.port("admin"));
  auto post_fault = [&](const std::string& host) {
    return request(s.port("admin"), false, "POST", "/__admin/faults",
                   R"({"kind":"down","target":"juki","for":"PT30M"})",
                   {{"Host", host}, {"Origin", "http://" + host}, {"Content-Type", "application/json"}});
  };
  for (const char* name : {"127.attacker.example", "127.0.0.1.nip.io", "127.1", "0x7f.0.0.1", "0177.0.0.1",
                           "2130706433", "127.0.0.1.", "localhost.", "app.localhost", "localhost.attacker.example",
                           "[127.0.0.1]", "[localhost]", "[::2]", "[::ffff:10.0.0.1]", "10.0.0.1", "::1"}) {
    auto res = post_fault(std::string(name) + ":" + port);
    EXPECT_EQ(res.status, 403) << name << ": " << res.body;
    EXPECT_EQ(body_of(res).value("error", ""), "bad_host") << name;
  }
  EXPECT_EQ(post_fault("localhost:" + port + "x").status, 403);  // a port is digits
  EXPECT_EQ(post_fault("[::1]x").status, 403);
  EXPECT_TRUE(faults_of(s).empty()) << faults_of(s);
  for (const char* name : {"127.0.0.1", "127.0.0.2", "127.255.255.254", "localhost", "LOCALHOST", "LocalHost", "[::1]",
                           "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"}) {
    EXPECT_EQ(post_fault(std::string(name) + ":" + port).status, 201) << name;
    s.admin("DELETE", "/__admin/faults");
  }
  EXPECT_EQ(post_fault("localhost").status, 201);  // no port
  s.admin("DELETE", "/__admin/faults");
}

// The same parsed test decides whether an admin listener without a token may start at all.
TEST(IsolationLoopbackHost, AnAdminAddressThatOnlyLooksLikeLoopbackNeedsAToken) {
  for (const char* address : {"127.attacker.example", "127.0.0.1.nip.io"}) {
    try {
      test_server s([&](world_config& w) { w.server.admin.address = address; });
      ADD_FAILURE() << address << ": started without a token";
    } catch (const startup_error& e) {
      EXPECT_NE(std::string(e.what()).find("bearer_token"), std::string::npos) << address << ": " << e.what();
    }
  }
}

// ---- Item 2: a claimed client_id is not an identity ---------------------------------------

// The reproduction: a 401'd IF001-04 naming a service bound a per-request fault to that
// service and telegramId, and the service's real request with that telegramId then failed.
TEST(IsolationClaimedClient, ATokenlessRequestBindsNoFault) {
  test_server s;
  flow_client api{&s};
  auto tid = api.next_telegram_id();
  auto res = tokenless_request(s, service_a, tid,
                               {{"X-Mynasim-Fault", R"({"kind":"http_error","target":"juki","status":500})"}});
  EXPECT_EQ(res.status, 401) << res.body;             // the portal's own refusal (MPE3001) …
  EXPECT_TRUE(faults_of(s).empty()) << faults_of(s);  // … and nothing bound: no token, no service
  auto token = api.access_token("taro");
  auto started = parse(api.request(token, tid, "Date=20260101"));
  ASSERT_EQ(started["commonHeader"]["errorCode"], "") << started.dump();
  auto result = parse(api.wait_result(token, tid, started["commonHeader"]["processId"]));
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
}

// With a valid token, a request the portal refuses starts no process: its fault goes with it.
TEST(IsolationClaimedClient, ARefusedRequestDoesNotLeaveItsFaultBound) {
  test_server s;
  flow_client api{&s};
  auto token = api.access_token("taro");
  auto tid = api.next_telegram_id();
  api.extra_headers["X-Mynasim-Fault"] = R"({"kind":"http_error","target":"juki","status":500})";
  auto refused = api.request(token, tid, "Someday");  // a malformed inquiryCondition
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_TRUE(faults_of(s).empty()) << faults_of(s);
  // Accepted: bound until its hop.
  auto bound = api.request(token, api.next_telegram_id(), "Date=20260101");
  api.extra_headers.clear();
  ASSERT_EQ(bound.status, 200) << bound.body;
  auto started = parse(api.request(token, tid, "Date=20260101"));  // the refused one's telegramId is free
  auto result = parse(api.wait_result(token, tid, started["commonHeader"]["processId"]));
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
}

// A service's fault is spent only by that service's requests, not by one that names it.
TEST(IsolationClaimedClient, ATokenlessRequestDoesNotSpendAServicesFault) {
  test_server s;
  auto added = s.admin("POST", "/__admin/faults",
                       nlohmann::json{{"kind", "http_error"},
                                      {"target", "sp"},
                                      {"endpoint", request_path},
                                      {"client_id", service_a},
                                      {"count", 1},
                                      {"status", 418}}
                           .dump());
  ASSERT_EQ(added.status, 201) << added.body;
  flow_client api{&s};
  EXPECT_EQ(tokenless_request(s, service_a, api.next_telegram_id()).status, 401);
  auto token = api.access_token("taro");
  EXPECT_EQ(api.request(token, api.next_telegram_id(), "Date=20260101").status, 418);
}

// A hop names who it is for in X-Mynasim-* headers; a stranger's direct request to a system
// names them too, but without the simulator's seal: it is filed under nobody and spends no
// service's fault, while the real flow's hops are still filed under the service.
TEST(IsolationClaimedClient, AnUnsealedHopSpeaksForNobody) {
  test_server s;
  auto added =
      s.admin("POST", "/__admin/faults",
              nlohmann::json{
                  {"kind", "http_error"}, {"target", "juki"}, {"client_id", service_a}, {"count", 1}, {"status", 500}}
                  .dump());
  ASSERT_EQ(added.status, 201) << added.body;
  auto stranger = request(s.port("systems"), false, "POST", "/systems/juki/identify", R"({"card_serial":"x"})",
                          {{"Content-Type", "application/json"},
                           {"X-Mynasim-Client-Id", service_a},
                           {"X-Mynasim-Persona", "taro"},
                           {"X-Mynasim-Seal", std::string(64, '0')}});
  EXPECT_NE(stranger.status, 500) << stranger.body;  // the service's fault did not fire for it
  auto e = last_entry(s, "/systems/juki/identify");
  EXPECT_FALSE(e.contains("client_id")) << e;
  EXPECT_EQ(faults_of(s).size(), 1u);  // still there for the service's own flow
  flow_client api{&s};
  auto result = api.run("taro", "Date=20260101");
  EXPECT_EQ(last_entry(s, "/systems/juki/identify")["client_id"], service_a);
  EXPECT_EQ(faults_of(s).size(), 0u) << result.dump();  // spent by the service's real hop
}

// A pending per-request fault of one service survives another service filling the pool.
TEST(IsolationClaimedClient, AFloodFromOneServiceDoesNotEvictAnothersPendingFault) {
  test_server s([](world_config& w) { w.data.portal.processing_delay = std::chrono::minutes(5); });  // no hop yet
  flow_client victim{&s};
  auto tid = victim.next_telegram_id();
  victim.extra_headers["X-Mynasim-Fault"] = R"({"kind":"http_error","target":"juki","status":500})";
  ASSERT_EQ(victim.request(victim.access_token("taro"), tid, "Date=20260101").status, 200);
  flow_client flood{&s};
  flood.client_id = service_b;
  flood.keep_alive = true;
  flood.extra_headers = victim.extra_headers;
  auto token = flood.access_token("taro");
  for (std::size_t i = 0; i < 1100; ++i) {
    auto res = flood.request(token, flood.next_telegram_id(), "Date=20260101");
    ASSERT_EQ(res.status, 200) << i << ": " << res.body;
  }
  auto faults = faults_of(s);
  std::size_t mine = 0, theirs = 0;
  for (const auto& f : faults) {
    mine += f.value("client_id", "") == service_a && f.value("telegram_id", "") == tid;
    theirs += f.value("client_id", "") == service_b;
  }
  EXPECT_EQ(mine, 1u);
  EXPECT_EQ(theirs, 1023u);  // the flooder lost its own oldest
}

// During a service's conformance test, a request naming the service without its token is not
// the service's traffic: it neither fails the test nor feeds the service's lint.
TEST(IsolationClaimedClient, ATokenlessRequestIsNotFiledUnderAServiceUnderTest) {
  notification_receiver receiver;
  test_server s([&](world_config& w) {
    w.conformance.settle = 300ms;
    w.data.portal.processing_delay = 10ms;
    for (auto& c : w.data.connections)
      if (c.client_id == service_a) c.notification_url = receiver.url();
  });
  auto started = s.admin("POST", "/__admin/conformance/runs",
                         nlohmann::json{{"client_id", service_a}, {"plan", "happy-path:date"}}.dump());
  ASSERT_EQ(started.status, 201) << started.body;
  auto id = body_of(started)["id"].get<std::string>();
  EXPECT_EQ(tokenless_request(s, service_a, "TL-not-a-telegram-id").status, 401);
  // The service's own flow, as a well-behaved app plays it: fetch once, when notified.
  flow_client app{&s};
  auto token = app.access_token("taro");
  auto tid = app.next_telegram_id();
  auto pid = parse(app.request(token, tid, "Date=20250701"))["commonHeader"].value("processId", "");
  ASSERT_TRUE(receiver.wait_for_process(pid, 20s)) << pid;
  EXPECT_EQ(app.result(token, tid, pid).status, 200);
  nlohmann::json run;
  for (int i = 0; i < 200; ++i) {
    run = body_of(s.admin("GET", "/__admin/conformance/runs/" + id));
    if (run.value("state", "") != "running") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(run["state"], "finished") << run;
  EXPECT_EQ(run["tests"][0]["verdict"], "pass") << run["tests"][0];
  auto lint = body_of(s.admin("GET", "/__admin/lint?client_id=" + service_a));
  for (const auto& f : lint["findings"]) EXPECT_NE(f["rule"], "telegram-id-malformed") << f;
}

// What the journal files each request under: the identity it proved; a named one is a claim.
TEST(IsolationClaimedClient, TheJournalFilesARequestUnderTheIdentityItProved) {
  test_server s;
  flow_client api{&s};
  // IF001-04 without a token: claimed only (and the service's filter does not find it).
  EXPECT_EQ(tokenless_request(s, service_a, api.next_telegram_id()).status, 401);
  auto e = last_entry(s, request_path);
  EXPECT_FALSE(e.contains("client_id")) << e;
  EXPECT_EQ(e["claimed_client_id"], service_a) << e;
  EXPECT_EQ(body_of(s.admin("GET", "/__admin/requests/count?client_id=" + service_a))["count"], 0);
  // A claim is bounded in length.
  EXPECT_EQ(tokenless_request(s, std::string(5000, 'x'), api.next_telegram_id()).status, 401);
  EXPECT_EQ(last_entry(s, request_path)["claimed_client_id"].get<std::string>().size(), 64u);
  // authorize to a redirect_uri the service did not register: claimed only.
  api.redirect_uri = "http://evil.example/cb";
  api.authorize("");
  e = last_entry(s, "/online-authorization-web/oauth/authorize");
  EXPECT_FALSE(e.contains("client_id")) << e;
  EXPECT_EQ(e["claimed_client_id"], service_a);
  // authorize to one it did: the flow can only return to the service, filed under it.
  api.redirect_uri = "http://localhost:3000/callback";
  auto consent = api.authorize("");
  EXPECT_EQ(last_entry(s, "/online-authorization-web/oauth/authorize")["client_id"], service_a);
  // A screen goes by its session, whatever client_id its form names.
  auto pos = consent.body.find("name=\"session\" value=\"");
  ASSERT_NE(pos, std::string::npos) << consent.body.substr(0, 400);
  auto session = consent.body.substr(pos + 22, consent.body.find('"', pos + 22) - pos - 22);
  request(s.port("app"), true, "POST", "/online-authorization-web/consent",
          "client_id=" + service_b + "&session=" + session + "&action=agree&terms=on",
          {{"Content-Type", "application/x-www-form-urlencoded"}});
  e = last_entry(s, "/online-authorization-web/consent");
  EXPECT_EQ(e["client_id"], service_a) << e;
  // The token endpoint: a refused exchange proves nothing; an issued token proves the client.
  EXPECT_EQ(api.token("no-such-code").status, 400);
  e = last_entry(s, "/online-authorization-web/oauth/token");
  EXPECT_FALSE(e.contains("client_id")) << e;
  EXPECT_EQ(e["claimed_client_id"], service_a);
  auto code = api.authorize_code("taro");
  auto token = parse(api.token(code)).value("access_token", "");
  e = last_entry(s, "/online-authorization-web/oauth/token");
  EXPECT_EQ(e["client_id"], service_a) << e;
  EXPECT_FALSE(e.contains("claimed_client_id")) << e;
  // The same code again (MPE2003): it is the service's code, so the service's mistake …
  EXPECT_EQ(api.token(code).status, 400);
  EXPECT_EQ(last_entry(s, "/online-authorization-web/oauth/token")["client_id"], service_a);
  // … but not when it names another service.
  flow_client other{&s};
  other.client_id = service_b;
  EXPECT_EQ(other.token(code).status, 400);
  e = last_entry(s, "/online-authorization-web/oauth/token");
  EXPECT_FALSE(e.contains("client_id")) << e;
  EXPECT_EQ(e["claimed_client_id"], service_b);
  // IF001-04 with a token (a fresh one: the reuse revoked the code's).
  EXPECT_EQ(api.request(token, api.next_telegram_id(), "Date=20260101").status, 401);
  token = api.access_token("taro");
  EXPECT_EQ(api.request(token, api.next_telegram_id(), "Date=20260101").status, 200);
  e = last_entry(s, request_path);
  EXPECT_EQ(e["client_id"], service_a);
  EXPECT_EQ(e["persona"], "taro");
}

// ---- Item 11: housekeeping survives a throwing step ---------------------------------------

// A world folder whose extra.yaml (included by world.yaml) sets service A's notification URL.
class IsolationHousekeeping : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mynasim-isolation-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream((dir_ / "world.yaml").string())
        << "include: [\"" << MYNASIM_SOURCE_DIR << "/fixtures/world.yaml\", extra.yaml]\n";
    write_extra("http://before:1/n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write_extra(const std::string& url) {
    fs::remove(extra());
    std::ofstream(extra().string()) << "connections:\n  - {client_id: " << service_a
                                    << ", override: true, notification_url: \"" << url << "\"}\n";
  }
  fs::path extra() const { return dir_ / "extra.yaml"; }
  world_config world() const { return test_world((dir_ / "world.yaml").string()); }
  static std::string url_of(std::uint16_t admin) {
    auto res = request(admin, false, "GET", "/__admin/connections/" + service_a);
    return body_of(res).value("notification_url", "");
  }
  // Waits (at most 10 s) until the running world has `url`; true when it does.
  static bool reloaded_to(std::uint16_t admin, const std::string& url) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (url_of(admin) != url && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    return url_of(admin) == url;
  }
  fs::path dir_;
};

// The reproduction: --watch with a world file made a symlink to itself. Housekeeping reports
// it and goes on: once the file is fixed, the reload is applied.
TEST_F(IsolationHousekeeping, ASymlinkLoopDoesNotStopWatching) {
  app_options options;
  options.watch = true;
  test_server s([&](world_config& w) { w = world(); }, options);
  ASSERT_EQ(url_of(s.port("admin")), "http://before:1/n");
  fs::remove(extra());
  fs::create_symlink(extra().filename(), extra());  // extra.yaml → extra.yaml
  auto logged = [&] {
    auto logs = s.logs();
    return logs.find("background_error") != std::string::npos || logs.find("reload_refused") != std::string::npos;
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!logged() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(logged()) << s.logs();
  write_extra("http://after:1/n");
  EXPECT_TRUE(reloaded_to(s.port("admin"), "http://after:1/n")) << s.logs();
}

// A log stream whose buffer throws while armed: request_log counts a stream that reports
// failing (std::ios_base::failure), but what its buffer throws reaches housekeeping's log step.
// Whatever a step of housekeeping throws, the other steps and the next ticks still run.
class failing_log : public std::stringbuf {
 public:
  std::atomic<bool> armed{false};
  std::atomic<int> failures{0};

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (armed) fail();
    return std::stringbuf::xsputn(s, n);
  }
  int_type overflow(int_type c) override {
    if (armed) fail();
    return std::stringbuf::overflow(c);
  }

 private:
  void fail() {
    ++failures;
    throw std::runtime_error("the log stream failed");
  }
};

TEST_F(IsolationHousekeeping, AStepThatThrowsDoesNotStopTheOthers) {
  failing_log buffer;
  std::ostream out(&buffer);
  out.exceptions(std::ios::badbit);  // a write that fails throws out of request_log::flush
  app_options options;
  options.watch = true;
  options.out = &out;
  simulator_app app(world(), options);
  app.start();
  auto admin = app.port("admin");
  ASSERT_EQ(url_of(admin), "http://before:1/n");
  buffer.armed = true;
  request(admin, false, "GET", "/healthz");  // a request line for housekeeping to flush
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (buffer.failures == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  buffer.armed = false;
  EXPECT_GT(buffer.failures, 0);
  write_extra("http://after:1/n");
  EXPECT_TRUE(reloaded_to(admin, "http://after:1/n"));
  app.shutdown();
  app.join();
}

}  // namespace
}  // namespace mynasim::test
