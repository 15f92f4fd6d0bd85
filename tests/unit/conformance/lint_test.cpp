// SPDX-License-Identifier: Apache-2.0
#include "conformance/lint.hpp"

#include <algorithm>

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

// Whether `text` has Japanese in it (a byte of a multi-byte UTF-8 character: the texts are
// otherwise ASCII).
bool has_japanese(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// QA and business testers read Japanese: every finding's detail and every remedy comes in both
// languages, and the existing English keys stay for existing clients.
TEST_F(Lint, EveryDetailAndRemedyIsInJapaneseAndEnglish) {
  add("app", "/online-authorization-web/oauth/authorize", 200, "").url =
      "/online-authorization-web/oauth/authorize?response_type=code&client_id=SP00000086_AA0003";
  add("sp", "/online-authorization-web/oauth/token", 200, "{}", "code=C1");
  add("sp", "/online-authorization-web/oauth/token", 400, R"({"errorCode":")" + code("invalid_grant") + "\"}",
      "code=C1");
  add("sp", "/online-authorization-web/oauth/token", 400, R"({"errorCode":")" + code("redirect_uri_mismatch") + "\"}",
      "code=C2");
  request("TL-00000099-261127123456-0001", "");
  request(telegram, "", "11111111111111111111");
  request(telegram, code("duplicate_telegram_id"), "", 409);
  request("TL-00000086-261127123456-0002", code("invalid_inquiry_condition"), "", 400);
  request("TL-00000086-261127123456-0003", code("query_method_not_allowed"), "", 400);
  for (int i = 0; i < 10; ++i) result(telegram, "11111111111111111111", code("still_processing"));
  result("TL-00000086-261127123456-0009", "11111111111111111111", code("invalid_telegram"));
  notification("22222222222222222222", 500, "boom");
  notification("33333333333333333333", 200, "{}", 4000);
  notification("44444444444444444444", 200, ack);
  result(telegram, "33333333333333333333", code("result_expired"));
  auto report = run_lint(client, entries_, world_.data, {});
  ASSERT_GE(report.findings.size(), 16u);
  auto json = report.to_json();
  for (std::size_t i = 0; i < report.findings.size(); ++i) {
    const auto& f = report.findings[i];
    const auto& j = json["findings"][i];
    EXPECT_TRUE(has_japanese(f.detail_ja)) << f.rule->id << ": " << f.detail_ja;
    EXPECT_FALSE(f.detail_en.empty()) << f.rule->id;
    EXPECT_EQ(j["detail_ja"], f.detail_ja) << f.rule->id;
    EXPECT_EQ(j["detail_en"], f.detail_en) << f.rule->id;
    EXPECT_EQ(j["detail"], f.detail_en) << f.rule->id;  // kept, in English, for existing clients
    EXPECT_EQ(j["remedy_ja"], f.rule->remedy_ja) << f.rule->id;
    EXPECT_EQ(j["remedy_en"], f.rule->remedy_en) << f.rule->id;
    EXPECT_EQ(j["remedy"], f.rule->remedy_en) << f.rule->id;
  }
  for (const auto& r : lint_rules()) {
    EXPECT_TRUE(has_japanese(r.remedy_ja)) << r.id;
    EXPECT_NE(std::string(r.remedy_ja), r.remedy_en) << r.id;
  }
  // The table (`mynasim lint rules`, docs/conformance.md) gives the remedy in Japanese, then in English.
  auto md = lint_rules_markdown();
  EXPECT_NE(md.find("| 対処 | remedy |"), std::string::npos) << md;
  for (const auto& r : lint_rules())
    EXPECT_NE(md.find(std::string(" | ") + r.remedy_ja + " | " + r.remedy_en + " |\n"), std::string::npos) << r.id;
}

// polling_storm = N: N calls answered MPE3008 while processing make a storm, N - 1 do not; the
// detail says so instead of a bare "limit N" that reads as if N were allowed.
TEST_F(Lint, PollingStormSaysWhatItsThresholdMeans) {
  request(telegram, "");
  for (int i = 0; i < 3; ++i) result(telegram, "12345678901234567890", code("still_processing"));
  EXPECT_FALSE(findings({4}).count("polling-storm"));
  auto report = run_lint(client, entries_, world_.data, {3});
  auto storm = std::find_if(report.findings.begin(), report.findings.end(),
                            [](const auto& f) { return std::string(f.rule->id) == "polling-storm"; });
  ASSERT_NE(storm, report.findings.end());
  EXPECT_NE(storm->detail_en.find("3 or more make a polling storm, at most 2 are tolerated"), std::string::npos)
      << storm->detail_en;
  EXPECT_NE(storm->detail_ja.find("2 回まで、3 回以上でポーリング過多"), std::string::npos) << storm->detail_ja;
}

// Evidence stops at max_evidence entries per rule; the finding says how many more there were.
TEST_F(Lint, EvidenceCutAtTheLimitSaysHowManyWereLeftOut) {
  request(telegram, "");
  for (int i = 0; i < 25; ++i) result(telegram, "12345678901234567890", code("still_processing"));
  auto report = run_lint(client, entries_, world_.data, {100});
  ASSERT_EQ(report.findings.size(), 1u);
  const auto& f = report.findings.front();
  EXPECT_EQ(std::string(f.rule->id), "polling-before-notification");
  EXPECT_EQ(f.evidence.size(), lint_report::max_evidence);
  EXPECT_EQ(f.evidence_omitted, 5u);
  auto json = report.to_json();
  EXPECT_EQ(json["findings"][0]["evidence"].size(), 20u);
  EXPECT_EQ(json["findings"][0]["evidence_omitted"], 5);
  EXPECT_NE(f.detail_en.find("(25 times)"), std::string::npos) << f.detail_en;
  EXPECT_NE(f.detail_ja.find("計 25 回"), std::string::npos) << f.detail_ja;
  // Below the limit nothing is left out.
  entries_.resize(10);
  EXPECT_EQ(run_lint(client, entries_, world_.data, {100}).to_json()["findings"][0]["evidence_omitted"], 0);
}

TEST(LintRules, DocumentedOnceFromTheTable) {
  auto md = lint_rules_markdown();
  for (const auto& r : lint_rules()) EXPECT_NE(md.find(std::string("`") + r.id + "`"), std::string::npos) << r.id;
  EXPECT_GE(lint_rules().size(), 17u);
}

}  // namespace
}  // namespace mynasim
