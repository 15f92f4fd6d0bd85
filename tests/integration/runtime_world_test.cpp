// SPDX-License-Identifier: Apache-2.0
// The world changed while it serves: services, connections and personas through the admin
// API (validated like the YAML), --api-user, and reloads that keep the running world when
// the edit is invalid.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "flow_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const char* new_service = R"({
  "provider_name": "テスト信用金庫", "name": "テスト信用金庫 口座開設", "purpose": "口座開設",
  "items": ["TM00000000000003"], "redirect_uris": ["http://bank.example:8080/cb"]
})";

nlohmann::json body_of(const client_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

class RuntimeWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<notification_receiver>();
    server_ = std::make_unique<test_server>();
  }
  std::unique_ptr<notification_receiver> receiver_;
  std::unique_ptr<test_server> server_;
};

TEST_F(RuntimeWorld, ARegisteredServiceRunsTheWholeFlowAndShowsInConfig) {
  auto res = server_->admin("PUT", "/__admin/services/SP00000999_ZZ0001", new_service);
  ASSERT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(body_of(res)["defined_at"], "PUT /__admin/services/SP00000999_ZZ0001:1:1");
  res = server_->admin("PUT", "/__admin/connections/SP00000999_ZZ0001",
                       R"({"notification_url": ")" + receiver_->url() + R"("})");
  ASSERT_EQ(res.status, 201) << res.body;

  flow_client client{server_.get(), "SP00000999_ZZ0001", "http://bank.example:8080/cb"};
  auto result = client.run("taro", "Date=20260401");
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
  ASSERT_TRUE(receiver_->wait_for(1, 5s));

  auto config = body_of(server_->admin("GET", "/__admin/config"));
  bool found = false;
  for (const auto& s : config["services"])
    if (s["client_id"] == "SP00000999_ZZ0001") {
      found = true;
      EXPECT_EQ(s["connection"]["notification_url"], receiver_->url());
    }
  EXPECT_TRUE(found) << config["services"].dump();
  EXPECT_EQ(body_of(server_->admin("GET", "/__admin/changes"))["changes"].size(), 2u);
}

TEST_F(RuntimeWorld, APatchPointsASampleServiceAtYourOwnApp) {
  auto res = server_->admin("PATCH", "/__admin/connections/SP00000086_AA0003",
                            R"({"notification_url": ")" + receiver_->url() + R"("})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body_of(res)["client_cert_subject"], "/C=JP/O=Sample API user/CN=SP00000086_AA0003");  // the rest kept
  res = server_->admin("PATCH", "/__admin/services/SP00000086_AA0003",
                       R"({"redirect_uris": ["http://bank-app:3000/callback"]})");
  ASSERT_EQ(res.status, 200) << res.body;
  flow_client client{server_.get(), "SP00000086_AA0003", "http://bank-app:3000/callback"};
  client.run("taro", "Date=20260401");
  ASSERT_TRUE(receiver_->wait_for(1, 5s));
  flow_client old_uri{server_.get()};
  EXPECT_EQ(old_uri.authorize("&mynasim_persona=taro").status, 400);  // the old redirect URI is gone
}

TEST_F(RuntimeWorld, InvalidEntriesAreRefusedWithTheYamlParsersErrors) {
  auto res = server_->admin("PUT", "/__admin/services/SP00000999_ZZ0001",
                            R"({"provider_name": "x", "name": "x", "purpose": "x", "items": ["TM99999999999999"],
                                "redirect_uris": ["http://a/cb"]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("PUT /__admin/services/SP00000999_ZZ0001:1:63: services[SP00000999_ZZ0001].items[0]: "
                          "unknown item 'TM99999999999999'"),
            std::string::npos)
      << res.body;
  for (auto [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/__admin/services/SP00000999_ZZ0001", R"({"name": "x"})"},                         // required keys
           {"/__admin/services/SP00000999_ZZ0001", R"({"colour": "red"})"},                     // unknown key
           {"/__admin/services/SP00000999_ZZ0001", R"({"client_id": "SP00000999_ZZ0002"})"},    // id differs
           {"/__admin/connections/SP00000999_ZZ0001", R"({"notification_url": "http://x/"})"},  // no such service
           {"/__admin/connections/SP00000086_AA0003", R"({"notification_url": "ftp://x/"})"},
           {"/__admin/personas/newbie", R"({"name": "x"})"},
           {"/__admin/services/SP00000999_ZZ0001",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]"},
       }) {
    res = server_->admin("PUT", target, body);
    EXPECT_EQ(res.status, 400) << target << " " << body << " → " << res.body;
  }
  EXPECT_EQ(server_->admin("PUT", "/__admin/services/not-an-id", new_service).status, 400);
  EXPECT_EQ(server_->admin("PATCH", "/__admin/services/SP00000999_ZZ0009", "{}").status, 404);
  EXPECT_EQ(server_->admin("DELETE", "/__admin/personas/nobody").status, 404);
  EXPECT_EQ(server_->admin("DELETE", "/__admin/personas/taro").status, 400);  // the CI service uses taro
  EXPECT_EQ(body_of(server_->admin("GET", "/__admin/changes"))["changes"].size(), 0u);
}

TEST_F(RuntimeWorld, RemovingAServiceEndsItsTokensAndAuthorizations) {
  flow_client client{server_.get()};
  auto token = client.access_token("taro");
  ASSERT_EQ(server_->admin("DELETE", "/__admin/services/SP00000086_AA0003").status, 200);
  EXPECT_EQ(server_->admin("GET", "/__admin/connections/SP00000086_AA0003").status, 404);
  auto res = client.request(token, client.next_telegram_id(), "Date=20260401");
  EXPECT_EQ(res.status, 401) << res.body;
  EXPECT_EQ(client.authorize("&mynasim_persona=taro").status, 400);
}

TEST_F(RuntimeWorld, ANewPersonaHasACardThatWorks) {
  auto res = server_->admin("PUT", "/__admin/personas/newbie", R"({
    "name": "新井 一", "kana": "アライ ハジメ", "birth_date": "2000-01-02", "sex": "男",
    "address": "東京都千代田区1-1", "municipality": "東京都千代田区",
    "card": {"serial": "MC00009999", "pin": "4321"},
    "data": [{"item": "TM00000000000003", "records": [{"課税年度": "2025", "合計所得金額": "100", "課税決定年月日": "20250601"}]}]})");
  ASSERT_EQ(res.status, 201) << res.body;
  flow_client client{server_.get()};
  auto result = client.run("newbie", "Date=20260401");
  auto data = result["selfPersonalDataProvisionInfo"]["selfPersonalData"].get<std::string>();
  EXPECT_NE(data.find("\"合計所得金額\":\"100\""), std::string::npos) << data;
  // A second persona may not take the same card.
  res = server_->admin("PUT", "/__admin/personas/newbie2", R"({
    "name": "x", "kana": "x", "birth_date": "2000-01-02", "sex": "男", "address": "x", "municipality": "x",
    "card": {"serial": "MC00009999", "pin": "4321"}})");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("already persona newbie's"), std::string::npos) << res.body;
}

TEST(RuntimeWorldOptions, ApiUserPointsEveryServiceAtOneApp) {
  notification_receiver receiver;
  auto base = receiver.url().substr(0, receiver.url().find("/myna/notify"));
  app_options options;
  options.api_users = {base};
  test_server server({}, options);
  for (const char* id : {"SP00000086_AA0003", "SP00000123_BB0001"}) {
    auto s = body_of(server.admin("GET", std::string("/__admin/services/") + id));
    EXPECT_EQ(s["redirect_uris"].front(), base + "/callback");
    EXPECT_EQ(s["connection"]["notification_url"], base + "/myna/notify");
    EXPECT_EQ(s["connection"]["defined_at"], "--api-user " + base);
  }
  // The landing page's links lead to the team's app.
  auto landing = request(server.port("app"), true, "GET", "/").body;
  EXPECT_NE(landing.find("redirect_uri=" + percent_encode(base + "/callback")), std::string::npos);
  flow_client client{&server, "SP00000086_AA0003", base + "/callback"};
  client.run("taro", "Date=20260401");
  EXPECT_TRUE(receiver.wait_for(1, 5s));
}

TEST(RuntimeWorldOptions, AMalformedApiUserStopsStartup) {
  app_options options;
  options.api_users = {"SP00000086_AA0003=ftp://x"};
  EXPECT_THROW(test_server({}, options), startup_error);
  options.api_users = {"SP00000999_ZZ0001=http://x:1"};
  EXPECT_THROW(test_server({}, options), startup_error);
}

TEST(RuntimeWorldOptions, InternalHopsUseTheAddressTheSystemsListenerHas) {
  test_server server([](world_config& w) { w.server.systems.address = "127.0.0.2"; });
  flow_client client{&server};
  auto result = client.run("taro", "Date=20260401");
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
}

// Internal hops over TCP (server.internal_hops: tcp, as in a split world) keep their
// connections: a second flow opens (almost) none, and connections the peer closed while idle
// (read_timeout here: 0.8 s) are never used for a hop.
TEST(PeerConnections, HopsReuseKeptConnectionsAndSkipOnesThePeerClosed) {
  test_server server([](world_config& w) { w.server.in_memory_hops = false; });
  flow_client client{&server};
  auto stats = [&] { return body_of(server.admin("GET", "/__admin/health"))["peer_connections"]; };
  ASSERT_EQ(client.run("taro", "Date=20250701")["commonHeader"]["errorCode"], "");
  auto opened = stats()["opened"].get<int>();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.run("taro", "Date=20250701")["commonHeader"]["errorCode"], "");
  EXPECT_GT(stats()["reused"].get<int>(), 0) << stats();
  EXPECT_LT(stats()["opened"].get<int>() - opened, 5) << stats();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the systems listener closes idle connections
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(client.run("taro", "Date=20250701")["commonHeader"]["errorCode"], "") << stats();
}

// Notifications to an API user's HTTPS endpoint keep their TLS session too: after the first
// flow, five more flows (five notifications) open fewer than five connections in all.
TEST(PeerConnections, NotificationsToAnHttpsEndpointReuseTheirTlsSession) {
  notification_receiver receiver(200, true);
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = millis{0};
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  flow_client client{&server};
  auto stats = [&] { return body_of(server.admin("GET", "/__admin/health"))["peer_connections"]; };
  ASSERT_EQ(client.run("taro", "Date=20250701")["commonHeader"]["errorCode"], "");
  ASSERT_TRUE(receiver.wait_for(1, std::chrono::seconds(5)));
  auto opened = stats()["opened"].get<int>();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(client.run("taro", "Date=20250701")["commonHeader"]["errorCode"], "");
    ASSERT_TRUE(receiver.wait_for(static_cast<std::size_t>(i + 2), std::chrono::seconds(5)));
  }
  EXPECT_LT(stats()["opened"].get<int>() - opened, 5) << stats();
  auto last = receiver.received().back();
  EXPECT_EQ(last["commonHeader"]["telegramType"], "IFA0302-R01") << last.dump();
}

// An endpoint that closes idle TLS connections (after 0.3 s here) never costs a notification
// attempt: the closed session is noticed before it is used, and a new one is opened.
TEST(PeerConnections, ATlsSessionTheEndpointClosedIsNotUsed) {
  notification_receiver receiver(200, true, std::chrono::milliseconds(300));
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = millis{0};
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  flow_client client{&server};
  for (std::size_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(client.run("taro", "Date=20250701")["commonHeader"]["errorCode"], "");
    ASSERT_TRUE(receiver.wait_for(i, std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the endpoint closes the kept session
  }
  auto metrics = server.admin("GET", "/metrics").body;
  EXPECT_NE(metrics.find("mynasim_notifications_total{attempt=\"1\",outcome=\"delivered\"} 3"), std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("outcome=\"failed\""), std::string::npos);
}

// A team's world: the default world included, one connection overridden explicitly.
class Reload : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mynasim-reload-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write(good_);
    start({});
  }
  void start(app_options options) {
    server_.reset();
    server_ = std::make_unique<test_server>(
        [this](world_config& w) {
          auto mine = test_world((dir_ / "world.yaml").string());
          w = std::move(mine);
        },
        options);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  void write(const std::string& extra) {
    std::ofstream((dir_ / "world.yaml").string()) << "include: [\"" << MYNASIM_SOURCE_DIR << "/fixtures/world.yaml\"]\n"
                                                  << extra;
  }
  nlohmann::json reload() {
    auto res = server_->admin("POST", "/__admin/reload");
    auto j = body_of(res);
    j["status"] = res.status;
    return j;
  }
  const std::string good_ =
      "connections:\n"
      "  - client_id: SP00000086_AA0003\n"
      "    override: true\n"
      "    notification_url: http://bank-app:3000/notify\n";
  fs::path dir_;
  std::unique_ptr<test_server> server_;
};

TEST_F(Reload, AnInvalidEditLeavesTheRunningWorldAnsweringAsBefore) {
  flow_client client{server_.get()};
  auto token = client.access_token("taro");
  auto before = server_->admin("GET", "/__admin/config").body;
  auto authorize_before = client.authorize("&mynasim_persona=hanako");

  write(good_ + "services:\n  - client_id: SP00000999_ZZ0001\n    name: x\n");  // required keys missing
  auto j = reload();
  EXPECT_EQ(j["status"], 400) << j.dump();
  EXPECT_NE(j["error_description"].get<std::string>().find("world.yaml:7:5: services[0]: missing required key"),
            std::string::npos)
      << j.dump();
  EXPECT_EQ(server_->admin("GET", "/__admin/config").body, before);
  auto authorize_after = client.authorize("&mynasim_persona=hanako");
  EXPECT_EQ(authorize_after.status, authorize_before.status);
  auto res = client.request(token, client.next_telegram_id(), "Date=20260401");
  EXPECT_EQ(res.status, 200) << res.body;

  write("connections:\n  - client_id: SP00000086_AA0003\n    notification_url: http://x/\n");  // no override
  j = reload();
  EXPECT_EQ(j["status"], 400);
  EXPECT_NE(j["error_description"].get<std::string>().find("add `override: true`"), std::string::npos) << j.dump();
  EXPECT_EQ(server_->admin("GET", "/__admin/config").body, before);
}

TEST_F(Reload, AValidEditAppliesAndInFlightStateSurvives) {
  flow_client client{server_.get()};
  auto token = client.access_token("taro");
  // A request accepted before the reload, its result fetched after it.
  auto pending_telegram = client.next_telegram_id();
  auto pending = parse(client.request(token, pending_telegram, "Date=20250701"))["commonHeader"]["processId"];
  auto code = client.authorize_code("hanako");  // an authorization code issued before the reload
  // One wrong PIN on hanako's card before the reload.
  client.authorize("&mynasim_persona=hanako&mynasim_outcome=wrong_pin");
  auto tries = [&] {
    auto list = body_of(server_->admin("GET", "/__admin/personas"));
    for (const auto& p : list["personas"])
      if (p["id"] == "hanako") return p["pin_tries_left"].get<int>();
    ADD_FAILURE() << list.dump();
    return -1;
  };
  ASSERT_EQ(tries(), 2);
  ASSERT_EQ(server_->admin("PUT", "/__admin/services/SP00000999_ZZ0001", new_service).status, 201);

  write(good_ +
        "services:\n"
        "  - client_id: SP00000777_YY0001\n"
        "    provider_name: 追加\n    name: 追加サービス\n    purpose: 確認\n"
        "    items: [TM00000000000003]\n    redirect_uris: [\"http://localhost:3000/callback\"]\n");
  auto j = reload();
  ASSERT_EQ(j["status"], 200) << j.dump();
  EXPECT_EQ(j["runtime_changes_replayed"], 1);
  EXPECT_EQ(j["restart_required"].size(), 0u) << j.dump();
  EXPECT_EQ(server_->admin("GET", "/__admin/services/SP00000777_YY0001").status, 200);
  EXPECT_EQ(server_->admin("GET", "/__admin/services/SP00000999_ZZ0001").status, 200);  // the API's change kept
  auto res = client.request(token, client.next_telegram_id(), "Date=20260401");         // the token survived
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body_of(server_->admin("GET", "/__admin/connections/SP00000086_AA0003"))["notification_url"],
            "http://bank-app:3000/notify");
  EXPECT_EQ(tries(), 2);  // card state survives a reload that leaves the card's definition alone
  auto result = parse(client.wait_result(token, pending_telegram, pending.get<std::string>()));
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
  EXPECT_EQ(client.token(code).status, 200);  // the code survived too

  write(good_ + "systems:\n  - {id: extra-server, name: 追加中間サーバ, kind: intermediate}\n");
  j = reload();
  ASSERT_EQ(j["status"], 200) << j.dump();
  EXPECT_EQ(j["restart_required"], nlohmann::json::array({"systems"}));
}

TEST_F(Reload, WatchReloadsWhenAFileChangesAndLogsRefusals) {
  app_options options;
  options.watch = true;
  start(options);
  auto url = [&] {
    return body_of(server_->admin("GET", "/__admin/connections/SP00000086_AA0003"))["notification_url"];
  };
  write("connections:\n  - {client_id: SP00000086_AA0003, override: true, notification_url: \"http://watched:1/n\"}\n");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (url() != "http://watched:1/n" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(url(), "http://watched:1/n");
  write("connections: [oops\n");
  deadline = std::chrono::steady_clock::now() + 10s;
  while (server_->logs().find("reload_refused") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_NE(server_->logs().find("YAML syntax error"), std::string::npos) << server_->logs();
  EXPECT_EQ(url(), "http://watched:1/n");
}

}  // namespace
}  // namespace mynasim::test
