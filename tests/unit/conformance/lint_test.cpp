// SPDX-License-Identifier: Apache-2.0
#include "conformance/lint.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/world.hpp"

namespace mynasim {
namespace {

constexpr const char* client = "SP00000086_AA0003";
constexpr const char* telegram = "TL-00000086-261127123456-0001";

class Lint : public ::testing::Test {
 protected:
  Lint() : world_(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")) {}

  journal_entry& add(const std::string& listener, const std::string& path, int status, const std::string& response,
                     const std::string& request = "") {
    journal_entry e;
    e.seq = ++seq_;
    e.at = *parse_instant("2026-12-02T10:00:00+09:00") + std::chrono::seconds(seq_);
    e.listener = listener;
    e.system = "portal";
    e.method = listener == "app" ? "GET" : "POST";
    e.path = path;
    e.status = status;
    e.client_id = client;
    e.response_body = response;
    e.request_body = request;
    entries_.push_back(e);
    return entries_.back();
  }
  journal_entry& request(const std::string& id, const std::string& error,
                         const std::string& process = "12345678901234567890", int status = 200) {
    auto& e = add(
        "sp", "/online-resource-web/request", status,
        R"({"commonHeader":{"errorCode":")" + error + R"(","processId":")" + (error.empty() ? process : "") + R"("}})");
    e.telegram_id = id;
    return e;
  }
  journal_entry& result(const std::string& id, const std::string& process, const std::string& error) {
    auto& e = add("sp", "/online-resource-web/result", 200, R"({"commonHeader":{"errorCode":")" + error + R"("}})");
    e.telegram_id = id;
    e.process_id = process;
    return e;
  }
  journal_entry& notification(const std::string& process, int status, const std::string& answer, double ms = 5) {
    auto& e = add("", "/myna/notify", status, answer);
    e.direction = "out";
    e.system = "api-user";
    e.latency_ms = ms;
    e.process_id = process;
    return e;
  }
  std::map<std::string, std::size_t> findings(lint_settings s = {}) {
    std::map<std::string, std::size_t> out;
    for (const auto& f : run_lint(client, entries_, world_.data, s).findings) out[f.rule->id] = f.evidence.size();
    return out;
  }
  std::string code(const std::string& key) { return world_.data.errors.at(key).code; }

  world_config world_;
  std::vector<journal_entry> entries_;
  std::uint64_t seq_ = 0;
};

const char* ack = R"({"commonHeader":{"telegramType":"IFA0302-S01"}})";

TEST_F(Lint, ACarefulFlowHasNoFindings) {
  add("app", "/online-authorization-web/oauth/authorize", 200, "").url =
      "/online-authorization-web/oauth/"
      "authorize?response_type=code&client_id=SP00000086_AA0003&state=abc&code_challenge=x";
  add("sp", "/online-authorization-web/oauth/token", 200, "{}", "grant_type=authorization_code&code=C1");
  request(telegram, "");
  notification("12345678901234567890", 200, ack);
  result(telegram, "12345678901234567890", "");
  EXPECT_TRUE(findings().empty());
}

TEST_F(Lint, EachRuleSeesItsMistake) {
  add("app", "/online-authorization-web/oauth/authorize", 200, "").url =
      "/online-authorization-web/oauth/authorize?response_type=code&client_id=SP00000086_AA0003";
  add("sp", "/online-authorization-web/oauth/token", 200, "{}", "code=C1");
  add("sp", "/online-authorization-web/oauth/token", 400, R"({"errorCode":")" + code("invalid_grant") + "\"}",
      "code=C1");
  add("sp", "/online-authorization-web/oauth/token", 400, R"({"errorCode":")" + code("redirect_uri_mismatch") + "\"}",
      "code=C2");
  request("TL-00000099-261127123456-0001", "");  // another provider's digits
  request(telegram, "", "11111111111111111111");
  request(telegram, code("duplicate_telegram_id"), "", 409);
  request("TL-00000086-261127123456-0002", code("invalid_inquiry_condition"), "", 400);
  request("TL-00000086-261127123456-0003", code("query_method_not_allowed"), "", 400);
  for (int i = 0; i < 10; ++i) result(telegram, "11111111111111111111", code("still_processing"));
  result("TL-00000086-261127123456-0009", "11111111111111111111", code("invalid_telegram"));
  notification("22222222222222222222", 500, "boom");
  notification("33333333333333333333", 200, "{}", 4000);
  result(telegram, "33333333333333333333", code("result_expired"));
  auto f = findings();
  for (const char* id :
       {"authorize-without-state", "no-pkce", "code-reused", "token-redirect-mismatch", "telegram-id-malformed",
        "telegram-id-reused", "malformed-inquiry", "query-method-not-registered", "polling-before-notification",
        "polling-storm", "result-telegram-mismatch", "notification-failing", "notification-not-acknowledged",
        "notification-slow", "result-fetched-after-expiry"})
    EXPECT_TRUE(f.count(id)) << id;
  EXPECT_EQ(f["polling-before-notification"], 10u);
  EXPECT_FALSE(f.count("result-never-fetched"));  // 33… was fetched (expired); 22… was never delivered
}

TEST_F(Lint, PollingStormThresholdComesFromTheSettings) {
  request(telegram, "");
  for (int i = 0; i < 3; ++i) result(telegram, "12345678901234567890", code("still_processing"));
  EXPECT_FALSE(findings().count("polling-storm"));
  EXPECT_TRUE(findings({3}).count("polling-storm"));
}

TEST_F(Lint, RetryBeforeTheAnnouncedReopening) {
  auto outage = code("system_planned_outage");
  request(telegram, "");
  auto& r =
      add("sp", "/online-resource-web/result", 200,
          R"({"commonHeader":{"errorCode":")" + outage +
              R"("},"selfPersonalDataProvisionInfo":{"providerStatus":[{"reopens_at":"2027-01-04T08:00:00+09:00"}]}})");
  r.telegram_id = telegram;
  r.process_id = "12345678901234567890";
  request("TL-00000086-261127123456-0002", "", "22222222222222222222");
  auto f = findings();
  EXPECT_TRUE(f.count("retry-before-reopening"));
  // After the reopening it is fine.
  entries_.pop_back();
  request("TL-00000086-261127123456-0002", "", "22222222222222222222").at = *parse_instant("2027-01-04T08:00:00+09:00");
  EXPECT_FALSE(findings().count("retry-before-reopening"));
}

TEST_F(Lint, NotifiedResultNeverFetchedAndFaultShapedNotificationsAreNotTheAppsDoing) {
  request(telegram, "");
  notification("12345678901234567890", 200, ack);
  notification("99999999999999999999", 0, "dropped by fault").faults = {"fault-1"};
  auto f = findings();
  EXPECT_TRUE(f.count("result-never-fetched"));
  EXPECT_FALSE(f.count("notification-failing"));
}

TEST(LintRules, DocumentedOnceFromTheTable) {
  auto md = lint_rules_markdown();
  for (const auto& r : lint_rules()) EXPECT_NE(md.find(std::string("`") + r.id + "`"), std::string::npos) << r.id;
  EXPECT_GE(lint_rules().size(), 17u);
}

}  // namespace
}  // namespace mynasim
