// SPDX-License-Identifier: Apache-2.0
#include "portal/authorization.hpp"

#include <gtest/gtest.h>

#include "config/world.hpp"

namespace mynasim {
namespace {

class Authorization : public ::testing::Test {
 protected:
  Authorization()
      : world_(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")),
        data_(world_.data),
        clock_({parse_instant("2026-11-27T10:00:00+09:00"), 1.0, true}),
        cards_(data_),
        ids_(42),
        auth_(data_, clock_, cards_, ids_) {}

  authorize_params params(const std::string& persona = "", const std::string& outcome = "") {
    return {"code", "SP00000086_AA0003", "http://localhost:3000/callback", "s1", "0", "", "", persona, outcome};
  }
  std::string code_from(const flow_result& r) {
    auto pos = r.location.find("code=");
    return pos == std::string::npos ? "" : r.location.substr(pos + 5, r.location.find('&', pos) - pos - 5);
  }

  world_config world_;
  data_source data_;
  virtual_clock clock_;
  card_registry cards_;
  id_generator ids_;
  authorization auth_;
};

TEST_F(Authorization, PagesPathWalksConsentCardLink) {
  auto r = auth_.begin(params());
  ASSERT_EQ(r.next, flow_step::consent_page);
  EXPECT_EQ(auth_.authenticate(r.session_id, "MC00000001", "1234").error_key, "session_expired");  // consent first
  EXPECT_EQ(auth_.consent(r.session_id, true).next, flow_step::auth_page);
  EXPECT_EQ(auth_.authenticate(r.session_id, "MC00000001", "1234").next, flow_step::link_page);
  auto done = auth_.link(r.session_id, true);
  ASSERT_EQ(done.next, flow_step::redirect);
  EXPECT_EQ(done.location.rfind("http://localhost:3000/callback?code=", 0), 0u);
  EXPECT_NE(done.location.find("&state=s1"), std::string::npos);
}

TEST_F(Authorization, TestPathUsesTheSameMachine) {
  auto r = auth_.begin(params("taro", "consent"));
  ASSERT_EQ(r.next, flow_step::redirect);
  auto grant = auth_.exchange({{"grant_type", "authorization_code"},
                               {"code", code_from(r)},
                               {"redirect_uri", "http://localhost:3000/callback"},
                               {"client_id", "SP00000086_AA0003"}},
                              {}, false);
  ASSERT_TRUE(grant.error_key.empty()) << grant.error_key;
  auto info = auth_.check_token(grant.access_token);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->persona_id, "taro");
}

TEST_F(Authorization, PinTriesLockTheCard) {
  int left = -1;
  EXPECT_EQ(cards_.verify("MC00000002", "0000", service_caller("SP00000086_AA0003"), left), card_check::wrong_pin);
  EXPECT_EQ(left, 2);
  EXPECT_EQ(cards_.verify("MC00000002", "0000", service_caller("SP00000086_AA0003"), left), card_check::wrong_pin);
  EXPECT_EQ(cards_.verify("MC00000002", "0000", service_caller("SP00000086_AA0003"), left), card_check::locked);
  EXPECT_EQ(cards_.verify("MC00000002", "2222", service_caller("SP00000086_AA0003"), left),
            card_check::locked);  // even the right PIN
  cards_.reset();
  EXPECT_EQ(cards_.verify("MC00000002", "2222", service_caller("SP00000086_AA0003"), left), card_check::ok);
  EXPECT_EQ(cards_.verify("MC00000005", "5555", service_caller("SP00000086_AA0003"), left),
            card_check::certificate_expired);
  EXPECT_EQ(cards_.verify("MC00000007", "7777", service_caller("SP00000086_AA0003"), left),
            card_check::certificate_revoked);
  EXPECT_EQ(cards_.verify("nope", "1234", service_caller("SP00000086_AA0003"), left), card_check::unknown_card);
}

TEST_F(Authorization, PkceS256IsHonoured) {
  auto p = params("taro", "consent");
  p.code_challenge = pkce_s256("verifier-0123456789-0123456789-0123456789");
  p.code_challenge_method = "S256";
  auto code = code_from(auth_.begin(p));
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "authorization_code"},
                                                           {"code", code},
                                                           {"redirect_uri", "http://localhost:3000/callback"},
                                                           {"client_id", "SP00000086_AA0003"},
                                                           {"code_verifier", "wrong"}};
  EXPECT_EQ(auth_.exchange(form, {}, false).error_key, "invalid_grant");
  code = code_from(auth_.begin(p));
  form[1].second = code;
  form[4].second = "verifier-0123456789-0123456789-0123456789";
  EXPECT_TRUE(auth_.exchange(form, {}, false).error_key.empty());
  // RFC 7636 appendix B example.
  EXPECT_EQ(pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_F(Authorization, ErrorRedirectStyleIsConfigurable) {
  world_.data.portal.error_redirect = "code";
  data_source coded_data(world_.data);
  authorization coded(coded_data, clock_, cards_, ids_);
  auto r = coded.begin(params("taro", "refuse"));
  EXPECT_EQ(r.location, "http://localhost:3000/callback?code=access_denied&state=s1");
}

TEST_F(Authorization, SessionsExpireOnTheVirtualClock) {
  auto r = auth_.begin(params());
  ASSERT_TRUE(clock_.advance(std::chrono::minutes(31)));
  EXPECT_EQ(auth_.consent(r.session_id, true).error_key, "session_expired");
}

TEST_F(Authorization, ArrangedScreensCompleteTheAppsOwnAuthorizeForOneServiceOnly) {
  ASSERT_TRUE(auth_.arrange_screens("SP00000086_AA0003", "taro", "consent"));
  auto r = auth_.begin(params());  // no test parameters: the app's own authorize
  ASSERT_EQ(r.next, flow_step::redirect);
  EXPECT_FALSE(code_from(r).empty()) << r.location;
  EXPECT_NE(r.location.find("state=s1"), std::string::npos) << r.location;

  auto other = params();
  other.client_id = "SP00000086_AA0004";
  other.redirect_uri = "http://localhost:3000/callback";
  EXPECT_NE(auth_.begin(other).next, flow_step::redirect);  // another service still sees the screens

  ASSERT_TRUE(auth_.arrange_screens("SP00000086_AA0003", "taro", "refuse"));
  auto refused = auth_.begin(params());
  ASSERT_EQ(refused.next, flow_step::redirect);
  EXPECT_NE(refused.location.find("error=access_denied"), std::string::npos) << refused.location;

  EXPECT_FALSE(auth_.arrange_screens("SP00000086_AA0003", "taro", "lock_card"));  // consent | refuse only
  ASSERT_TRUE(auth_.arrange_screens("SP00000086_AA0003", "", ""));
  EXPECT_EQ(auth_.begin(params()).next, flow_step::consent_page);
  ASSERT_TRUE(auth_.arrange_screens("SP00000086_AA0003", "taro", "consent"));
  auth_.reset();
  EXPECT_EQ(auth_.begin(params()).next, flow_step::consent_page);
}

}  // namespace
}  // namespace mynasim
