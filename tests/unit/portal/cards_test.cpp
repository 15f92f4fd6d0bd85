// SPDX-License-Identifier: Apache-2.0
#include "portal/cards.hpp"

#include <gtest/gtest.h>

#include "config/world.hpp"

namespace mynasim {
namespace {

const std::string qa = service_caller("SP00000086_AA0003");
const std::string stranger = address_caller("192.0.2.7");

class Cards : public ::testing::Test {
 protected:
  Cards() : world_(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")), data_(world_.data), cards_(data_) {}
  world_config world_;
  data_source data_;
  card_registry cards_;
};

TEST_F(Cards, UntouchedCardsAreTheirDefinitionAndUsedOnesKeepTheirState) {
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 3);
  EXPECT_FALSE(cards_.status("NO-SUCH-CARD"));
  int tries = 0;
  EXPECT_EQ(cards_.verify("MC00000001", "0000", qa, tries), card_check::wrong_pin);
  EXPECT_EQ(tries, 2);
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 2);
  EXPECT_EQ(cards_.verify("MC00000001", "1234", qa, tries), card_check::ok);  // a right PIN resets the counter
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 3);
  for (int i = 0; i < 3; ++i) cards_.verify("MC00000002", "0000", qa, tries);
  EXPECT_EQ(cards_.verify("MC00000002", "2222", qa, tries), card_check::locked);
  cards_.set_certificate("MC00000001", certificate_state::expired);
  EXPECT_EQ(cards_.verify("MC00000001", "1234", qa, tries), card_check::certificate_expired);
  cards_.reset();
  EXPECT_EQ(cards_.verify("MC00000002", "2222", qa, tries), card_check::ok);
  EXPECT_EQ(cards_.verify("MC00000001", "1234", qa, tries), card_check::ok);
  EXPECT_EQ(cards_.verify("NO-SUCH-CARD", "1234", qa, tries), card_check::unknown_card);
}

// Issue 26 item 3: one caller's wrong PINs lock the card for that caller only.
TEST_F(Cards, WrongPinsLockTheCardForTheirCallerOnly) {
  int tries = 0;
  EXPECT_EQ(cards_.verify("MC00000002", "0000", stranger, tries), card_check::wrong_pin);
  EXPECT_EQ(cards_.verify("MC00000002", "0000", stranger, tries), card_check::wrong_pin);
  EXPECT_EQ(cards_.verify("MC00000002", "0000", stranger, tries), card_check::locked);
  EXPECT_EQ(cards_.verify("MC00000002", "2222", stranger, tries), card_check::locked);
  EXPECT_EQ(cards_.tries_left("MC00000002", stranger), 0);
  EXPECT_EQ(cards_.tries_left("MC00000002", qa), 3);
  EXPECT_EQ(cards_.verify("MC00000002", "2222", qa, tries), card_check::ok);
  EXPECT_EQ(tries, 3);
  // The card's status shows the fewest tries any caller has left.
  EXPECT_EQ(cards_.status("MC00000002")->tries_left, 0);
  EXPECT_TRUE(cards_.reset("MC00000002"));
  EXPECT_EQ(cards_.tries_left("MC00000002", stranger), 3);
  EXPECT_EQ(cards_.status("MC00000002")->tries_left, 3);
}

TEST_F(Cards, ACardDefinedLockedIsLockedForEveryone) {
  int tries = 0;
  EXPECT_EQ(cards_.verify("MC00000006", "6666", qa, tries), card_check::locked);
  EXPECT_EQ(cards_.verify("MC00000006", "6666", stranger, tries), card_check::locked);
  EXPECT_EQ(cards_.status("MC00000006")->tries_left, 0);
}

TEST_F(Cards, CallersAreBoundedNames) {
  EXPECT_EQ(service_caller("SP00000086_AA0003"), "service:SP00000086_AA0003");
  EXPECT_EQ(address_caller("127.0.0.1"), "address:127.0.0.1");
  EXPECT_LE(address_caller(std::string(100000, 'x')).size(), 200u);
}

TEST(CardsBounds, ACallerPastItsBoundForgetsItsOwnOldestCount) {
  auto world = load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  data_source data(world.data);
  card_registry cards(data, {2, 100});
  int tries = 0;
  cards.verify("MC00000003", "0000", qa, tries);  // another caller's count stays
  for (const char* serial : {"MC00000001", "MC00000002", "MC00000003"}) cards.verify(serial, "0000", stranger, tries);
  EXPECT_EQ(cards.tries_left("MC00000001", stranger), 3);  // forgotten: its oldest
  EXPECT_EQ(cards.tries_left("MC00000002", stranger), 2);
  EXPECT_EQ(cards.tries_left("MC00000003", stranger), 2);
  EXPECT_EQ(cards.tries_left("MC00000003", qa), 2);
}

TEST(CardsBounds, PastTheBoundOfAllCountsTheLargestCallerPays) {
  auto world = load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  data_source data(world.data);
  card_registry cards(data, {10, 3});
  int tries = 0;
  cards.verify("MC00000001", "0000", qa, tries);
  cards.verify("MC00000001", "0000", stranger, tries);
  cards.verify("MC00000002", "0000", stranger, tries);
  const auto third = address_caller("192.0.2.8");
  cards.verify("MC00000003", "0000", third, tries);
  EXPECT_EQ(cards.tries_left("MC00000001", stranger), 3);  // the largest caller's oldest count
  EXPECT_EQ(cards.tries_left("MC00000002", stranger), 2);
  EXPECT_EQ(cards.tries_left("MC00000001", qa), 2);
  EXPECT_EQ(cards.tries_left("MC00000003", third), 2);
}

TEST_F(Cards, ASyncKeepsStateOnlyForCardsWhoseDefinitionStayed) {
  int tries = 0;
  cards_.verify("MC00000001", "0000", qa, tries);
  cards_.verify("MC00000002", "0000", qa, tries);
  auto next = std::make_shared<world_data>(*data_.get());
  for (auto& p : next->personas)
    if (p.card.serial == "MC00000002") p.card.pin = "9999";  // redefined: starts afresh
  data_.replace(next);
  cards_.sync();
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 2);
  EXPECT_EQ(cards_.status("MC00000002")->tries_left, 3);
  EXPECT_EQ(cards_.verify("MC00000002", "9999", qa, tries), card_check::ok);
}

}  // namespace
}  // namespace mynasim
