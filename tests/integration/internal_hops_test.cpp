// SPDX-License-Identifier: Apache-2.0
// Hops from this process to its own systems listener are handed over in memory by default
// (server.internal_hops: memory) and over loopback TCP when asked (tcp). The two must look the
// same to API users, to the journal and to faults: the same flows, with every kind of fault on
// a hop, give the same results and the same journal in both worlds.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

// Runs of 12 or more digits (process ids) become "#".
std::string without_ids(const std::string& line) {
  std::string out;
  for (std::size_t i = 0; i < line.size();) {
    std::size_t j = i;
    while (j < line.size() && line[j] >= '0' && line[j] <= '9') ++j;
    if (j - i >= 12)
      out += '#';
    else
      out.append(line, i, j - i);
    if (j == i) out += line[j++];
    i = j;
  }
  return out;
}

// One world, in-memory or TCP hops, and what a flow under one fault looked like in it.
class hop_world {
 public:
  explicit hop_world(bool in_memory)
      : server_([&](world_config& w) {
          w.server.in_memory_hops = in_memory;
          w.data.portal.processing_delay = 0ms;
          w.data.portal.hop_timeout = 400ms;  // a hung or too slow hop fails quickly
          w.data.portal.notification_attempts = 1;
          for (auto& c : w.data.connections) c.notification_url = receiver_.url();
        }) {
    flow_.server = &server_;
  }

  // The result telegram and the journal of one flow under `fault` (none when empty), without
  // what differs from run to run anyway (ids, instants, latencies).
  std::vector<std::string> observe(const std::string& client_id, const std::string& persona, const std::string& fault) {
    server_.admin("DELETE", "/__admin/requests");
    if (!fault.empty()) {
      EXPECT_EQ(server_.admin("POST", "/__admin/faults", fault).status, 201) << fault;
    }
    flow_.client_id = client_id;
    auto result = flow_.run(persona, "Latest");
    EXPECT_TRUE(receiver_.wait_for(++notified_, 5s)) << fault;
    std::vector<std::string> seen;
    seen.push_back("result " + result["commonHeader"]["errorCode"].dump() + " " +
                   result.value("selfPersonalDataProvisionInfo", nlohmann::json()).dump() + " " +
                   result.value("selfPersonalData", nlohmann::json()).dump());
    // Every exchange is journaled once its answer is read: the notification is the last.
    nlohmann::json entries;
    for (int i = 0; i < 300; ++i) {
      entries = parse(server_.admin("GET", "/__admin/requests?limit=500"))["requests"];
      if (std::any_of(entries.begin(), entries.end(), [](const nlohmann::json& e) {
            return e.value("direction", "") == "out" && e.value("path", "").find("notif") != std::string::npos;
          }))
        break;
      std::this_thread::sleep_for(10ms);
    }
    for (const auto& e : entries) {
      // How often the API user polled before the result was ready is timing, not a property.
      if (e.value("error_code", "") == "MPE3008") continue;
      std::string line = e.value("direction", "") + " " + e.value("system", "") + " " + e.value("listener", "") + " " +
                         e.value("method", "") + " " + e.value("path", "") + " " +
                         std::to_string(e.value("status", -1)) + " " + e.value("error_code", "") + " " +
                         e.value("faults", nlohmann::json::array()).dump();
      // What the caller of a hop saw when it got no answer: the transport's error.
      // What a system answered when a hop failed: it names the transport's error.
      if (e.value("status", -1) >= 400 && e.value("listener", "") == "systems")
        line += " " + e.value("response_body", "");
      seen.push_back(without_ids(line));
    }
    std::sort(seen.begin() + 1, seen.end());  // holders answer in parallel: order is not a property
    server_.admin("DELETE", "/__admin/faults");
    return seen;
  }
  nlohmann::json hops() { return parse(server_.admin("GET", "/__admin/health"))["peer_connections"]; }
  test_server& server() { return server_; }

 private:
  notification_receiver receiver_;
  test_server server_;
  flow_client flow_{nullptr};
  std::size_t notified_ = 0;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The suite itself runs both ways (scripts/test.sh sets MYNASIM_INTERNAL_HOPS=tcp for the
// second run); these tests choose the way themselves, so the outer choice is set aside here.
class InternalHopsChosen : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("MYNASIM_INTERNAL_HOPS")) outer_ = v;
    ::unsetenv("MYNASIM_INTERNAL_HOPS");
  }
  void TearDown() override {
    if (outer_)
      ::setenv("MYNASIM_INTERNAL_HOPS", outer_->c_str(), 1);
    else
      ::unsetenv("MYNASIM_INTERNAL_HOPS");
  }
  std::optional<std::string> outer_;
};

TEST_F(InternalHopsChosen, InMemoryAndTcpLookTheSameUnderEveryFault) {
  hop_world memory(true), tcp(false);
  // Each fault, and what 情報提供NWS reports of its hop to 住基ネット (when it is that hop).
  const std::vector<std::pair<std::string, std::string>> faults = {
      {"", "result \"\" {\"providerStatus\":[{\"name\":\"自治体中間サーバ\",\"status\":\"ok\""},
      {R"({"kind":"latency","target":"juki","latency_ms":30,"count":1})", "[\"fault-1\"]"},
      {R"({"kind":"latency","target":"juki","latency_ms":900,"count":1})", "identify 499"},  // past the deadline
      {R"({"kind":"http_error","target":"network","status":500,"count":1})", "provision 500 injected_error"},
      {R"({"kind":"http_error","target":"juki","status":503,"error_code":"E-X","message":"止まっています","count":1})",
       "provision 503 E-X"},
      {R"({"kind":"hang","target":"juki","count":1})", "\"detail\":\"timeout\""},
      {R"({"kind":"reset","target":"juki","count":1})", "\"detail\":\"read: Connection reset by peer\""},
      {R"({"kind":"reset","target":"network","count":1})", "provision 200  [\"fault-1\"]"},
      {R"({"kind":"empty_response","target":"juki","count":1})", "\"detail\":\"read: end of stream\""},
      {R"({"kind":"truncated_body","target":"juki","count":1})", "\"detail\":\"read: partial message\""},
      {R"({"kind":"truncated_body","target":"network","count":1})", "\"status\":\"unavailable\""},
      {R"({"kind":"malformed_body","target":"juki","count":1})", "unknown person"},
      {R"({"kind":"slow_body","target":"juki","delay_ms":2,"chunk_bytes":64,"count":1})", "\"status\":\"ok\""},
      {R"({"kind":"slow_body","target":"juki","delay_ms":100,"chunk_bytes":8,"count":1})", "\"detail\":\"timeout\""},
      {R"({"kind":"down","target":"juki","for":"PT10M"})", "forced_down"},
  };
  for (const auto& [fault, sign] : faults) {
    auto a = memory.observe("SP00000086_AA0003", "taro", fault);
    auto b = tcp.observe("SP00000086_AA0003", "taro", fault);
    EXPECT_EQ(joined(a), joined(b)) << "fault: " << fault;
    EXPECT_NE(joined(a).find(sign), std::string::npos) << "fault: " << fault << "\n" << joined(a);
  }
  // A service whose items sit on several 中間サーバ: hops fan out, one holder fails.
  for (auto* w : {&memory, &tcp}) w->server().set_clock("2027-03-10T10:00:00+09:00");
  for (const std::string& fault : {std::string(), std::string(R"({"kind":"reset","target":"national-gov-mutual"})"),
                                   std::string(R"({"kind":"hang","target":"national-gov-mutual","count":1})")}) {
    auto a = memory.observe("SP00000200_CC0001", "ichiro", fault);
    auto b = tcp.observe("SP00000200_CC0001", "ichiro", fault);
    EXPECT_EQ(joined(a), joined(b)) << "fault: " << fault;
  }
  // And they really went different ways.
  EXPECT_GT(memory.hops()["in_memory"].get<int>(), 0) << memory.hops();
  EXPECT_GT(tcp.hops()["opened"].get<int>(), 0) << tcp.hops();
  EXPECT_EQ(tcp.hops()["in_memory"].get<int>(), 0) << tcp.hops();
}

// The hops of one flow, as the health page counts them.
nlohmann::json hops_of_one_flow() {
  notification_receiver receiver;
  test_server server([&](world_config& w) {
    for (auto& c : w.data.connections) c.notification_url = receiver.url();
  });
  flow_client client{&server};
  EXPECT_EQ(client.run("taro", "Latest")["commonHeader"]["errorCode"], "");
  EXPECT_TRUE(receiver.wait_for(1, 5s));
  return parse(server.admin("GET", "/__admin/health"))["peer_connections"];
}

// By default a flow's hops are carried in memory and counted; the environment turns them to TCP.
TEST_F(InternalHopsChosen, InMemoryByDefaultTcpWhenTheEnvironmentSaysSo) {
  auto peer = hops_of_one_flow();
  EXPECT_GE(peer["in_memory"].get<int>(), 3) << peer;  // portal → 情報提供NWS → 住基ネット, and a holder
  EXPECT_EQ(peer["opened"].get<int>(), 1) << peer;     // the notification to the API user's endpoint
  ::setenv("MYNASIM_INTERNAL_HOPS", "tcp", 1);
  peer = hops_of_one_flow();
  EXPECT_EQ(peer["in_memory"].get<int>(), 0) << peer;
  EXPECT_GE(peer["opened"].get<int>(), 3) << peer;
}

// Only this process's own listeners are reached in memory: a URL whose host merely starts
// like a loopback address (a DNS name) goes out as a real request, even with the systems
// listener bound to every address on that very port.
TEST_F(InternalHopsChosen, ANameThatLooksLikeLoopbackIsNotHandedOverInMemory) {
  test_server server([](world_config& w) {
    w.server.systems.address = "0.0.0.0";
    w.data.portal.processing_delay = 0ms;
    w.data.portal.notification_attempts = 1;
    w.data.portal.notification_timeout = 1000ms;
  });
  auto url = "http://127.0.0.1.invalid:" + std::to_string(server.port("systems")) + "/systems/juki/status";
  ASSERT_EQ(
      server.admin("PATCH", "/__admin/connections/SP00000086_AA0003", nlohmann::json{{"notification_url", url}}.dump())
          .status,
      200);
  flow_client client{&server};
  ASSERT_EQ(client.run("taro", "Latest")["commonHeader"]["errorCode"], "");
  nlohmann::json out;
  for (int i = 0; i < 300 && out.empty(); ++i) {
    out = parse(server.admin("GET", "/__admin/requests?direction=out"))["requests"];
    if (out.empty()) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(out.size(), 1u) << out;
  EXPECT_EQ(out[0]["status"], 0) << out;  // the name does not resolve: no answer
  EXPECT_NE(out[0].value("response_body", "").find("resolve"), std::string::npos) << out;
  auto into_systems = parse(server.admin("GET", "/__admin/requests?limit=500"))["requests"];
  for (const auto& e : into_systems)
    EXPECT_FALSE(e.value("direction", "") == "in" && e.value("path", "") == "/systems/juki/status") << e;
  // The flow's own hops still went in memory.
  EXPECT_GE(parse(server.admin("GET", "/__admin/health"))["peer_connections"]["in_memory"].get<int>(), 3);
}

}  // namespace
}  // namespace mynasim::test
