// SPDX-License-Identifier: Apache-2.0
// The consent, card and link screens driven through their HTML forms, as a browser would.
#include <gtest/gtest.h>

#include "flow_client.hpp"

namespace mynasim::test {
namespace {

std::string session_of(const std::string& html) {
  const std::string marker = "name=\"session\" value=\"";
  auto at = html.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return html.substr(at, html.find('"', at) - at);
}

// The href of the element with this data-testid, entities decoded.
std::string href_of(const std::string& html, const std::string& testid) {
  auto at = html.find("data-testid=\"" + testid + "\"");
  if (at == std::string::npos) return "";
  auto href = html.find("href=\"", at);
  if (href == std::string::npos) return "";
  href += 6;
  std::string out = html.substr(href, html.find('"', href) - href);
  for (std::size_t i; (i = out.find("&amp;")) != std::string::npos;) out.replace(i, 5, "&");
  return out;
}

class Screens : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test_server>();
    flow_.server = server_.get();
  }
  client_response post(const char* path, const std::string& form) {
    return test::request(server_->port("app"), true, "POST", path, form,
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  }
  std::unique_ptr<test_server> server_;
  flow_client flow_;
};

TEST_F(Screens, ConsentCardAndLinkScreensLeadToACode) {
  auto consent = flow_.authorize("");
  ASSERT_EQ(consent.status, 200);
  for (const char* id : {"consent-terms", "consent-agree", "consent-items", "consent-details"})
    EXPECT_NE(consent.body.find(std::string("data-testid=\"") + id + "\""), std::string::npos) << id;
  EXPECT_NE(
      consent.body.find(
          "○○銀行 住宅ローン事前審査が住宅ローンの事前審査のためにマイナポータルを通じて、以下の情報を取得します。"),
      std::string::npos);
  EXPECT_NE(consent.body.find("地方税関係情報"), std::string::npos);
  EXPECT_NE(consent.body.find("詳細の項目"), std::string::npos);
  auto session = session_of(consent.body);
  ASSERT_FALSE(session.empty());
  // Without the terms check the screen stays.
  auto again = post("/online-authorization-web/consent", "session=" + session + "&action=agree");
  EXPECT_NE(again.body.find("利用規約に同意してください"), std::string::npos);
  auto card = post("/online-authorization-web/consent", "session=" + session + "&action=agree&terms=on");
  for (const char* id : {"card-select", "card-serial", "pin-input", "auth-submit"})
    EXPECT_NE(card.body.find(std::string("data-testid=\"") + id + "\""), std::string::npos) << id;
  auto link = post("/online-authorization-web/auth", "session=" + session + "&card_select=MC00000001&pin=1234");
  for (const char* id : {"link-confirm", "link-cancel"})
    EXPECT_NE(link.body.find(std::string("data-testid=\"") + id + "\""), std::string::npos) << id;
  EXPECT_NE(link.body.find("本人確認が完了しました"), std::string::npos);
  auto done = post("/online-authorization-web/link", "session=" + session + "&action=confirm");
  EXPECT_EQ(done.status, 302);
  auto code = query_value(done.header("location"), "code");
  EXPECT_FALSE(code.empty());
  EXPECT_TRUE(parse(flow_.token(code)).contains("access_token"));
  // The session is spent.
  EXPECT_EQ(post("/online-authorization-web/link", "session=" + session + "&action=confirm").status, 400);
}

TEST_F(Screens, WrongPinsCountDownThenLock) {
  auto session = session_of(flow_.authorize("").body);
  post("/online-authorization-web/consent", "session=" + session + "&action=agree&terms=on");
  auto first = post("/online-authorization-web/auth", "session=" + session + "&card_serial=MC00000008&pin=0000");
  EXPECT_NE(first.body.find("残り2回"), std::string::npos);
  EXPECT_NE(first.body.find("data-testid=\"auth-error\""), std::string::npos);
  auto second = post("/online-authorization-web/auth", "session=" + session + "&card_serial=MC00000008&pin=0000");
  EXPECT_NE(second.body.find("残り1回"), std::string::npos);
  // The card chosen stays chosen after a wrong PIN.
  EXPECT_NE(second.body.find("value=\"MC00000008\" selected"), std::string::npos);
  auto third = post("/online-authorization-web/auth", "session=" + session + "&card_serial=MC00000008&pin=0000");
  // A locked card ends on a portal page; its button takes the person back to the service,
  // which receives the error redirect.
  EXPECT_EQ(third.status, 200);
  const auto& locked = server_->runtime().data.get()->errors.at("card_locked");
  EXPECT_NE(third.body.find("data-testid=\"card-failure\""), std::string::npos);
  EXPECT_NE(third.body.find(locked.message), std::string::npos);
  auto back = href_of(third.body, "back-to-service");
  EXPECT_EQ(back.rfind("http://localhost:3000/callback?", 0), 0u) << back;
  EXPECT_EQ(query_value(back, "error_code"), locked.code);
  auto unknown_session = session_of(flow_.authorize("").body);
  post("/online-authorization-web/consent", "session=" + unknown_session + "&action=agree&terms=on");
  auto unknown = post("/online-authorization-web/auth", "session=" + unknown_session + "&card_serial=NOPE&pin=1234");
  EXPECT_NE(unknown.body.find(server_->runtime().data.get()->errors.at("unknown_card").message), std::string::npos);
}

TEST_F(Screens, CancelAtConsentReturnsStateAndError) {
  auto r = flow_.authorize("");
  auto cancel = post("/online-authorization-web/consent", "session=" + session_of(r.body) + "&action=cancel");
  EXPECT_EQ(cancel.status, 302);
  auto location = cancel.header("location");
  EXPECT_EQ(location.rfind("http://localhost:3000/callback?", 0), 0u);
  EXPECT_EQ(query_value(location, "error"), "access_denied");
  EXPECT_FALSE(query_value(location, "state").empty());
}

TEST_F(Screens, CancelOnTheCardScreenReturnsToTheService) {
  auto session = session_of(flow_.authorize("").body);
  auto card = post("/online-authorization-web/consent", "session=" + session + "&action=agree&terms=on");
  EXPECT_NE(card.body.find("data-testid=\"auth-cancel\""), std::string::npos);
  auto cancel = post("/online-authorization-web/auth", "session=" + session + "&action=cancel");
  EXPECT_EQ(cancel.status, 302);
  EXPECT_EQ(query_value(cancel.header("location"), "error"), "access_denied");
  EXPECT_EQ(query_value(cancel.header("location"), "error_code"),
            server_->runtime().data.get()->errors.at("consent_refused").code);
}

TEST_F(Screens, ExpiredCertificateEndsOnAPortalPage) {
  auto session = session_of(flow_.authorize("").body);
  post("/online-authorization-web/consent", "session=" + session + "&action=agree&terms=on");
  const auto* p = server_->runtime().data.get()->find_persona("misaki");
  ASSERT_NE(p, nullptr);
  auto r = post("/online-authorization-web/auth",
                "session=" + session + "&card_serial=" + p->card.serial + "&pin=" + p->card.pin);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("data-testid=\"card-failure\""), std::string::npos);
  EXPECT_EQ(query_value(href_of(r.body, "back-to-service"), "error_code"),
            server_->runtime().data.get()->errors.at("certificate_expired").code);
}

// Step indicator, primary/secondary buttons, terms as a link, our own style sheet under a CSP.
TEST_F(Screens, PortalScreensCarryStepsTermsAndAPolicy) {
  auto consent = flow_.authorize("");
  EXPECT_NE(consent.body.find("data-testid=\"steps\""), std::string::npos);
  EXPECT_NE(consent.body.find("aria-current=\"step\"><span class=\"n\">1</span>連携内容"), std::string::npos);
  EXPECT_NE(consent.body.find("class=\"primary\" name=\"action\" value=\"agree\""), std::string::npos);
  EXPECT_NE(consent.body.find("class=\"secondary\" name=\"action\" value=\"cancel\""), std::string::npos);
  EXPECT_NE(consent.body.find("data-testid=\"terms-link\""), std::string::npos);
  EXPECT_EQ(consent.body.find("<style"), std::string::npos);
  EXPECT_NE(consent.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  auto terms = test::request(server_->port("app"), true, "GET", "/online-authorization-web/terms");
  EXPECT_EQ(terms.status, 200);
  EXPECT_NE(terms.body.find("data-testid=\"terms\""), std::string::npos);
  auto css = test::request(server_->port("app"), true, "GET", "/online-authorization-web/assets/portal.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("content-type"), "text/css; charset=utf-8");
  EXPECT_NE(css.body.find(".steps"), std::string::npos);
  EXPECT_EQ(test::request(server_->port("app"), true, "GET", "/online-authorization-web/assets/../x").status, 400);
  EXPECT_EQ(test::request(server_->port("app"), true, "GET", "/online-authorization-web/assets/other.css").status, 404);
}

TEST_F(Screens, PagesEscapeWhatTheyShow) {
  auto r = flow_.authorize("&state=%3Cscript%3E");
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
}

}  // namespace
}  // namespace mynasim::test
