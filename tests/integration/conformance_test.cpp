// SPDX-License-Identifier: Apache-2.0
// /__admin/conformance over HTTP: starting, refusing, following, cancelling and reporting runs,
// with flows played by flow_client through the test path (the browser-driven plan against the
// sample apps is ConformanceSampleApps.* in browser_tests).
#include <thread>

#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

nlohmann::json body_of(const client_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

// Polls a run until it is no longer running (or ~20 s passed).
nlohmann::json wait_finished(test_server& server, const std::string& id) {
  nlohmann::json run;
  for (int i = 0; i < 200; ++i) {
    run = body_of(server.admin("GET", "/__admin/conformance/runs/" + id));
    if (run.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return run;
}

test_server fast_server(notification_receiver& receiver, const std::string& client_id) {
  return test_server([&](world_config& w) {
    w.conformance.settle = std::chrono::milliseconds(300);
    w.data.portal.processing_delay = std::chrono::milliseconds(10);
    for (auto& c : w.data.connections)
      if (c.client_id == client_id) c.notification_url = receiver.url();
  });
}

TEST(Conformance, RunsAreValidatedOnePerServiceAndCancelPutsTheArrangementBack) {
  test_server server;
  EXPECT_EQ(server.admin("POST", "/__admin/conformance/runs", R"({"client_id":"SP99999999_ZZ9999"})").status, 404);
  EXPECT_EQ(
      server.admin("POST", "/__admin/conformance/runs", R"({"client_id":"SP00000086_AA0003","plan":"nope"})").status,
      400);
  EXPECT_EQ(server.admin("POST", "/__admin/conformance/runs", R"({"client_id":"SP00000086_AA0003","x":1})").status,
            400);
  EXPECT_EQ(server.admin("POST", "/__admin/conformance/runs", R"([1,2])").status, 400);
  EXPECT_EQ(server.admin("POST", "/__admin/conformance/runs", "{").status, 400);
  auto started = server.admin("POST", "/__admin/conformance/runs",
                              R"({"client_id":"SP00000086_AA0003","plan":"notification-lost,consent-refused"})");
  ASSERT_EQ(started.status, 201) << started.body;
  auto run = body_of(started);
  EXPECT_EQ(run["current"]["name"], "notification-lost");
  EXPECT_EQ(run["current"]["state"], "waiting");
  EXPECT_TRUE(run["persona"].is_object());
  // Its fault is narrowed to the service under test.
  auto faults = body_of(server.admin("GET", "/__admin/faults"));
  ASSERT_EQ(faults["faults"].size(), 1u) << faults;
  EXPECT_EQ(faults["faults"][0]["client_id"], "SP00000086_AA0003");
  EXPECT_EQ(server.admin("POST", "/__admin/conformance/runs", R"({"client_id":"SP00000086_AA0003"})").status, 409);
  auto id = run["id"].get<std::string>();
  auto cancelled = server.admin("DELETE", "/__admin/conformance/runs/" + id);
  EXPECT_EQ(body_of(cancelled)["state"], "cancelled");
  EXPECT_TRUE(body_of(server.admin("GET", "/__admin/faults"))["faults"].empty());
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/run-999").status, 404);
  auto junit = server.admin("GET", "/__admin/conformance/runs/" + id + "/report?format=junit");
  EXPECT_EQ(junit.status, 200);
  EXPECT_NE(junit.header("content-type").find("xml"), std::string::npos);
  EXPECT_NE(junit.body.find("<error message=\"not run (cancelled)\"/>"), std::string::npos) << junit.body;
  EXPECT_EQ(server.admin("GET", "/__admin/conformance/runs/" + id + "/report?format=pdf").status, 400);
  EXPECT_EQ(server.admin("GET", "/__admin/conformance/runs").status, 200);
  EXPECT_EQ(server.admin("GET", "/__admin/conformance/tests").status, 200);
}

TEST(Conformance, ACardOutcomeIsArrangedForTheServiceOnlyAndJudged) {
  notification_receiver receiver;
  auto server = fast_server(receiver, "SP00000086_AA0003");
  auto started =
      server.admin("POST", "/__admin/conformance/runs",
                   R"({"client_id":"SP00000086_AA0003","plan":"card-locked,partial-result,notification-ack"})");
  ASSERT_EQ(started.status, 201) << started.body;
  auto id = body_of(started)["id"].get<std::string>();
  // Another service is not touched by the arrangement.
  flow_client other{&server};
  other.client_id = "SP00000086_AA0004";
  EXPECT_FALSE(other.authorize_code("taro").empty());
  // The service under test: taro's card answers as locked, the app stops there.
  flow_client app{&server};
  auto refused = app.authorize("&mynasim_persona=taro");
  EXPECT_NE(refused.header("location").find("error_code=MPE1103"), std::string::npos) << refused.header("location");
  // partial-result does not apply (one item, one holder); notification-ack wants a flow.
  for (int i = 0; i < 100; ++i) {
    auto run = body_of(server.admin("GET", "/__admin/conformance/runs/" + id));
    if (run["current"].is_object() && run["current"]["name"] == "notification-ack") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(app.authorize_code("taro").empty());  // the arrangement was put back
  app.run("taro", "Date=20250701");
  auto run = wait_finished(server, id);
  ASSERT_EQ(run["state"], "finished") << run;
  EXPECT_EQ(run["tests"][0]["verdict"], "pass") << run["tests"][0];
  EXPECT_EQ(run["tests"][0]["evidence"][0]["error_code"], "MPE1103");
  EXPECT_EQ(run["tests"][1]["verdict"], "not_applicable");
  EXPECT_EQ(run["tests"][2]["verdict"], "pass") << run["tests"][2];
  // Every verdict and remedy in Japanese and in English; `detail` and `remedy` stay English.
  for (const auto& t : run["tests"]) {
    EXPECT_NE(t.value("detail_ja", ""), "") << t;
    EXPECT_NE(t.value("remedy_ja", ""), "") << t;
    EXPECT_NE(t.value("arranges_ja", ""), "") << t;
    EXPECT_NE(t.value("expects_ja", ""), "") << t;
    EXPECT_EQ(t["arranges"], t["arranges_en"]) << t;
    EXPECT_EQ(t["expects"], t["expects_en"]) << t;
    EXPECT_EQ(t["detail"], t["detail_en"]) << t;
    EXPECT_EQ(t["remedy"], t["remedy_en"]) << t;
    EXPECT_EQ(t.value("evidence_omitted", -1), 0) << t;
  }
  EXPECT_EQ(run["tests"][1]["detail_ja"], "SP00000086_AA0003 の項目はすべて一つの中間サーバだけが保有しています");
  auto junit = server.admin("GET", "/__admin/conformance/runs/" + id + "/report?format=junit").body;
  EXPECT_NE(junit.find("skipped=\"1\""), std::string::npos) << junit;
  auto md = server.admin("GET", "/__admin/conformance/runs/" + id + "/report?format=markdown");
  EXPECT_NE(md.body.find("## partial-result: not_applicable"), std::string::npos) << md.body;
}

TEST(Conformance, AFailureCarriesItsEvidenceAndTheYearEndClockIsPutBack) {
  notification_receiver receiver;
  auto server = fast_server(receiver, "SP00000086_AA0003");
  auto before = body_of(server.admin("GET", "/__admin/clock"));
  auto started = server.admin("POST", "/__admin/conformance/runs",
                              R"({"client_id":"SP00000086_AA0003","plan":"juki-year-end,notification-duplicated"})");
  ASSERT_EQ(started.status, 201);
  auto id = body_of(started)["id"].get<std::string>();
  EXPECT_EQ(body_of(server.admin("GET", "/__admin/clock"))["now"].get<std::string>().substr(0, 10), "2026-12-29");
  flow_client app{&server};
  auto token = app.access_token("taro");
  // An app that ignores the stop: the result says 住基ネット is stopped, and it asks again at once.
  auto telegram = app.next_telegram_id();
  auto first = body_of(app.request(token, telegram, "Date=20250701"));
  auto process = first["commonHeader"].value("processId", "");
  auto result = app.wait_result(token, telegram, process);
  EXPECT_NE(result.body.find("MPE400"), std::string::npos) << result.body;
  app.request(token, app.next_telegram_id(), "Date=20250701");
  for (int i = 0; i < 100; ++i) {
    auto run = body_of(server.admin("GET", "/__admin/conformance/runs/" + id));
    if (run["current"].is_object() && run["current"]["name"] == "notification-duplicated") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(body_of(server.admin("GET", "/__admin/clock"))["now"], before["now"]);  // frozen: back to the same instant
  server.admin("DELETE", "/__admin/conformance/runs/" + id);
  auto run = body_of(server.admin("GET", "/__admin/conformance/runs/" + id));
  EXPECT_EQ(run["tests"][0]["verdict"], "fail") << run["tests"][0];
  EXPECT_NE(run["tests"][0]["detail"].get<std::string>().find("during the stop"), std::string::npos);
  EXPECT_EQ(run["tests"][0]["evidence"].size(), 2u);
}

// complete_screens: the app's own authorize — no test parameters, as a plain HTTP client sends
// it — is answered by the portal with the redirect at once, for the announced persona and
// action, and judged as the app's own.
TEST(Conformance, TheScreensAreCompletedByThePortalForTheAnnouncedAction) {
  notification_receiver receiver;
  auto server = fast_server(receiver, "SP00000086_AA0003");
  EXPECT_EQ(
      server.admin("POST", "/__admin/conformance/runs", R"({"client_id":"SP00000086_AA0003","complete_screens":"yes"})")
          .status,
      400);
  auto started = server.admin("POST", "/__admin/conformance/runs",
                              R"({"client_id":"SP00000086_AA0003","plan":"consent-refused,happy-path:date",)"
                              R"("complete_screens":true})");
  ASSERT_EQ(started.status, 201) << started.body;
  EXPECT_EQ(body_of(started)["complete_screens"], true);
  auto id = body_of(started)["id"].get<std::string>();
  flow_client app{&server};
  auto refused = app.authorize("");  // the person refuses: back to the service at once
  ASSERT_EQ(refused.status, 302) << refused.body;
  EXPECT_NE(refused.header("location").find("error=access_denied"), std::string::npos) << refused.header("location");
  for (int i = 0; i < 100; ++i) {
    auto run = body_of(server.admin("GET", "/__admin/conformance/runs/" + id));
    if (run["current"].is_object() && run["current"]["test"] == "happy-path") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto consented = app.authorize("");
  ASSERT_EQ(consented.status, 302) << consented.body;
  auto code = query_value(consented.header("location"), "code");
  ASSERT_FALSE(code.empty()) << consented.header("location");
  auto token = parse(app.token(code)).value("access_token", "");
  auto tid = app.next_telegram_id();
  auto process_id = parse(app.request(token, tid, "Date=20250701"))["commonHeader"].value("processId", "");
  ASSERT_TRUE(receiver.wait_for_process(process_id, std::chrono::seconds(10)));
  app.result(token, tid, process_id);
  auto run = wait_finished(server, id);
  ASSERT_EQ(run["state"], "finished") << run;
  EXPECT_EQ(run["tests"][0]["verdict"], "pass") << run["tests"][0];
  EXPECT_EQ(run["tests"][1]["verdict"], "pass") << run["tests"][1];
  // Put back: the service's authorize shows the consent screen again.
  EXPECT_EQ(app.authorize("").status, 200);
}

}  // namespace
}  // namespace mynasim::test
