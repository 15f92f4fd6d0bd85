// SPDX-License-Identifier: Apache-2.0
// The 自己情報取得API web flow end to end over HTTPS: a test client plays the API user,
// including its IF001-05 notification endpoint.
#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

class WebFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<notification_receiver>();
    server_ = std::make_unique<test_server>([this](world_config& w) {
      w.data.portal.processing_delay = std::chrono::milliseconds(10);
      w.data.portal.notification_first_retry = std::chrono::milliseconds(20);
      w.data.portal.notification_attempts = 3;
      for (auto& c : w.data.connections) c.notification_url = receiver_->url();
    });
    flow_.server = server_.get();
  }
  const std::string& code_of(const char* key) { return server_->runtime().data.get()->errors.at(key).code; }
  static nlohmann::json personal_data(const nlohmann::json& result) {
    return nlohmann::json::parse(result["selfPersonalDataProvisionInfo"]["selfPersonalData"].get<std::string>());
  }

  std::unique_ptr<notification_receiver> receiver_;
  std::unique_ptr<test_server> server_;
  flow_client flow_;
};

TEST_F(WebFlow, IncomeForAPointInTime) {
  auto r = flow_.run("taro", "Date=20241001");
  ASSERT_TRUE(r.is_object()) << r;
  EXPECT_EQ(r["commonHeader"]["telegramType"], "IFA0303-S01");
  EXPECT_EQ(r["commonHeader"]["errorCode"], "");
  auto data = personal_data(r);  // a JSON string, parsed a second time as real clients do
  ASSERT_EQ(data.size(), 1u);
  auto records = data[0]["神奈川県川崎市"]["地方税関係情報"];
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["課税年度"], "2024");  // the newest assessment on or before 2024-10-01
  EXPECT_EQ(records[0]["給与収入額"], "5670000");
}

TEST_F(WebFlow, NotificationReachesTheApiUserWithTheSameHeader) {
  auto token = flow_.access_token("taro");
  auto telegram = flow_.next_telegram_id();
  auto accepted = parse(flow_.request(token, telegram, "Latest"));
  auto pid = accepted["commonHeader"]["processId"].get<std::string>();
  EXPECT_EQ(accepted["commonHeader"]["telegramType"], "IFA0301-S01");
  EXPECT_EQ(accepted["commonHeader"]["telegramId"], telegram);
  EXPECT_EQ(accepted["commonHeader"]["mode"], "1");
  ASSERT_TRUE(receiver_->wait_for(1, 5s));
  auto n = receiver_->received()[0]["commonHeader"];
  EXPECT_EQ(n["telegramType"], "IFA0302-R01");
  EXPECT_EQ(n["telegramId"], telegram);
  EXPECT_EQ(n["processId"], pid);
  EXPECT_EQ(n["errorCode"], "");
  auto r = parse(flow_.result(token, telegram, pid));
  EXPECT_EQ(personal_data(r)[0]["神奈川県川崎市"]["地方税関係情報"][0]["課税年度"], "2025");
  auto process = parse(server_->admin("GET", "/__admin/processes/" + pid));
  ASSERT_EQ(process["notifications"].size(), 1u);
  EXPECT_EQ(process["notifications"][0]["status"], 200);
  EXPECT_EQ(process["notifications"][0]["telegram_type"], "IFA0302-S01");
}

TEST_F(WebFlow, RangeQueryWithNestedFieldsForASingleParent) {
  flow_.client_id = "SP00000123_BB0001";
  auto r = flow_.run("hanako", "Range=20230101-20241231");
  auto data = personal_data(r)[0]["神奈川県川崎市"];
  EXPECT_EQ(data["児童扶養手当の支給情報"].size(), 2u);  // both periods overlap the range
  EXPECT_EQ(data["母子家庭自立支援給付金支給情報"].size(), 1u);
  EXPECT_EQ(data["母子家庭自立支援給付金支給情報"][0]["支給期間情報"]["支給開始年月"], "202404");
  EXPECT_FALSE(data.contains("母子生活支援施設保護情報"));  // ended 2021
  EXPECT_FALSE(data.contains("生活保護情報"));
}

TEST_F(WebFlow, LatestForAPensionerAcrossSeveralHolders) {
  flow_.client_id = "SP00000200_CC0001";
  server_->set_clock("2027-03-10T10:00:00+09:00");  // a Wednesday: every holder is open
  auto r = flow_.run("ichiro", "Latest");
  EXPECT_EQ(r["commonHeader"]["errorCode"], "") << r;
  std::map<std::string, nlohmann::json> by_body;
  for (auto& entry : personal_data(r))
    for (auto& [body, info] : entry.items()) by_body[body] = info;
  EXPECT_EQ(by_body["日本年金機構"]["年金給付関係情報"][0]["年金種別"], "老齢基礎年金");
  EXPECT_EQ(by_body["国家公務員共済組合連合会"]["年金給付関係情報"][0]["年金額"], "1200000");
  // Latest picks the newest period that has started: 後期高齢者医療 from 2027-02-28.
  EXPECT_EQ(by_body["東京都後期高齢者医療広域連合"]["医療保険資格情報"][0]["保険者名称"],
            "東京都後期高齢者医療広域連合");
  EXPECT_EQ(r["selfPersonalDataProvisionInfo"]["providerStatus"].size(), 7u);
}

TEST_F(WebFlow, NoDataIsANormalAnswer) {
  auto r = flow_.run("jiro", "Date=20250101");
  EXPECT_EQ(r["commonHeader"]["errorCode"], code_of("no_data"));
  EXPECT_EQ(personal_data(r).size(), 0u);
}

TEST_F(WebFlow, PensionItemSucceedsAt2230AndFailsAt2330) {
  flow_.client_id = "SP00000200_CC0002";
  server_->set_clock("2026-11-27T22:30:00+09:00");
  auto ok = flow_.run("ichiro", "Date=20261101");
  EXPECT_EQ(ok["commonHeader"]["errorCode"], "") << ok;
  EXPECT_EQ(personal_data(ok)[0]["日本年金機構"]["年金生活者支援給付金情報"][0]["給付金額"], "5310");
  server_->set_clock("2026-11-27T23:30:00+09:00");
  auto closed = flow_.run("ichiro", "Date=20261101");
  EXPECT_EQ(closed["commonHeader"]["errorCode"], code_of("system_outside_hours")) << closed;
  auto message = closed["errorMessage"].get<std::string>();
  EXPECT_NE(message.find("日本年金機構中間サーバ"), std::string::npos) << message;
  EXPECT_NE(message.find("2026-11-30T08:00:00+09:00"), std::string::npos) << message;
  auto status = closed["selfPersonalDataProvisionInfo"]["providerStatus"][0];
  EXPECT_EQ(status["system"], "japan-pension");
  EXPECT_EQ(status["status"], "unavailable");
  EXPECT_EQ(status["reopens_at"], "2026-11-30T08:00:00+09:00");
}

TEST_F(WebFlow, ClosedHolderShowsUpWhileOthersAnswer) {
  flow_.client_id = "SP00000200_CC0001";
  server_->set_clock("2026-11-27T21:30:00+09:00");  // mutual-aid servers closed at 21:00, pension open
  auto r = flow_.run("ichiro", "Date=20261101");
  EXPECT_EQ(r["commonHeader"]["errorCode"], code_of("partial_result"));
  std::map<std::string, std::string> status;
  for (auto& s : r["selfPersonalDataProvisionInfo"]["providerStatus"]) status[s["system"]] = s["status"];
  EXPECT_EQ(status["japan-pension"], "ok");
  EXPECT_EQ(status["national-gov-mutual"], "unavailable");
  auto data = personal_data(r);
  bool has_pension = false;
  for (auto& entry : data) has_pension = has_pension || entry.contains("日本年金機構");
  EXPECT_TRUE(has_pension);
}

TEST_F(WebFlow, NetworkPlannedOutageNamesTheSystemAndReopening) {
  server_->set_clock("2026-12-19T10:00:00+09:00");  // third Saturday
  auto r = flow_.run("taro", "Date=20251001");
  EXPECT_EQ(r["commonHeader"]["errorCode"], code_of("system_planned_outage")) << r;
  auto message = r["errorMessage"].get<std::string>();
  EXPECT_NE(message.find("情報提供ネットワークシステム"), std::string::npos) << message;
  EXPECT_NE(message.find("2026-12-21T00:00:00+09:00"), std::string::npos) << message;
}

TEST_F(WebFlow, JukiYearEndStopFailsTheRequest) {
  server_->set_clock("2026-12-30T10:00:00+09:00");
  auto r = flow_.run("taro", "Date=20251001");
  EXPECT_EQ(r["commonHeader"]["errorCode"], code_of("system_planned_outage")) << r;
  EXPECT_NE(r["errorMessage"].get<std::string>().find("住民基本台帳ネットワークシステム"), std::string::npos);
}

TEST_F(WebFlow, StubRootAliasesWork) {
  auto code = flow_.authorize_code("taro");
  auto token =
      parse(test::request(server_->port("sp"), true, "POST", "/oauth/token",
                          "grant_type=authorization_code&code=" + code +
                              "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&client_id=SP00000086_AA0003"));
  ASSERT_TRUE(token.contains("access_token")) << token;
  auto telegram = flow_.next_telegram_id();
  auto accepted = parse(flow_.request(token["access_token"], telegram, "Date=20250101", "/request"));
  auto pid = accepted["commonHeader"]["processId"].get<std::string>();
  ASSERT_TRUE(receiver_->wait_for(1, 5s));
  auto r = parse(flow_.result(token["access_token"], telegram, pid, "/result"));
  EXPECT_EQ(r["commonHeader"]["errorCode"], "");
}

TEST_F(WebFlow, AccessRecordsPerPersona) {
  flow_.run("taro", "Date=20250101");
  auto j = parse(server_->admin("GET", "/__admin/personas/taro/access-records"));
  ASSERT_EQ(j["access_records"].size(), 1u);
  EXPECT_EQ(j["access_records"][0]["client_id"], "SP00000086_AA0003");
  EXPECT_EQ(j["access_records"][0]["items"][0], "TM00000000000003");
  EXPECT_EQ(j["access_records"][0]["outcome"], "provided");
  EXPECT_EQ(server_->admin("GET", "/__admin/personas/nobody/access-records").status, 404);
}

TEST_F(WebFlow, FailingNotificationEndpointIsRetriedAndRecorded) {
  notification_receiver failing(500);
  server_ = std::make_unique<test_server>([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(10);
    w.data.portal.notification_first_retry = std::chrono::milliseconds(20);
    w.data.portal.notification_attempts = 3;
    for (auto& c : w.data.connections) c.notification_url = failing.url();
  });
  flow_.server = server_.get();
  auto token = flow_.access_token("taro");
  auto telegram = flow_.next_telegram_id();
  auto pid = parse(flow_.request(token, telegram, "Latest"))["commonHeader"]["processId"].get<std::string>();
  ASSERT_TRUE(failing.wait_for(3, 5s));
  nlohmann::json process;
  for (int i = 0; i < 200; ++i) {  // each attempt is recorded once its answer is read
    process = parse(server_->admin("GET", "/__admin/processes/" + pid));
    if (process["notifications"].size() >= 3) break;
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(100ms);        // room for a fourth attempt, which must not come
  EXPECT_EQ(failing.received().size(), 3u);  // bounded
  ASSERT_EQ(process["notifications"].size(), 3u);
  EXPECT_EQ(process["notifications"][2]["status"], 500);
}

}  // namespace
}  // namespace mynasim::test
