// SPDX-License-Identifier: Apache-2.0
// Every answer mynasim reads is as untrusted as every request: a notification endpoint and
// a peer system (split topology) answering with each malformed shape. The simulator keeps
// serving and reports the failure as a notification failure or a provider error.
#include "hostile_peer.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "contract_log.hpp"
#include "flow_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

const hostile_answer all_answers[] = {hostile_answer::huge_header,   hostile_answer::huge_trailer,
                                      hostile_answer::many_trailers, hostile_answer::garbage,
                                      hostile_answer::endless_body,  hostile_answer::reset,
                                      hostile_answer::deep_json,     hostile_answer::wrong_types};

void expect_serving(test_server& s) {
  EXPECT_EQ(request(s.port("admin"), false, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("sp"), true, "GET", "/healthz").status, 200);
}

class HostileNotificationEndpoint : public ::testing::TestWithParam<hostile_answer> {};

// The endpoint's answer is read with the same bounded parser and deadline over HTTP and HTTPS.
void expect_failed_attempts(hostile_answer answer, bool tls) {
  hostile_peer peer(answer, tls);
  test_server s([&](world_config& w) {
    w.data.portal.processing_delay = 10ms;
    w.data.portal.notification_first_retry = 20ms;
    w.data.portal.notification_attempts = 2;
    w.data.portal.notification_timeout = 500ms;  // the endless body is cut here
    for (auto& c : w.data.connections) c.notification_url = peer.url() + "/notify";
  });
  flow_client api{&s};
  auto token = api.access_token("taro");
  auto telegram = api.next_telegram_id();
  auto pid = parse(api.request(token, telegram, "Date=20260101"))["commonHeader"]["processId"].get<std::string>();
  // A 2xx answer ends the retries (what it says is judged elsewhere); anything else is retried.
  std::size_t expected = answer == hostile_answer::wrong_types ? 1 : 2;
  nlohmann::json process;
  for (int i = 0; i < 300; ++i) {
    process = parse(s.admin("GET", "/__admin/processes/" + pid));
    if (process["notifications"].size() >= expected) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(process["notifications"].size(), expected) << process.dump();
  for (const auto& n : process["notifications"]) {
    bool acknowledged = n["status"] == 200 && n["telegram_type"] == "IFA0302-S01";
    EXPECT_FALSE(acknowledged) << n.dump();
  }
  // The result is still there to be fetched, and the server serves on.
  auto result = parse(api.result(token, telegram, pid));
  EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
  expect_serving(s);
  EXPECT_GE(peer.requests(), 1);
}

TEST_P(HostileNotificationEndpoint, IsRecordedAsAFailedAttempt) {
  expect_failed_attempts(GetParam(), false);
}
TEST_P(HostileNotificationEndpoint, OverHttpsIsRecordedAsAFailedAttempt) {
  expect_failed_attempts(GetParam(), true);
}

INSTANTIATE_TEST_SUITE_P(Shapes, HostileNotificationEndpoint, ::testing::ValuesIn(all_answers),
                         [](const auto& shape) { return std::string(to_string(shape.param)); });

class HostilePeerSystem : public ::testing::TestWithParam<hostile_answer> {};

// The portal alone, its back-end systems "in another process" that answers hostile bytes.
TEST_P(HostilePeerSystem, BecomesAProviderError) {
  hostile_peer peer(GetParam());
  app_options o;
  o.only = {"portal"};
  o.peer_url_template = peer.url() + "/systems/{id}";
  test_server s(
      [&](world_config& w) {
        w.data.portal.processing_delay = 10ms;
        w.data.portal.hop_timeout = 300ms;
        w.data.portal.notification_attempts = 1;
      },
      o);
  flow_client api{&s};
  auto token = api.access_token("taro");
  auto telegram = api.next_telegram_id();
  auto pid = parse(api.request(token, telegram, "Date=20260101"))["commonHeader"]["processId"].get<std::string>();
  auto result = parse(api.wait_result(token, telegram, pid));
  EXPECT_NE(result["commonHeader"]["errorCode"], "") << result.dump();
  EXPECT_GE(peer.requests(), 1);
  expect_serving(s);
}

INSTANTIATE_TEST_SUITE_P(Shapes, HostilePeerSystem, ::testing::ValuesIn(all_answers),
                         [](const auto& shape) { return std::string(to_string(shape.param)); });

class HostileHolder : public ::testing::TestWithParam<hostile_answer> {};

// The 情報提供NWS and 住基ネット in this process, every 中間サーバ "in another process" that
// answers hostile bytes: the holders' answers are read as a stream (their results copied on as
// text, never built into a document) and each becomes that holder's entry in a well-formed
// provision answer; the process keeps serving.
TEST_P(HostileHolder, BecomesThatHoldersEntry) {
  hostile_peer peer(GetParam());
  app_options o;
  o.only = {"network", "juki"};
  o.peer_url_template = peer.url() + "/systems/{id}";
  test_server s([&](world_config& w) { w.data.portal.hop_timeout = 300ms; }, o);
  auto r = request(s.port("systems"), false, "POST", "/systems/network/provision",
                   R"({"card_serial":"MC00000001","items":["TM00000000000003"],)"
                   R"("inquiry":{"method":"date","date":"20260101","from":"","to":""}})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto answer = parse(r);
  ASSERT_TRUE(answer["holders"].is_array()) << r.body;
  ASSERT_EQ(answer["holders"].size(), 1u) << r.body;
  const auto& holder = answer["holders"][0];
  EXPECT_TRUE(holder["system"].is_string() && holder["name"].is_string()) << r.body;
  if (GetParam() == hostile_answer::wrong_types) {
    // An object: its results are passed on as they came ("x"); the portal then refuses the shape.
    EXPECT_EQ(holder["status"], "ok") << r.body;
    EXPECT_EQ(holder["results"], "x") << r.body;
  } else {
    EXPECT_EQ(holder["status"], "error") << r.body;
  }
  EXPECT_GE(peer.requests(), 1);
  EXPECT_EQ(request(s.port("admin"), false, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(s.port("systems"), false, "GET", "/readyz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Shapes, HostileHolder, ::testing::ValuesIn(all_answers),
                         [](const auto& shape) { return std::string(to_string(shape.param)); });

class HostileWorldOwner : public ::testing::TestWithParam<hostile_answer> {};

// A split world's follower whose "owner" answers hostile bytes: its requests get 503
// world_owner_unreachable, /readyz says why, and it keeps serving.
TEST_P(HostileWorldOwner, IsNotReadyAndAnswers503) {
  hostile_peer peer(GetParam());
  app_options o;
  o.only = {"juki"};
  o.world_owner = peer.url();
  test_server s({}, o);
  auto r = request(s.port("systems"), false, "POST", "/systems/juki/identify", R"({"card_serial":"MC00000001"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("world_owner_unreachable"), std::string::npos) << r.body;
  auto ready = request(s.port("systems"), false, "GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  // Admin calls are relayed, not parsed: the owner's answer or a 503, never a crash. (The
  // owner's bytes are outside the API contract.)
  contract_exemption hostile_bytes;
  auto relayed = request(s.port("admin"), false, "GET", "/__admin/clock");
  EXPECT_NE(relayed.status, 0);
  EXPECT_EQ(request(s.port("admin"), false, "GET", "/__admin/health").status, 200);
  // Its metrics are its own: they count the refused request, whatever the owner does.
  auto metrics = request(s.port("admin"), false, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("error_code=\"world_owner_unreachable\",status=\"503\",system=\"juki\""),
            std::string::npos)
      << metrics.body;
}

INSTANTIATE_TEST_SUITE_P(Shapes, HostileWorldOwner, ::testing::ValuesIn(all_answers),
                         [](const auto& shape) { return std::string(to_string(shape.param)); });

// The owner's side reads what followers send as hostile input too.
TEST(WorldOwnerEndpoints, RefuseMalformedCallsAndKeepServing) {
  test_server s;
  for (const char* body :
       {"", "[", "{}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]"}) {
    EXPECT_EQ(s.admin("POST", "/__admin/world/journal", body).status, 400) << body;
    auto d = s.admin("POST", "/__admin/world/decide", body);
    EXPECT_TRUE(d.status == 400 || d.status == 200) << body << " " << d.body;
  }
  nlohmann::json many{{"entries", nlohmann::json::array()}};
  for (int i = 0; i < 1001; ++i) many["entries"].push_back({{"at", "2026-11-27T10:00:00+09:00"}, {"system", "juki"}});
  EXPECT_EQ(s.admin("POST", "/__admin/world/journal", many.dump()).status, 413);
  auto r = s.admin("POST", "/__admin/world/journal",
                   R"({"entries":[{"at":5},{"system":[1]},"x",{"at":"2026-11-27T10:00:00+09:00","status":"200"}]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["recorded"], 1);  // only the entry with a time; wrong types dropped
  expect_serving(s);
}

}  // namespace
}  // namespace mynasim::test
