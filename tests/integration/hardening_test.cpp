// SPDX-License-Identifier: Apache-2.0
// Hostile input against the real server: every class of request that once ended the
// process, blocked it or walked around the admin token. Each test ends by checking that
// every listener still answers.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string admin_token = "t0ken";

void expect_all_listeners_serving(test_server& s) {
  EXPECT_EQ(request(s.port("admin"), false, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("systems"), false, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("app"), true, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("sp"), true, "GET", "/healthz").status, 200);
}

// A chunked POST whose trailer is `trailer` (field lines, each ending in CRLF).
std::string chunked_with_trailer(const std::string& trailer) {
  return "POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n" + trailer +
         "\r\n";
}

client_response send_raw(test_server& s, const std::string& listener, const std::string& bytes) {
  bool tls = listener == "app" || listener == "sp";
  auto c = connection::open(s.port(listener), tls);
  if (!c->connected() || !c->send(bytes)) return {};
  return c->read_response(5s).value_or(client_response{});
}

class HardeningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test_server(); }
  static void TearDownTestSuite() { delete server_; }
  static inline test_server* server_ = nullptr;
};

// Class 1: a trailer field of 64 KiB or more threw inside Beast and ended the process.
TEST_F(HardeningTest, HugeTrailerFieldGets431OnEveryListener) {
  for (const char* listener : {"app", "sp", "admin", "systems"}) {
    auto res = send_raw(*server_, listener, chunked_with_trailer("X-Big: " + std::string(70000, 'a') + "\r\n"));
    EXPECT_EQ(res.status, 431) << listener;
  }
  expect_all_listeners_serving(*server_);
}

TEST_F(HardeningTest, TrailerCountsAgainstTheHeadLimit) {
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "X-T" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(send_raw(*server_, "systems", chunked_with_trailer(many)).status, 431);
  // A small trailer is fine.
  EXPECT_EQ(send_raw(*server_, "systems", chunked_with_trailer("X-Ok: 1\r\n")).status, 405);
  expect_all_listeners_serving(*server_);
}

// Class 7: every spelling of an admin path is refused unless canonical.
TEST_F(HardeningTest, NonCanonicalPathsAreRefusedOnEveryListener) {
  for (const char* target :
       {"//__admin/faults", "/%2F__admin/faults", "///__admin/config", "/./__admin/config", "/x/../__admin/config",
        "/__admin%2Fconfig", "/__admin/%2e%2e/healthz", "__admin/config"}) {
    for (const char* listener : {"admin", "systems", "app"}) {
      bool tls = std::string(listener) == "app";
      auto res = request(server_->port(listener), tls, "GET", target);
      EXPECT_EQ(res.status, 400) << listener << " " << target;
    }
  }
  expect_all_listeners_serving(*server_);
}

// Class 4: deep JSON used to overflow the stack on back-end and admin endpoints.
TEST_F(HardeningTest, DeeplyNestedJsonIsRefusedAtEveryEntryPoint) {
  std::string deep = std::string(30000, '[') + std::string(30000, ']');  // within the 64 KiB test body limit
  std::string deep_field = R"({"card_serial":"x","items":[],"inquiry":)" + std::string(30000, '{') + "}";
  auto a =
      request(server_->port("admin"), false, "POST", "/__admin/faults", deep, {{"Content-Type", "application/json"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("nests deeper"), std::string::npos) << a.body;
  EXPECT_EQ(request(server_->port("systems"), false, "POST", "/systems/network/provision", deep_field).status, 400);
  // A 中間サーバ's query is read as a stream: the same bound, also past a NUL byte (where the
  // parser stops reading, the nesting is still counted over the whole body).
  for (const std::string& body : {deep, R"({"person_id":"taro","items":[],"inquiry":)" + std::string(30000, '{') + "}",
                                  std::string("{}\0", 3) + deep}) {
    auto q = request(server_->port("systems"), false, "POST", "/systems/municipal/query", body);
    EXPECT_EQ(q.status, 400) << q.body;
    EXPECT_NE(q.body.find("nests deeper"), std::string::npos) << q.body;
  }
  EXPECT_EQ(request(server_->port("admin"), false, "PUT", "/__admin/clock", deep).status, 400);
  EXPECT_EQ(request(server_->port("sp"), true, "POST", "/online-resource-web/request", deep,
                    {{"Authorization", "Bearer nope"}})
                .status,
            401);
  expect_all_listeners_serving(*server_);
}

// Class 5: a self-referencing alias and an alias bomb posted as scenarios.
TEST_F(HardeningTest, YamlAliasesCannotRecurseOrExplode) {
  const std::map<std::string, std::string> yaml{{"Content-Type", "application/yaml"}};
  auto self = request(server_->port("admin"), false, "POST", "/__admin/scenarios", "name: &a [*a]\n", yaml);
  EXPECT_EQ(self.status, 400) << self.body;
  std::string bomb = "name: x\na: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [" + std::string("*") + char(c - 1) + ",*" + char(c - 1) + ",*" +
            char(c - 1) + ",*" + char(c - 1) + ",*" + char(c - 1) + ",*" + char(c - 1) + ",*" + char(c - 1) + ",*" +
            char(c - 1) + ",*" + char(c - 1) + ",*" + char(c - 1) + "]\n";
  auto res = request(server_->port("admin"), false, "POST", "/__admin/scenarios", bomb, yaml);
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("too many nodes"), std::string::npos) << res.body;
  auto deep =
      request(server_->port("admin"), false, "POST", "/__admin/scenarios", std::string(60000, '[') + "\n", yaml);
  EXPECT_EQ(deep.status, 400);
  auto dashes = request(
      server_->port("admin"), false, "POST", "/__admin/scenarios",
      [] {
        std::string s;
        for (int i = 0; i < 30000; ++i) s += "- ";
        return s + "x\n";
      }(),
      yaml);
  EXPECT_EQ(dashes.status, 400);
  expect_all_listeners_serving(*server_);
}

// Class 8: scenario files come only from the scenarios directory, and only regular files.
TEST_F(HardeningTest, ScenarioFilesOutsideTheDirectoryAreRefused) {
  for (const char* file : {"../../../../etc/passwd", "/etc/passwd", "/dev/zero", "../fixtures/world.yaml",
                           "scenarios/../fixtures/world.yaml"}) {
    auto res = server_->admin("POST", "/__admin/scenarios", nlohmann::json{{"file", file}}.dump());
    // 403 when it resolves outside; "scenarios/../x" resolves inside, to a file that is not there.
    EXPECT_TRUE(res.status == 403 || (res.status == 400 && res.body.find("cannot open") != std::string::npos))
        << file << " " << res.body;
  }
  // The shipped ones still load, by name or as seen from the repository root.
  EXPECT_EQ(server_->admin("POST", "/__admin/scenarios", R"({"file":"third-weekend.yaml"})").status, 200);
  EXPECT_EQ(server_->admin("POST", "/__admin/scenarios", R"({"file":"scenarios/third-weekend.yaml"})").status, 200);
  server_->admin("POST", "/__admin/reset");
}

TEST(HardeningScenarioDir, FifoInsideTheDirectoryDoesNotBlock) {
  auto dir = fs::temp_directory_path() / ("mynasim-fifo-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_EQ(::mkfifo((dir / "pipe.yaml").c_str(), 0600), 0);
  {
    test_server s([&](world_config& w) { w.qa.scenarios_dir = dir.string(); });
    auto res = s.admin("POST", "/__admin/scenarios", R"({"file":"pipe.yaml"})");
    EXPECT_EQ(res.status, 400);
    EXPECT_NE(res.body.find("not a regular file"), std::string::npos) << res.body;
    expect_all_listeners_serving(s);
  }
  fs::remove_all(dir);
}

// Class 13: wrong JSON types in commonHeader are a telegram error, not a 500.
TEST_F(HardeningTest, WrongTypesInCommonHeaderGetTheTelegramError) {
  flow_client api{server_};
  auto token = api.access_token("taro");
  for (
      const char* body :
      {R"({"commonHeader":{"telegramId":5,"telegramType":"IFA0301-R01","mode":"1","processId":[]},"selfProvisionDataReqInfo":{"inquiryCondition":"Date=20260101"}})",
       R"({"commonHeader":{"telegramId":{"a":1},"telegramType":7,"mode":null,"processId":true}})"}) {
    auto res = request(server_->port("sp"), true, "POST", "/online-resource-web/request", body,
                       {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
    EXPECT_NE(res.status, 500) << res.body;
    EXPECT_EQ(parse(res)["commonHeader"]["errorCode"], "MPE3003") << res.body;
  }
}

// Class 14: durations and instants that would overflow the calendar are refused.
TEST_F(HardeningTest, ClockCannotLeaveTheSupportedSpan) {
  auto before = nlohmann::json::parse(server_->admin("GET", "/__admin/clock").body)["now"];
  for (const char* by : {"P99999999D", "-P99999999D", "P73000D", "PT99999999999999H"})
    EXPECT_EQ(server_->admin("POST", "/__admin/clock/advance", nlohmann::json{{"by", by}}.dump()).status, 400) << by;
  EXPECT_EQ(server_->admin("PUT", "/__admin/clock", R"({"now":"9999-12-31T00:00:00Z"})").status, 400);
  EXPECT_EQ(server_->admin("PUT", "/__admin/clock", R"({"now":"0001-01-01T00:00:00Z"})").status, 400);
  EXPECT_EQ(nlohmann::json::parse(server_->admin("GET", "/__admin/clock").body)["now"], before);
}

// Class 9: the per-request fault header is narrowed to its own request.
TEST_F(HardeningTest, FaultHeaderCannotBeWidenedAndTheRegistryIsBounded) {
  flow_client api{server_};
  auto res = request(server_->port("app"), true, "GET", "/online-authorization-web/oauth/authorize?client_id=x", "",
                     {{"X-Mynasim-Fault", R"({"kind":"http_error","status":500,"client_id":"SP00000086_AA0003"})"}});
  EXPECT_EQ(res.status, 400) << res.body;
  // A downstream fault without an IF001-04 request has nothing to be bound to.
  res = request(server_->port("app"), true, "GET", "/online-authorization-web/oauth/authorize?client_id=x", "",
                {{"X-Mynasim-Fault", R"({"kind":"http_error","status":500,"target":"juki"})"}});
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(nlohmann::json::parse(server_->admin("GET", "/__admin/faults").body)["faults"].size(), 0u);
  // The admin registry holds qa.max_faults at most; one more is refused, none evicted.
  std::size_t max = server_->runtime().world.qa.max_faults;
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < max; ++i) list.push_back({{"kind", "latency"}, {"target", "juki"}, {"latency_ms", 1}});
  EXPECT_EQ(server_->admin("POST", "/__admin/faults", list.dump()).status, 201);
  auto more = server_->admin("POST", "/__admin/faults", R"({"kind":"latency","target":"juki","latency_ms":1})");
  EXPECT_EQ(more.status, 400);
  EXPECT_NE(more.body.find("too many active faults"), std::string::npos) << more.body;
  EXPECT_EQ(nlohmann::json::parse(server_->admin("GET", "/__admin/faults").body)["faults"].size(), max);
  server_->admin("DELETE", "/__admin/faults");
}

// A downstream fault from the header fires only on the hops of the request that sent it.
TEST_F(HardeningTest, DownstreamHeaderFaultShapesOnlyItsOwnRequest) {
  flow_client api{server_};
  auto token = api.access_token("taro");
  auto other = api.access_token("taro");
  api.extra_headers["X-Mynasim-Fault"] = R"({"kind":"http_error","status":500,"target":"juki"})";
  auto tid = api.next_telegram_id();
  auto first = parse(api.request(token, tid, "Date=20260101"));
  api.extra_headers.clear();
  auto tid2 = api.next_telegram_id();
  auto second = parse(api.request(other, tid2, "Date=20260101"));
  auto r2 = parse(api.wait_result(other, tid2, second["commonHeader"]["processId"]));
  EXPECT_EQ(r2["commonHeader"]["errorCode"], "") << r2.dump();
  auto r1 = parse(api.wait_result(token, tid, first["commonHeader"]["processId"]));
  EXPECT_NE(r1["commonHeader"]["errorCode"], "") << r1.dump();
}

// The header is off by default on listeners bound beyond loopback.
TEST(HardeningFaultHeader, OffByDefaultBeyondLoopback) {
  test_server s([](world_config& w) { w.server.app.address = "0.0.0.0"; });
  auto res = request(s.port("app"), true, "GET", "/healthz/../healthz", "",
                     {{"X-Mynasim-Fault", R"({"kind":"http_error","status":418})"}});
  EXPECT_EQ(res.status, 400);  // non-canonical
  res = request(s.port("app"), true, "GET", "/online-authorization-web/oauth/authorize", "",
                {{"X-Mynasim-Fault", R"({"kind":"http_error","status":418})"}});
  EXPECT_NE(res.status, 418);
  res = request(s.port("sp"), true, "POST", "/online-authorization-web/oauth/token", "",
                {{"X-Mynasim-Fault", R"({"kind":"http_error","status":418})"}});
  EXPECT_EQ(res.status, 418);  // sp stays on loopback: honoured there
}

// Class 7 with a token: no spelling reaches the admin plane without it.
TEST(HardeningAdmin, TokenIsNeededForEveryPathButHealth) {
  app_options o;
  o.admin_token = admin_token;
  test_server s({}, o);
  auto admin = s.port("admin");
  for (const char* target :
       {"/__admin/faults", "/__admin/config", "/__admin/reset", "/__Admin/config", "/", "/anything"})
    EXPECT_EQ(request(admin, false, "GET", target).status, 401) << target;
  EXPECT_EQ(request(admin, false, "POST", "/__admin/reset").status, 401);
  EXPECT_EQ(request(admin, false, "GET", "/__admin/config", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(request(admin, false, "GET", "/__admin/config", "", {{"Authorization", "Bearer " + admin_token}}).status,
            200);
  EXPECT_EQ(request(admin, false, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(admin, false, "GET", "/readyz").status, 200);
}

// Without a token the loopback admin plane refuses pages from other origins and names.
TEST(HardeningAdmin, CrossOriginAndForeignHostAreRefusedWithoutToken) {
  test_server s;
  auto admin = s.port("admin");
  EXPECT_EQ(request(admin, false, "POST", "/__admin/reset", "", {{"Origin", "http://evil.example"}}).status, 403);
  EXPECT_EQ(request(admin, false, "GET", "/__admin/config", "", {{"Host", "evil.example:8081"}}).status, 403);
  EXPECT_EQ(
      request(admin, false, "GET", "/__admin/config", "", {{"Host", "localhost:" + std::to_string(admin)}}).status,
      200);
}

// Class 10: a flood of authorize requests from one source does not evict another's session.
TEST(HardeningStores, AuthorizeFloodEvictsOnlyTheFloodersSessions) {
  test_server s([](world_config& w) { w.data.portal.max_sessions = 50; });
  flow_client api{&s};
  // A consent screen opened by someone else (its session lives while they read it).
  auto victim = api.authorize("");
  ASSERT_EQ(victim.status, 200) << victim.body;
  auto pos = victim.body.find("name=\"session\" value=\"");
  ASSERT_NE(pos, std::string::npos);
  auto session = victim.body.substr(pos + 22, victim.body.find('"', pos + 22) - pos - 22);
  // 200 more from another source address (127.0.0.2) fill the store several times over.
  for (int i = 0; i < 200; ++i) {
    auto c = connection::open_from(s.port("app"), true, "127.0.0.2");
    ASSERT_TRUE(c && c->connected());
    c->send(build_request("GET",
                          "/online-authorization-web/oauth/authorize?response_type=code&client_id=SP00000086_AA0003&"
                          "redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&state=s"));
    c->read_response();
  }
  auto consent =
      request(s.port("app"), true, "POST", "/online-authorization-web/consent",
              "session=" + session + "&action=agree&terms=on", {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(consent.status, 200);
  EXPECT_NE(consent.body.find("/auth\""), std::string::npos) << consent.body.substr(0, 600);
}

}  // namespace
}  // namespace mynasim::test
