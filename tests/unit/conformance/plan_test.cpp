// SPDX-License-Identifier: Apache-2.0
#include "conformance/plan.hpp"

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
  EXPECT_EQ(j.evidence.size(), 5u);
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
