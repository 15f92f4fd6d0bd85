// SPDX-License-Identifier: Apache-2.0
#include "conformance/plan.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "config/world.hpp"
#include "conformance/runner.hpp"

namespace mynasim {
namespace {

class Plan : public ::testing::Test {
 protected:
  Plan() : world_(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")) {
    service_ = *world_.data.find_service("SP00000200_CC0001");  // 3 items on several 中間サーバ, 3 query methods
  }
  journal_entry& add(const std::string& listener, const std::string& path, int status, const std::string& error = "",
                     const std::string& response = "{}") {
    journal_entry e;
    e.seq = ++seq_;
    e.at = *parse_instant("2026-12-02T10:00:00+09:00") + std::chrono::seconds(seq_);
    e.listener = listener;
    e.path = path;
    e.status = status;
    e.error_code = error;
    e.client_id = service_.client_id;
    e.response_body = response;
    entries_.push_back(e);
    seen_.push_back(static_cast<long>(seq_) * 100);
    return entries_.back();
  }
  journal_entry& started(const std::string& process) {
    return add("sp", "/online-resource-web/request", 200, "", R"({"commonHeader":{"processId":")" + process + R"("}})");
  }
  journal_entry& fetched(const std::string& process, const std::string& error = "") {
    auto& e = add("sp", "/online-resource-web/result", 200, error);
    e.process_id = process;
    return e;
  }
  journal_entry& notified(const std::string& process, int status = 200, const std::string& answer = "IFA0302-S01") {
    auto& e = add("", "/myna/notify", status, "", answer);
    e.direction = "out";
    e.process_id = process;
    return e;
  }
  judgement judge_as(const std::string& plan, bool timed_out = false) {
    std::string error;
    auto p = expand_plan(plan, service_, error);
    EXPECT_TRUE(p) << error;
    test_ = p->front();
    arranged_ = arrange(test_, service_, world_.data, "network");
    judge_input in;
    in.test = &test_;
    in.arranged = &arranged_;
    in.data = &world_.data;
    in.settings = &world_.conformance;
    in.entries = entries_;
    in.seen_ms = seen_;
    in.forged_code = forged_code_;
    in.forged_answer = forged_answer_;
    in.timed_out = timed_out;
    return judge(in);
  }

  world_config world_;
  service_config service_;
  planned_test test_;
  arrangement arranged_;
  std::vector<journal_entry> entries_;
  std::vector<long> seen_;
  std::string forged_code_, forged_answer_;
  std::uint64_t seq_ = 0;
};

TEST_F(Plan, ExpandsHappyPathPerQueryMethodAndRefusesUnknownTests) {
  std::string error;
  auto all = expand_plan("all", service_, error);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), conformance_tests().size() + 2);  // happy-path × date, range, latest
  EXPECT_EQ(all->front().name(), "happy-path[date]");
  EXPECT_EQ(expand_plan("basic", service_, error)->size(), 5u);
  EXPECT_EQ(expand_plan("happy-path:range,token-expired", service_, error)->size(), 2u);
  EXPECT_FALSE(expand_plan("no-such-test", service_, error));
  EXPECT_NE(error.find("no-such-test"), std::string::npos);
  EXPECT_FALSE(expand_plan("consent-refused:date", service_, error));
  service_.query_methods = {query_method::date};
  EXPECT_FALSE(expand_plan("happy-path:latest", service_, error));
  EXPECT_NE(error.find("did not register"), std::string::npos);
  EXPECT_FALSE(expand_plan(",", service_, error));
  EXPECT_FALSE(expand_plan(std::string(5000, 'x'), service_, error));
  EXPECT_NE(error.find("4096"), std::string::npos);
}

TEST_F(Plan, ArrangementsAreNarrowedToTheService) {
  std::string error;
  auto all = expand_plan("all", service_, error);
  ASSERT_TRUE(all);
  for (const auto& t : *all)
    for (const auto& f : arrange(t, service_, world_.data, "network").faults)
      EXPECT_EQ(f["client_id"], service_.client_id) << t.name();
  auto single = *world_.data.find_service("SP00000086_AA0003");  // one item, one holder
  auto plan = expand_plan("partial-result", single, error);
  ASSERT_TRUE(plan);
  auto partial = arrange(plan->front(), single, world_.data, "network");
  EXPECT_NE(partial.not_applicable.find("one 中間サーバ"), std::string::npos);
  EXPECT_TRUE(partial.faults.empty());
}

TEST_F(Plan, HappyPathPassesAfterTheNotificationAndFailsOnAPollingStorm) {
  EXPECT_EQ(judge_as("happy-path:date").verdict, test_verdict::pending);
  entries_.clear();
  seen_.clear();
  add("sp", "/online-resource-web/request", 200, "", R"({"commonHeader":{"processId":"1"}})").request_body =
      R"({"selfProvisionDataReqInfo":{"inquiryCondition":"Date=20261201"}})";
  notified("1");
  fetched("1");
  auto j = judge_as("happy-path:date");
  EXPECT_EQ(j.verdict, test_verdict::pass) << j.detail;
  EXPECT_TRUE(j.complete);
  EXPECT_FALSE(j.decisive);                                             // still watched for `settle`
  EXPECT_EQ(judge_as("happy-path:range").verdict, test_verdict::fail);  // asked with the wrong method
  entries_.clear();
  seen_.clear();
  started("2").request_body = R"({"selfProvisionDataReqInfo":{"inquiryCondition":"Date=20261201"}})";
  for (int i = 0; i < world_.conformance.polling_storm; ++i) fetched("2", "MPE3008");
  j = judge_as("happy-path:date");
  EXPECT_EQ(j.verdict, test_verdict::fail);
  EXPECT_TRUE(j.decisive);
  EXPECT_NE(j.detail.find("polling storm"), std::string::npos);
  EXPECT_EQ(j.evidence.size(), static_cast<std::size_t>(world_.conformance.polling_storm));  // every poll, up to 20
  EXPECT_EQ(j.evidence_omitted, 0u);
}

TEST_F(Plan, APortalErrorMustEndTheFlow) {
  EXPECT_EQ(judge_as("consent-refused", true).verdict, test_verdict::fail);  // never refused
  add("app", "/online-authorization-web/consent", 302, "MPE1101");
  auto j = judge_as("consent-refused");
  EXPECT_EQ(j.verdict, test_verdict::pass);
  EXPECT_FALSE(j.decisive);
  add("sp", "/online-authorization-web/oauth/token", 400, "MPE2002");
  j = judge_as("consent-refused");
  EXPECT_EQ(j.verdict, test_verdict::fail);
  EXPECT_TRUE(j.decisive);
  EXPECT_EQ(j.evidence.size(), 2u);
  EXPECT_EQ(judge_as("card-locked", true).verdict, test_verdict::fail);  // MPE1101 is not the lock
}

TEST_F(Plan, ForgedStateMustNotReachTheTokenEndpoint) {
  forged_code_ = "abc123";
  EXPECT_EQ(judge_as("state-forged").verdict, test_verdict::pending);  // not delivered yet
  forged_answer_ = "HTTP 400";
  EXPECT_EQ(judge_as("state-forged").verdict, test_verdict::pass);
  add("sp", "/online-authorization-web/oauth/token", 200).request_body = "grant_type=authorization_code&code=abc123";
  EXPECT_EQ(judge_as("state-forged").verdict, test_verdict::fail);
}

TEST_F(Plan, NotificationsAreJudgedOnTheirAnswerAndOnFetchesPerProcess) {
  started("7");
  notified("7", 200, "OK");
  EXPECT_EQ(judge_as("notification-ack").verdict, test_verdict::fail);
  entries_.clear();
  seen_.clear();
  started("8");
  notified("8");
  notified("8");
  fetched("8");
  EXPECT_EQ(judge_as("notification-duplicated").verdict, test_verdict::pass);
  fetched("8");
  EXPECT_EQ(judge_as("notification-duplicated").verdict, test_verdict::fail);
  entries_.clear();
  seen_.clear();
  started("9");
  fetched("9");
  seen_.back() = world_.conformance.fallback_within.count() + 1000;  // fetched too late
  EXPECT_EQ(judge_as("notification-lost").verdict, test_verdict::fail);
}

TEST_F(Plan, OutagesPartialResultsAndExpiredTokens) {
  started("1");
  add("sp", "/online-resource-web/request", 503, "MPE4003", R"({"reopens_at":"2027-01-04T08:00:00+09:00"})");
  EXPECT_EQ(judge_as("juki-year-end").verdict, test_verdict::pass);
  started("2");
  EXPECT_EQ(judge_as("juki-year-end").verdict, test_verdict::fail);  // retried before 2027-01-04
  entries_.clear();
  seen_.clear();
  fetched("3", "MPE5001");
  EXPECT_EQ(judge_as("partial-result").verdict, test_verdict::pass);
  started("4");
  EXPECT_EQ(judge_as("partial-result").verdict, test_verdict::fail);
  entries_.clear();
  seen_.clear();
  add("sp", "/online-resource-web/request", 401, "MPE3001");
  add("app", "/online-authorization-web/oauth/authorize", 200);
  EXPECT_EQ(judge_as("token-expired").verdict, test_verdict::pass);
  entries_.pop_back();
  add("sp", "/online-resource-web/request", 401, "MPE3001");
  EXPECT_EQ(judge_as("token-expired").verdict, test_verdict::fail);  // retried with the refused token
}

bool has_japanese(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// QA and business testers read Japanese: every verdict's detail and every test's remedy comes in
// both languages (the English stays in `detail` and `remedy`).
TEST_F(Plan, EveryDetailAndRemedyIsInJapaneseAndEnglish) {
  std::vector<judgement> seen;
  auto judge_all = [&](bool timed_out) {
    for (const auto& t : conformance_tests())
      seen.push_back(judge_as(std::string(t.id) == "happy-path" ? "happy-path:date" : t.id, timed_out));
  };
  judge_all(true);  // nothing happened: every test times out
  started("1").request_body = R"({"selfProvisionDataReqInfo":{"inquiryCondition":"Date=20261201"}})";
  for (int i = 0; i < 3; ++i) fetched("1", "MPE3008");
  notified("1", 200, "OK");
  notified("1");
  fetched("1");
  fetched("1", "MPE5001");
  add("app", "/online-authorization-web/consent", 302, "MPE1101");
  add("sp", "/online-resource-web/request", 503, "MPE4003", R"({"reopens_at":"2027-01-04T08:00:00+09:00"})");
  add("sp", "/online-resource-web/request", 401, "MPE3001");
  add("sp", "/online-authorization-web/oauth/token", 400, "MPE2002");
  add("sp", "/online-resource-web/result", 410, "MPE3009").process_id = "1";
  forged_answer_ = "HTTP 400";
  judge_all(false);
  forged_code_ = "abc";
  entries_.back().request_body = "code=abc";
  entries_.back().path = "/online-authorization-web/oauth/token";
  judge_all(false);
  for (const auto& j : seen) {
    if (j.verdict == test_verdict::pending) continue;
    EXPECT_TRUE(has_japanese(j.detail_ja)) << j.detail;
    EXPECT_FALSE(j.detail.empty()) << j.detail_ja;
    EXPECT_NE(j.detail, j.detail_ja);
  }
  EXPECT_GE(seen.size(), 3 * conformance_tests().size());
  for (const auto& t : conformance_tests()) {
    EXPECT_TRUE(has_japanese(t.remedy_ja)) << t.id;
    EXPECT_NE(std::string(t.remedy_ja), t.remedy_en) << t.id;
    // What the test arranges and what passes, Japanese too (issue 30, item 11).
    EXPECT_TRUE(has_japanese(t.arranges_ja)) << t.id;
    EXPECT_TRUE(has_japanese(t.expects_ja)) << t.id;
    EXPECT_NE(std::string(t.arranges_ja), t.arranges) << t.id;
    EXPECT_NE(std::string(t.expects_ja), t.expects) << t.id;
  }
  auto md = conformance_tests_markdown();  // `mynasim conformance tests`, docs/conformance.md
  EXPECT_NE(md.find("| 準備 | what it arranges | 合格条件 | what passes | 対処 | remedy |"), std::string::npos) << md;
  for (const auto& t : conformance_tests()) {
    EXPECT_NE(md.find(std::string(" | ") + t.arranges_ja + " | " + t.arranges + " | " + t.expects_ja + " | " +
                      t.expects + " | " + t.remedy_ja + " | " + t.remedy_en + " |\n"),
              std::string::npos)
        << t.id;
  }
}

// polling_storm = N: N calls answered MPE3008 before the notification fail the test, N - 1 do
// not; the detail says so instead of "limit N", which reads as if N were allowed.
TEST_F(Plan, APollingStormSaysWhatItsThresholdMeans) {
  world_.conformance.polling_storm = 4;
  started("2").request_body = R"({"selfProvisionDataReqInfo":{"inquiryCondition":"Date=20261201"}})";
  for (int i = 0; i < 3; ++i) fetched("2", "MPE3008");
  EXPECT_EQ(judge_as("happy-path:date").verdict, test_verdict::pending);  // 3 are tolerated
  fetched("2", "MPE3008");
  auto j = judge_as("happy-path:date");
  EXPECT_EQ(j.verdict, test_verdict::fail);
  EXPECT_EQ(j.detail.find("limit"), std::string::npos) << j.detail;
  EXPECT_NE(j.detail.find("4 or more while processing make one; at most 3 are tolerated"), std::string::npos)
      << j.detail;
  EXPECT_NE(j.detail_ja.find("3 回まで、4 回以上で過多"), std::string::npos) << j.detail_ja;
}

// A verdict lists at most max_test_evidence entries and says how many more showed it.
TEST_F(Plan, EvidenceCutAtTheLimitSaysHowManyWereLeftOut) {
  world_.conformance.polling_storm = 100;
  started("3").request_body = R"({"selfProvisionDataReqInfo":{"inquiryCondition":"Date=20261201"}})";
  for (int i = 0; i < 30; ++i) fetched("3", "MPE3008");
  notified("3");
  fetched("3");
  auto j = judge_as("happy-path:date");
  EXPECT_EQ(j.verdict, test_verdict::warning) << j.detail;
  EXPECT_EQ(j.evidence.size(), max_test_evidence);
  EXPECT_EQ(j.evidence_omitted, 10u);
  entries_.clear();
  seen_.clear();
  started("4");
  for (int i = 0; i < 23; ++i) fetched("4");  // the notification came twice; fetched 23 times
  j = judge_as("notification-duplicated");
  EXPECT_EQ(j.verdict, test_verdict::fail);
  EXPECT_EQ(j.evidence.size(), max_test_evidence);
  EXPECT_EQ(j.evidence_omitted, 3u);
}

// partial-result makes one holder fail. It must leave the announced persona data from another
// holder: a holder that holds all of it would make the "partial" result empty.
TEST_F(Plan, PartialResultFailsAHolderThatLeavesThePersonaDataFromAnother) {
  auto& items = world_.data.items;
  auto holders_of = [&](const std::string& code) {
    auto it = std::find_if(items.begin(), items.end(), [&](const auto& i) { return i.code == code; });
    return it == items.end() ? std::vector<std::string>{} : it->holders;
  };
  // hanako's records of these items are all on the municipal 中間サーバ, the service's first holder.
  ASSERT_EQ(holders_of("TM00000000000003"), std::vector<std::string>{"municipal"});
  ASSERT_EQ(holders_of("TM00000000000018"), std::vector<std::string>{"japan-pension"});
  service_.items = {"TM00000000000003", "TM00000000000018"};
  const auto* hanako = world_.data.find_persona("hanako");
  ASSERT_NE(hanako, nullptr);
  std::string error;
  auto plan = expand_plan("partial-result", service_, error);
  ASSERT_TRUE(plan) << error;
  auto a = arrange(plan->front(), service_, world_.data, "network", hanako);
  EXPECT_TRUE(a.not_applicable.empty()) << a.not_applicable;
  EXPECT_EQ(a.failing_holder, "japan-pension");  // not municipal: that would leave her nothing
  ASSERT_EQ(a.faults.size(), 1u);
  EXPECT_EQ(a.faults[0]["target"], "japan-pension");
  // ichiro holds records on several of them: the failing one holds some of his, another the rest.
  service_ = *world_.data.find_service("SP00000200_CC0001");
  const auto* ichiro = world_.data.find_persona("ichiro");
  ASSERT_NE(ichiro, nullptr);
  a = arrange(plan->front(), service_, world_.data, "network", ichiro);
  EXPECT_EQ(a.failing_holder, "japan-pension");
  // A persona with no records of the service's items: nothing could be partial.
  const auto* jiro = world_.data.find_persona("jiro");
  ASSERT_NE(jiro, nullptr);
  a = arrange(plan->front(), service_, world_.data, "network", jiro);
  EXPECT_TRUE(a.failing_holder.empty());
  EXPECT_TRUE(a.faults.empty());
  EXPECT_NE(a.not_applicable.find("jiro"), std::string::npos) << a.not_applicable;
  EXPECT_TRUE(has_japanese(a.not_applicable_ja));
}

TEST(ConformanceReports, JUnitEscapesWhatTheAppSent) {
  nlohmann::json run{{"id", "run-1"},
                     {"client_id", "SP00000086_AA0003"},
                     {"plan", "all"},
                     {"state", "finished"},
                     {"created_at", "2026-12-01T10:00:00+09:00"},
                     {"summary", {{"pass", 0}, {"fail", 1}}},
                     {"tests",
                      {{{"name", "state-forged"},
                        {"test", "state-forged"},
                        {"verdict", "fail"},
                        {"detail", "answered <script>&\"'\x01"},
                        {"remedy", "r"},
                        {"duration_ms", 1500},
                        {"evidence", nlohmann::json::array()}}}}};
  auto xml = conformance_junit(run);
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("answered &lt;script&gt;&amp;&quot;&#39; "), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_NE(xml.find("time=\"1.500\""), std::string::npos);
  auto md = conformance_markdown(run);
  EXPECT_NE(md.find("| `state-forged` |"), std::string::npos);
}

}  // namespace
}  // namespace mynasim
