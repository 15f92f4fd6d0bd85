// SPDX-License-Identifier: Apache-2.0
// Fault injection, scenarios, the journal and reset, observed by real HTTP clients.
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "config/yaml_reader.hpp"
#include "faults/scenario.hpp"
#include "flow_client.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

class Faults : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start(std::function<void(world_config&)> extra = {}) {
    receiver_ = std::make_unique<notification_receiver>();
    server_.reset();
    server_ = std::make_unique<test_server>([&](world_config& w) {
      w.data.portal.processing_delay = std::chrono::milliseconds(10);
      w.data.portal.notification_attempts = 1;
      for (auto& c : w.data.connections) c.notification_url = receiver_->url();
      if (extra) extra(w);
    });
    flow_.server = server_.get();
  }
  client_response add(const std::string& json) { return server_->admin("POST", "/__admin/faults", json); }
  client_response status_of(const std::string& system, const std::map<std::string, std::string>& headers = {}) {
    return test::request(server_->port("systems"), false, "GET", "/systems/" + system + "/status", "", headers);
  }
  std::unique_ptr<connection> send_status(const std::string& system) {
    auto c = connection::open(server_->port("systems"), false);
    c->send(build_request("GET", "/systems/" + system + "/status"));
    return c;
  }
  std::string code_of(const char* key) { return server_->runtime().data.get()->errors.at(key).code; }

  std::unique_ptr<notification_receiver> receiver_;
  std::unique_ptr<test_server> server_;
  flow_client flow_;
};

TEST_F(Faults, LatencyDelaysTheAnswer) {
  ASSERT_EQ(add(R"({"kind":"latency","target":"municipal","latency_ms":150})").status, 201);
  auto t = clock_type::now();
  auto r = status_of("municipal");
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(clock_type::now() - t, 150ms);
  EXPECT_FALSE(r.header("x-mynasim-faults").empty());
}

TEST_F(Faults, HttpErrorWithStatusCodeAndMessage) {
  add(R"({"kind":"http_error","target":"municipal","status":418,"error_code":"E-TEA","message":"急須です"})");
  auto r = status_of("municipal");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(parse(r)["error"], "E-TEA");
  EXPECT_EQ(parse(r)["errorMessage"], "急須です");
  EXPECT_EQ(status_of("juki").status, 200);  // other systems untouched
}

TEST_F(Faults, ConnectionLevelFaults) {
  add(R"({"kind":"hang","target":"municipal","count":1})");
  auto hung = send_status("municipal");
  EXPECT_FALSE(hung->read_response(700ms));  // no answer while we wait
  add(R"({"kind":"reset","target":"juki","count":1})");
  auto reset = send_status("juki");
  EXPECT_FALSE(reset->read_response(2s));
  add(R"({"kind":"empty_response","target":"hello-work","count":1})");
  auto empty = send_status("hello-work");
  EXPECT_FALSE(empty->read_response(2s));
  EXPECT_TRUE(empty->wait_closed(2s));
  add(R"({"kind":"truncated_body","target":"network","count":1})");
  auto truncated = send_status("network");
  EXPECT_FALSE(truncated->read_response(2s));  // Content-Length promises more than arrives
  add(R"({"kind":"malformed_body","target":"public-funds-account","count":1})");
  auto malformed = status_of("public-funds-account");
  EXPECT_EQ(malformed.status, 200);
  EXPECT_TRUE(parse(malformed).is_discarded());
  add(R"({"kind":"slow_body","target":"family-register","delay_ms":20,"chunk_bytes":16,"count":1})");
  auto t = clock_type::now();
  auto slow = status_of("municipal");
  slow = status_of("family-register");
  EXPECT_EQ(slow.status, 200);
  EXPECT_GE(clock_type::now() - t, 200ms);  // > 10 chunks, 20 ms apart
  EXPECT_TRUE(parse(slow).is_object());
  // Each fault was for one request only.
  for (const char* s : {"juki", "hello-work", "network", "public-funds-account", "family-register"})
    EXPECT_EQ(status_of(s).status, 200) << s;
}

TEST_F(Faults, ForcedDownIsAnOutageThatRevertsOnTheVirtualClock) {
  ASSERT_EQ(add(R"({"kind":"down","target":"juki","for":"PT10M"})").status, 201);
  auto r = status_of("juki");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(parse(r)["reason"]["code"], "forced_down");
  EXPECT_EQ(parse(r)["reopens_at"], "2026-11-27T10:10:00+09:00");
  EXPECT_EQ(r.header("retry-after"), "600");
  auto flow = flow_.run("taro", "Latest");
  EXPECT_EQ(flow["commonHeader"]["errorCode"], code_of("system_forced_down")) << flow;
  server_->admin("POST", "/__admin/clock/advance", R"({"by":"PT10M"})");
  EXPECT_EQ(status_of("juki").status, 200);
  EXPECT_TRUE(parse(server_->admin("GET", "/__admin/faults"))["faults"].empty());
}

TEST_F(Faults, PortalCanBeForcedDown) {
  add(R"({"kind":"down","target":"portal"})");
  auto r = test::request(server_->port("app"), true, "GET", "/online-authorization-web/oauth/authorize?client_id=x");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(test::request(server_->port("app"), true, "GET", "/readyz").status, 200);  // the process is alive
}

TEST_F(Faults, QuotaAnswers429AfterTheLimit) {
  add(R"({"kind":"quota","target":"municipal","limit":2,"window":"PT1M"})");
  EXPECT_EQ(status_of("municipal").status, 200);
  EXPECT_EQ(status_of("municipal").status, 200);
  auto r = status_of("municipal");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "60");
  server_->admin("POST", "/__admin/clock/advance", R"({"by":"PT1M"})");
  EXPECT_EQ(status_of("municipal").status, 200);
}

TEST_F(Faults, NotificationDropDuplicateAndDelay) {
  add(R"({"kind":"notification_drop","target":"portal","count":1})");
  flow_.run("taro", "Latest");
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(receiver_->received().size(), 0u);
  add(R"({"kind":"notification_duplicate","target":"portal","count":1})");
  flow_.run("taro", "Latest");
  EXPECT_TRUE(receiver_->wait_for(2, 3s));
  add(R"({"kind":"notification_delay","target":"portal","delay_ms":300,"count":1})");
  auto t = clock_type::now();
  flow_.run("taro", "Latest");
  EXPECT_TRUE(receiver_->wait_for(3, 3s));
  EXPECT_GE(clock_type::now() - t, 300ms);
  nlohmann::json out;
  for (int i = 0; i < 200; ++i) {  // journaled once each answer is read
    out = parse(server_->admin("GET", "/__admin/requests?direction=out"));
    if (out["requests"].size() >= 4) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(out["requests"].size(), 4u);  // one dropped, two copies, one delayed
  EXPECT_EQ(out["requests"][0]["response_body"], "dropped by fault");
}

TEST_F(Faults, OneFailingHolderShowsInTheResultWhileOthersAnswer) {
  flow_.client_id = "SP00000200_CC0001";
  server_->set_clock("2027-03-10T10:00:00+09:00");
  add(R"({"kind":"http_error","target":"national-gov-mutual","status":500})");
  auto r = flow_.run("ichiro", "Latest");
  EXPECT_EQ(r["commonHeader"]["errorCode"], code_of("partial_result"));
  std::map<std::string, std::string> status;
  for (auto& s : r["selfPersonalDataProvisionInfo"]["providerStatus"]) status[s["system"]] = s["status"];
  EXPECT_EQ(status["national-gov-mutual"], "error");
  EXPECT_EQ(status["japan-pension"], "ok");
  auto data = r["selfPersonalDataProvisionInfo"]["selfPersonalData"].get<std::string>();
  EXPECT_NE(data.find("日本年金機構"), std::string::npos);
  EXPECT_EQ(data.find("国家公務員共済組合連合会"), std::string::npos);
}

TEST_F(Faults, SameSeedSameSequence) {
  auto run = [&] {
    server_->admin("DELETE", "/__admin/faults");
    add(R"({"kind":"http_error","target":"municipal","status":503,"probability":0.5,"seed":42})");
    std::string seq;
    for (int i = 0; i < 24; ++i) seq += status_of("municipal").status == 503 ? 'x' : '.';
    return seq;
  };
  auto first = run();
  EXPECT_EQ(run(), first);
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST_F(Faults, InvalidDefinitionsAreRejectedAndActiveFaultsUntouched) {
  ASSERT_EQ(add(R"({"id":"keep","kind":"latency","target":"juki","latency_ms":1})").status, 201);
  for (const char* bad :
       {R"({"kind":"latency","target":"nowhere","latency_ms":5})",
        R"({"kind":"latency","target":"juki","latency_ms":-5})",
        R"({"kind":"http_error","target":"juki","probability":1.5})", R"({"kind":"explode","target":"juki"})",
        R"({"kind":"latency"})", R"({"kind":"latency","target":"juki","colour":"red"})",
        R"({"kind":"down","target":"juki","count":3})", R"({"id":"keep","kind":"reset","target":"juki"})",
        R"([{"kind":"reset","target":"juki"},{"kind":"reset","target":"mars"}])", "not json"}) {
    auto r = add(bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(parse(r)["error"], "invalid_fault") << bad;
  }
  auto list = parse(server_->admin("GET", "/__admin/faults"))["faults"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "keep");
  EXPECT_EQ(server_->admin("DELETE", "/__admin/faults/keep").status, 200);
  EXPECT_EQ(server_->admin("DELETE", "/__admin/faults/keep").status, 404);
}

TEST_F(Faults, PerRequestHeader) {
  auto r = status_of("municipal", {{"X-Mynasim-Fault", R"({"kind":"http_error","status":502})"}});
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(status_of("municipal").status, 200);
  EXPECT_EQ(status_of("municipal", {{"X-Mynasim-Fault", "{oops"}}).status, 400);
  for (const char* kind : {R"({"kind":"down"})", R"({"kind":"notification_drop","target":"portal"})"})
    EXPECT_EQ(status_of("municipal", {{"X-Mynasim-Fault", kind}}).status, 400) << kind;
  EXPECT_EQ(status_of("municipal").status, 200);  // nothing was left behind
  EXPECT_TRUE(parse(server_->admin("GET", "/__admin/faults"))["faults"].empty());
  // A fault for a system further down the path applies once, to this service and persona.
  auto token = flow_.access_token("taro");
  auto telegram = flow_.next_telegram_id();
  nlohmann::json body{{"commonHeader", {{"telegramId", telegram}, {"telegramType", "IFA0301-R01"}, {"mode", "1"}}},
                      {"selfProvisionDataReqInfo", {{"inquiryCondition", "Latest"}}}};
  auto accepted =
      parse(test::request(server_->port("sp"), true, "POST", "/online-resource-web/request", body.dump(),
                          {{"Authorization", "Bearer " + token},
                           {"X-Mynasim-Fault", R"({"kind":"http_error","target":"municipal","status":500})"}}));
  auto result = parse(flow_.wait_result(token, telegram, accepted["commonHeader"]["processId"]));
  EXPECT_EQ(result["commonHeader"]["errorCode"], code_of("system_error")) << result;
  EXPECT_EQ(flow_.run("taro", "Latest")["commonHeader"]["errorCode"], "");  // spent
  start([](world_config& w) { w.qa.allow_fault_header = false; });
  EXPECT_EQ(status_of("municipal", {{"X-Mynasim-Fault", R"({"kind":"http_error","status":502})"}}).status, 200);
}

// Every answer on a telegram endpoint is a telegram of that endpoint's response type, even
// when a fault or the closed portal gives it.
TEST_F(Faults, InjectedAnswersOnTelegramEndpointsAreTelegrams) {
  auto token = flow_.access_token("taro");
  auto telegram = flow_.next_telegram_id();
  nlohmann::json body{{"commonHeader", {{"telegramId", telegram}, {"telegramType", "IFA0301-R01"}, {"mode", "1"}}},
                      {"selfProvisionDataReqInfo", {{"inquiryCondition", "Latest"}}}};
  auto send = [&](const std::string& fault) {
    return test::request(server_->port("sp"), true, "POST", "/online-resource-web/request", body.dump(),
                         {{"Authorization", "Bearer " + token}, {"X-Mynasim-Fault", fault}});
  };
  auto r = send(R"({"kind":"http_error","status":503})");
  EXPECT_EQ(r.status, 503);
  auto h = parse(r)["commonHeader"];
  EXPECT_EQ(h["telegramId"], telegram);
  EXPECT_EQ(h["telegramType"], "IFA0301-S01");
  EXPECT_EQ(h["mode"], "1");
  EXPECT_EQ(h["errorCode"], code_of("system_error")) << r.body;
  EXPECT_TRUE(parse(r)["errorMessage"].is_string());
  EXPECT_FALSE(parse(r).contains("error"));  // nothing but the telegram
  // What the fault declares is what the API user gets.
  r = send(R"({"kind":"http_error","status":503,"error_code":"MPE9999","message":"混雑しています"})");
  EXPECT_EQ(parse(r)["commonHeader"]["errorCode"], "MPE9999");
  EXPECT_EQ(parse(r)["errorMessage"], "混雑しています");
  // The closed portal answers with a telegram too.
  add(R"({"kind":"down","target":"portal"})");
  r = test::request(server_->port("sp"), true, "POST", "/online-resource-web/result",
                    R"({"commonHeader":{"telegramId":"TL-1","telegramType":"IFA0303-R01","mode":"2","processId":"7"}})",
                    {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(parse(r)["commonHeader"]["telegramType"], "IFA0303-S01");
  EXPECT_EQ(parse(r)["commonHeader"]["mode"], "2");
  EXPECT_EQ(parse(r)["commonHeader"]["errorCode"], code_of("system_forced_down")) << r.body;
}

// The flaky-network scenario's own fault, made to fire every time: its errorCode and message
// reach the API user in the result, and the network's status names the fault.
TEST_F(Faults, AScenariosDeclaredErrorReachesTheApiUser) {
  auto doc = yaml_to_json(load_yaml_file(std::string(MYNASIM_SOURCE_DIR) + "/scenarios/flaky-network.yaml"), false);
  auto spec = doc["steps"][0]["add_faults"][0];
  spec["probability"] = "1.0";
  spec.erase("id");
  nlohmann::json fault = nlohmann::json::object();
  for (const auto& [key, v] : spec.items()) {
    auto value = v.get<std::string>();
    if (key == "status")
      fault[key] = std::stoi(value);
    else if (key == "probability")
      fault[key] = std::stod(value);
    else if (key == "seed")
      fault[key] = std::stoull(value);
    else
      fault[key] = value;
  }
  ASSERT_EQ(add(fault.dump()).status, 201) << fault.dump();
  auto r = flow_.run("taro", "Latest");
  EXPECT_EQ(r["commonHeader"]["errorCode"], spec["error_code"]) << r.dump();
  EXPECT_EQ(r["errorMessage"], spec["message"]) << r.dump();
  auto status = r["selfPersonalDataProvisionInfo"]["providerStatus"][0];
  EXPECT_EQ(status["system"], "network");
  EXPECT_EQ(status["reason"]["code"], "injected") << status;
}

// A failing holder says why in words: an injected error its Japanese reason, a malformed body
// what was wrong with the body rather than "HTTP 200".
TEST_F(Faults, AFailingHolderSaysWhyInWords) {
  ASSERT_EQ(add(R"({"kind":"http_error","target":"municipal","status":503,"count":5,"client_id":"SP00000086_AA0003"})")
                .status,
            201);
  auto r = flow_.run("taro", "Latest");
  auto status = r["selfPersonalDataProvisionInfo"]["providerStatus"][0];
  EXPECT_EQ(status["system"], "municipal") << r.dump();
  EXPECT_EQ(status["reason"]["code"], "injected") << status;
  EXPECT_NE(status["reason"].value("message", "").find("テスト用に注入された障害です"), std::string::npos) << status;
  server_->admin("DELETE", "/__admin/faults");
  ASSERT_EQ(add(R"({"kind":"malformed_body","target":"municipal","count":1})").status, 201);
  r = flow_.run("taro", "Latest");
  status = r["selfPersonalDataProvisionInfo"]["providerStatus"][0];
  EXPECT_EQ(status["status"], "error") << r.dump();
  EXPECT_NE(status.value("detail", "").find("not a JSON object"), std::string::npos) << status;
}

TEST_F(Faults, JournalRecordsEveryHopAndFilters) {
  auto token = flow_.access_token("taro");
  auto telegram = flow_.next_telegram_id();
  auto pid = parse(flow_.request(token, telegram, "Latest"))["commonHeader"]["processId"].get<std::string>();
  flow_.wait_result(token, telegram, pid);
  ASSERT_TRUE(receiver_->wait_for(1, 3s));
  // The notification is journaled once its answer is read: wait for it.
  std::set<std::string> systems;
  for (int i = 0; i < 200 && !systems.count("api-user"); ++i) {
    if (i) std::this_thread::sleep_for(10ms);
    systems.clear();
    auto by_process = parse(server_->admin("GET", "/__admin/requests?process_id=" + pid));
    for (auto& e : by_process["requests"]) systems.insert(e["system"].get<std::string>());
  }
  for (const char* s : {"network", "juki", "municipal", "portal", "api-user"}) EXPECT_TRUE(systems.count(s)) << s;
  // The IF001-04 request that created the process is part of its story (its answer names it).
  auto created = parse(server_->admin("GET", "/__admin/requests?process_id=" + pid + "&system=portal"));
  ASSERT_FALSE(created["requests"].empty()) << created;
  EXPECT_EQ(created["requests"][0]["path"], "/online-resource-web/request") << created;
  auto by_telegram = parse(server_->admin("GET", "/__admin/requests?telegram_id=" + telegram + "&system=portal"));
  ASSERT_GE(by_telegram["requests"].size(), 2u);  // the request, then the result (polled)
  EXPECT_EQ(by_telegram["requests"][0]["path"], "/online-resource-web/request");
  EXPECT_EQ(by_telegram["requests"][0]["client_id"], "SP00000086_AA0003");
  EXPECT_EQ(by_telegram["requests"].back()["path"], "/online-resource-web/result");
  auto count = parse(server_->admin("GET", "/__admin/requests/count?status=200&system=juki"));
  EXPECT_EQ(count["count"], 1);
  EXPECT_EQ(server_->admin("DELETE", "/__admin/requests").status, 200);
  EXPECT_EQ(parse(server_->admin("GET", "/__admin/requests/count"))["count"], 0);
}

TEST_F(Faults, JournalStaysWithinItsBound) {
  start([](world_config& w) { w.qa.journal_max_entries = 50; });
  for (int i = 0; i < 200; ++i) status_of("municipal");
  // An entry is recorded just after its response is sent: wait for the last one.
  nlohmann::json stats;
  for (int i = 0; i < 200; ++i) {
    stats = parse(server_->admin("GET", "/__admin/requests/count"))["journal"];
    if (stats["dropped"] == 150) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(stats["entries"], 50);
  EXPECT_EQ(stats["dropped"], 150);
}

TEST_F(Faults, ResetRestoresTheStartupState) {
  add(R"({"kind":"down","target":"municipal"})");
  server_->set_clock("2027-01-02T00:00:00+09:00");
  flow_.authorize("&mynasim_persona=hanako&mynasim_outcome=lock_card");
  status_of("juki");
  ASSERT_EQ(server_->admin("POST", "/__admin/reset").status, 200);
  EXPECT_TRUE(parse(server_->admin("GET", "/__admin/faults"))["faults"].empty());
  EXPECT_EQ(parse(server_->admin("GET", "/__admin/clock"))["now"], "2026-11-27T10:00:00+09:00");
  EXPECT_EQ(parse(server_->admin("GET", "/__admin/requests/count"))["count"], 0);
  EXPECT_EQ(status_of("municipal").status, 200);
  EXPECT_FALSE(flow_.authorize_code("hanako").empty());  // the card is unlocked again
}

TEST_F(Faults, FaultIdsStartAgainAfterAReset) {
  auto first = parse(add(R"({"kind":"latency","target":"municipal","latency_ms":1})"))["ids"][0];
  add(R"({"kind":"latency","target":"juki","latency_ms":1})");
  ASSERT_EQ(server_->admin("POST", "/__admin/reset").status, 200);
  EXPECT_EQ(parse(add(R"({"kind":"latency","target":"municipal","latency_ms":1})"))["ids"][0], first);
}

TEST_F(Faults, ScenariosLoadAndAdvanceWithTheClock) {
  auto r = server_->admin("POST", "/__admin/scenarios", R"({"file":"scenarios/expired-card.yaml"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)["current_step"], 0);
  server_->admin("PUT", "/__admin/clock", R"({"frozen":true})");
  EXPECT_FALSE(flow_.authorize_code("taro").empty());
  server_->admin("POST", "/__admin/clock/advance", R"({"by":"PT5M"})");
  auto denied = flow_.authorize("&mynasim_persona=taro");
  EXPECT_EQ(query_value(denied.header("location"), "error_code"), code_of("certificate_expired"));
  EXPECT_EQ(parse(server_->admin("GET", "/__admin/scenarios"))["current_step"], 1);
  r = server_->admin("POST", "/__admin/scenarios", R"({"file":"scenarios/flaky-network.yaml"})");
  ASSERT_EQ(r.status, 200) << r.body;
  // Loading a second scenario replaces the first, and says so in the answer and the log.
  EXPECT_EQ(parse(r)["replaced"], "expired-card");
  EXPECT_NE(server_->logs().find("\"replaced\":\"expired-card\""), std::string::npos) << server_->logs();
  auto faults = parse(server_->admin("GET", "/__admin/faults"))["faults"];
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0]["id"], "flaky-network");
  auto bad = test::request(
      server_->port("admin"), false, "POST", "/__admin/scenarios",
      "name: x\nsteps:\n  - at: \"2026-11-27T10:00:00+09:00\"\n    add_faults: [{kind: latency, target: mars}]\n",
      {{"Content-Type", "application/yaml"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(parse(bad)["error_description"].get<std::string>().find("request body:4:"), std::string::npos) << bad.body;
  EXPECT_EQ(parse(server_->admin("GET", "/__admin/faults"))["faults"].size(), 1u);  // untouched
}

TEST(Scenarios, EveryShippedScenarioLoads) {
  auto world = load_world(std::string(MYNASIM_SOURCE_DIR) + "/fixtures/world.yaml");
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MYNASIM_SOURCE_DIR) + "/scenarios")) {
    auto s = load_scenario_file(entry.path().string(), world, world.data);
    EXPECT_FALSE(s.name.empty()) << entry.path();
    EXPECT_TRUE(s.clock) << entry.path();
  }
}

}  // namespace
}  // namespace mynasim::test
