// SPDX-License-Identifier: Apache-2.0
// Every entry of the error catalogue, triggered at least once through HTTP.
#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

class Errors : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void start(std::function<void(world_config&)> extra, app_options options = {}) {
    flow_ = {};
    server_.reset();
    server_ = std::make_unique<test_server>(
        [&](world_config& w) {
          w.data.portal.processing_delay = std::chrono::milliseconds(10);
          w.data.portal.notification_attempts = 1;
          for (auto& c : w.data.connections) c.notification_url = "http://127.0.0.1:1/closed";
          if (extra) extra(w);
        },
        options);
    flow_.server = server_.get();
  }
  std::string code_of(const char* key) { return server_->runtime().data.get()->errors.at(key).code; }
  std::string code_message(const char* key) { return server_->runtime().data.get()->errors.at(key).message; }
  std::string redirect_error(const client_response& r) {
    EXPECT_EQ(r.status, 302);
    EXPECT_FALSE(query_value(r.header("location"), "state").empty());
    EXPECT_EQ(query_value(r.header("location"), "error"), "access_denied");
    return query_value(r.header("location"), "error_code");
  }
  std::string telegram_code(const client_response& r) { return parse(r)["commonHeader"].value("errorCode", "?"); }

  std::unique_ptr<test_server> server_;
  flow_client flow_;
};

TEST_F(Errors, AuthorizeRejectsUnknownClientAndRedirectMismatchWithAPageNeverARedirect) {
  flow_.client_id = "SP99999999_ZZ9999";
  auto r = flow_.authorize("");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.header("location").empty());
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("unknown_client"));
  EXPECT_NE(r.body.find("data-testid=\"error-message\""), std::string::npos);
  flow_.client_id = "SP00000086_AA0003";
  flow_.redirect_uri = "http://evil.example/callback";
  r = flow_.authorize("");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.header("location").empty());
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("redirect_uri_mismatch"));
}

TEST_F(Errors, AuthorizeRejectsBadParametersAndUnknownPersonas) {
  auto r = test::request(server_->port("app"), true, "GET",
                         "/online-authorization-web/oauth/authorize?response_type=token&client_id=SP00000086_AA0003"
                         "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&state=s");
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("invalid_authorize_request"));
  r = flow_.authorize("&mynasim_persona=nobody");
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("unknown_persona"));
  r = flow_.authorize("&mynasim_persona=taro&mynasim_outcome=teleport");
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("invalid_authorize_request"));
  r = test::request(server_->port("app"), true, "GET", "/online-authorization-web/oauth/authorize?client_id=%ZZ");
  EXPECT_EQ(r.status, 400);
  r = test::request(server_->port("app"), true, "POST", "/online-authorization-web/consent",
                    "session=bogus&action=agree&terms=on");
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("session_expired"));
}

TEST_F(Errors, RefusedAtConsentAndCancelledAtTheLinkScreenAreToldApart) {
  auto refused = flow_.authorize("&mynasim_persona=taro&mynasim_outcome=refuse").header("location");
  auto cancelled = flow_.authorize("&mynasim_persona=taro&mynasim_outcome=cancel_link").header("location");
  EXPECT_NE(query_value(refused, "error_code"), query_value(cancelled, "error_code"));
  EXPECT_NE(query_value(refused, "error_description"), query_value(cancelled, "error_description"));
}

TEST_F(Errors, AuthorizeErrorPagesNameTheParameterTheValueAndWhatWasExpected) {
  auto base = std::string("/online-authorization-web/oauth/authorize?client_id=SP00000086_AA0003&state=s");
  // No redirect_uri at all is a parameter error, not a mismatch.
  auto r = test::request(server_->port("app"), true, "GET", base + "&response_type=code");
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("invalid_authorize_request"));
  EXPECT_NE(r.body.find("redirect_uri がありません"), std::string::npos) << r.body;
  r = test::request(server_->port("app"), true, "GET",
                    base + "&response_type=token&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback");
  EXPECT_NE(r.body.find("response_type は code です（response_type=token を受け取りました）"), std::string::npos)
      << r.body;
  r = test::request(server_->port("app"), true, "GET",
                    base + "&response_type=code&redirect_uri=http%3A%2F%2Fevil.example%2Fcb");
  EXPECT_EQ(r.header("x-mynasim-error-code"), code_of("redirect_uri_mismatch"));
  EXPECT_NE(r.body.find("redirect_uri=http://evil.example/cb は client_id=SP00000086_AA0003 に登録されていません"),
            std::string::npos)
      << r.body;
  r = test::request(server_->port("app"), true, "GET",
                    "/online-authorization-web/oauth/authorize?client_id=SP99999999_ZZ9999");
  EXPECT_NE(r.body.find("client_id=SP99999999_ZZ9999 は登録されていません"), std::string::npos) << r.body;
}

TEST_F(Errors, RefusalAndCardFailuresReturnToTheServiceWithState) {
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=taro&mynasim_outcome=refuse")),
            code_of("consent_refused"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=taro&mynasim_outcome=cancel_link")),
            code_of("link_cancelled"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=taro&mynasim_outcome=wrong_pin")), code_of("wrong_pin"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=ken")), code_of("card_locked"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=misaki")), code_of("certificate_expired"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=sakura")), code_of("certificate_revoked"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=taro&mynasim_outcome=expired_certificate")),
            code_of("certificate_expired"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=taro&mynasim_outcome=revoked_certificate")),
            code_of("certificate_revoked"));
  // The wrong PIN used a try of taro's card, but a correct PIN resets the counter.
  EXPECT_FALSE(flow_.authorize_code("taro").empty());
}

TEST_F(Errors, ThreeWrongPinsLockTheCardUntilReset) {
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=hanako&mynasim_outcome=lock_card")),
            code_of("card_locked"));
  EXPECT_EQ(redirect_error(flow_.authorize("&mynasim_persona=hanako")), code_of("card_locked"));  // stays locked
  EXPECT_EQ(server_->admin("POST", "/__admin/cards/reset").status, 200);
  EXPECT_FALSE(flow_.authorize_code("hanako").empty());
}

TEST_F(Errors, TokenEndpointErrors) {
  auto bad = test::request(server_->port("sp"), true, "POST", "/online-authorization-web/oauth/token",
                           "grant_type=password&username=x");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(parse(bad)["error"], "invalid_request");
  EXPECT_EQ(parse(bad)["errorCode"], code_of("invalid_token_request"));
  auto unknown = flow_.token("no-such-code");
  EXPECT_EQ(parse(unknown)["errorCode"], code_of("invalid_grant"));
  EXPECT_EQ(parse(unknown)["error"], "invalid_grant");
  auto code = flow_.authorize_code("taro");
  EXPECT_EQ(parse(flow_.token(code, "http://127.0.0.1:3000/callback"))["errorCode"], code_of("invalid_grant"));
  flow_.client_id = "SP99999999_ZZ9999";
  EXPECT_EQ(parse(flow_.token(code))["errorCode"], code_of("unknown_client"));
  auto garbage = test::request(server_->port("sp"), true, "POST", "/online-authorization-web/oauth/token", "%%%=%");
  EXPECT_EQ(parse(garbage)["errorCode"], code_of("invalid_token_request"));
}

TEST_F(Errors, ReusedCodeFailsAndRevokesTheFirstToken) {
  auto code = flow_.authorize_code("taro");
  auto first = parse(flow_.token(code));
  ASSERT_TRUE(first.contains("access_token"));
  EXPECT_EQ(first["token_type"], "Bearer");
  EXPECT_EQ(first["expires_in"], 3600);
  auto second = flow_.token(code);
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(parse(second)["errorCode"], code_of("code_reused"));
  auto r = flow_.request(first["access_token"], flow_.next_telegram_id(), "Latest");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(telegram_code(r), code_of("invalid_token"));
}

TEST_F(Errors, CodesAndTokensExpireOnTheVirtualClock) {
  auto code = flow_.authorize_code("taro");
  server_->admin("POST", "/__admin/clock/advance", R"({"by": "PT5M1S"})");
  EXPECT_EQ(parse(flow_.token(code))["errorCode"], code_of("invalid_grant"));
  auto token = flow_.access_token("taro");
  EXPECT_EQ(flow_.request(token, flow_.next_telegram_id(), "Latest").status, 200);
  server_->admin("POST", "/__admin/clock/advance", R"({"by": "PT1H"})");
  EXPECT_EQ(telegram_code(flow_.request(token, flow_.next_telegram_id(), "Latest")), code_of("invalid_token"));
}

// A telegram error says which field was wrong, what was sent and what is expected — in one
// language: the catalogue's Japanese message, then one Japanese sentence.
TEST_F(Errors, TelegramErrorsNameTheFieldTheValueAndWhatIsExpected) {
  auto token = flow_.access_token("taro");
  auto message = [](const client_response& r) { return parse(r).value("errorMessage", std::string()); };
  auto m = message(flow_.request(token, flow_.next_telegram_id(), "Date=2025-10-01"));
  EXPECT_NE(m.find("Date=YYYYMMDD"), std::string::npos) << m;
  EXPECT_NE(m.find("Date=2025-10-01 を受け取りました"), std::string::npos) << m;
  m = message(flow_.request(token, "TL-00000099-261127120000-0001", "Latest"));
  EXPECT_NE(m.find("サービス提供者IDの数字 00000086 を含めてください"), std::string::npos) << m;
  m = message(test::request(server_->port("sp"), true, "POST", "/online-resource-web/request", "{not json",
                            {{"Authorization", "Bearer " + token}}));
  EXPECT_EQ(m, code_message("malformed_json") + "本文は JSON のオブジェクト {…} です。");
  flow_.client_id = "SP00000086_AA0004";  // date and range only
  auto token4 = flow_.access_token("taro");
  m = message(flow_.request(token4, flow_.next_telegram_id(), "Latest"));
  EXPECT_NE(m.find("照会方法は date, range です（latest を受け取りました）"), std::string::npos) << m;
  // No sentence mixes in an English parenthesis.
  for (const auto& text : {m, message(flow_.request(token, "TL-1", "Latest"))})
    EXPECT_EQ(text.find(" ("), std::string::npos) << text;
}

TEST_F(Errors, RequestTelegramValidation) {
  auto token = flow_.access_token("taro");
  auto sp = server_->port("sp");
  std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  EXPECT_EQ(telegram_code(test::request(sp, true, "POST", "/online-resource-web/request", "{not json", auth)),
            code_of("malformed_json"));
  EXPECT_EQ(telegram_code(test::request(sp, true, "POST", "/online-resource-web/request", "{}", auth)),
            code_of("invalid_telegram"));
  EXPECT_EQ(telegram_code(flow_.request(token, "TL-1-2-3", "Latest")), code_of("invalid_telegram"));
  EXPECT_EQ(telegram_code(flow_.request(token, "TL-00000099-261127120000-0001", "Latest")),
            code_of("invalid_telegram"));
  nlohmann::json wrong_type{
      {"commonHeader", {{"telegramId", flow_.next_telegram_id()}, {"telegramType", "IFA0303-R01"}, {"mode", "1"}}},
      {"selfProvisionDataReqInfo", {{"inquiryCondition", "Latest"}}}};
  EXPECT_EQ(telegram_code(test::request(sp, true, "POST", "/online-resource-web/request", wrong_type.dump(), auth)),
            code_of("invalid_telegram"));
  for (const char* bad : {"Date=2025", "Date=20251301", "Range=20250101", "Range=20251231-20250101", "Foo"})
    EXPECT_EQ(telegram_code(flow_.request(token, flow_.next_telegram_id(), bad)), code_of("invalid_inquiry_condition"))
        << bad;
  auto id = flow_.next_telegram_id();
  EXPECT_EQ(flow_.request(token, id, "Latest").status, 200);
  auto dup = flow_.request(token, id, "Latest");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(telegram_code(dup), code_of("duplicate_telegram_id"));
  EXPECT_EQ(parse(dup)["commonHeader"]["telegramId"], id);  // errors echo the header
  auto none = test::request(sp, true, "POST", "/online-resource-web/request", "{}");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(telegram_code(none), code_of("invalid_token"));
}

TEST_F(Errors, QueryMethodNotAllowed) {
  flow_.client_id = "SP00000086_AA0004";  // date and range only; 世帯情報 has no dates
  auto token = flow_.access_token("taro");
  auto r = flow_.request(token, flow_.next_telegram_id(), "Latest");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(telegram_code(r), code_of("query_method_not_allowed"));
}

TEST_F(Errors, ResultErrors) {
  auto token = flow_.access_token("taro");
  EXPECT_EQ(telegram_code(flow_.result(token, flow_.next_telegram_id(), "12345")), code_of("unknown_process"));
  auto telegram = flow_.next_telegram_id();
  auto pid = parse(flow_.request(token, telegram, "Latest"))["commonHeader"]["processId"].get<std::string>();
  EXPECT_EQ(telegram_code(flow_.result(token, "TL-00000086-261127120000-9999", pid)), code_of("invalid_telegram"));
  auto other = flow_.access_token("hanako");
  EXPECT_EQ(telegram_code(flow_.result(other, telegram, pid)), code_of("unknown_process"));  // another person's
  EXPECT_EQ(telegram_code(flow_.wait_result(token, telegram, pid)), "");
}

TEST_F(Errors, StillProcessingAndResultExpired) {
  start([](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(1500);
    w.data.portal.result_lifetime = std::chrono::minutes(30);
  });
  auto token = flow_.access_token("taro");
  auto telegram = flow_.next_telegram_id();
  auto pid = parse(flow_.request(token, telegram, "Latest"))["commonHeader"]["processId"].get<std::string>();
  auto early = flow_.result(token, telegram, pid);
  EXPECT_EQ(early.status, 200);
  EXPECT_EQ(telegram_code(early), code_of("still_processing"));
  EXPECT_EQ(telegram_code(flow_.wait_result(token, telegram, pid)), "");
  server_->admin("POST", "/__admin/clock/advance", R"({"by": "PT31M"})");
  auto late = flow_.result(token, telegram, pid);
  EXPECT_EQ(late.status, 410);
  EXPECT_EQ(telegram_code(late), code_of("result_expired"));
}

TEST_F(Errors, ClosedDayAndUnreachableSystem) {
  flow_.client_id = "SP00000200_CC0002";
  server_->set_clock("2026-11-28T10:00:00+09:00");  // Saturday: 日本年金機構中間サーバ closed
  EXPECT_EQ(flow_.run("ichiro", "Latest")["commonHeader"]["errorCode"], code_of("system_closed_day"));
  // municipal runs nowhere: its peer URL points at a closed port.
  app_options options;
  for (const auto& s : server_->runtime().world.systems)
    if (s.id != "municipal") options.only.push_back(s.id);
  options.peer_url_template = "http://127.0.0.1:1/systems/{id}";
  start({}, options);
  flow_.client_id = "SP00000086_AA0003";
  auto r = flow_.run("taro", "Latest");
  EXPECT_EQ(r["commonHeader"]["errorCode"], code_of("system_error")) << r;
  EXPECT_EQ(r["selfPersonalDataProvisionInfo"]["providerStatus"][0]["status"], "error");
}

TEST(ErrorsMutualTls, ClientCertificateMustBelongToTheService) {
  test_server server([](world_config& w) { w.server.sp.tls.require_client_cert = true; });
  flow_client flow;
  flow.server = &server;
  auto dir = test_certs_dir();
  flow.tls = {dir + "/client.crt", dir + "/client.key"};
  auto ok = parse(flow.token(flow.authorize_code("taro")));
  EXPECT_TRUE(ok.contains("access_token")) << ok;
  flow.client_id = "SP00000123_BB0001";  // registered without this certificate
  auto refused = flow.token(flow.authorize_code("hanako"));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(parse(refused)["errorCode"], server.runtime().data.get()->errors.at("client_not_authenticated").code);
}

// docs/errors.md: only the portal refuses at once; an outage behind it (住基ネット's year-end
// stop) is accepted and comes with the result.
TEST_F(Errors, AnOutageBehindThePortalComesWithTheResultThePortalsOwnAtOnce) {
  server_->set_clock("2026-12-29T10:00:00+09:00");
  flow_.prefix = server_->base();
  auto token = flow_.access_token("taro");
  auto tid = flow_.next_telegram_id();
  auto accepted = flow_.request(token, tid, "Date=20250701");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  auto process_id = parse(accepted)["commonHeader"].value("processId", "");
  auto result = flow_.wait_result(token, tid, process_id);
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(telegram_code(result), code_of("system_planned_outage")) << result.body;

  ASSERT_EQ(server_->admin("POST", "/__admin/faults", R"({"kind":"down","target":"portal"})").status, 201);
  auto refused = flow_.request(token, flow_.next_telegram_id(), "Date=20250701");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(telegram_code(refused), code_of("system_forced_down")) << refused.body;
}

}  // namespace
}  // namespace mynasim::test
