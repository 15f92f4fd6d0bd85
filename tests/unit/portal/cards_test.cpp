// SPDX-License-Identifier: Apache-2.0
#include "portal/cards.hpp"

#include <gtest/gtest.h>

#include "config/world.hpp"

namespace mynasim {
namespace {

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
  EXPECT_EQ(cards_.verify("MC00000001", "0000", tries), card_check::wrong_pin);
  EXPECT_EQ(tries, 2);
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 2);
  EXPECT_EQ(cards_.verify("MC00000001", "1234", tries), card_check::ok);  // a right PIN resets the counter
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 3);
  for (int i = 0; i < 3; ++i) cards_.verify("MC00000002", "0000", tries);
  EXPECT_EQ(cards_.verify("MC00000002", "2222", tries), card_check::locked);
  cards_.set_certificate("MC00000001", certificate_state::expired);
  EXPECT_EQ(cards_.verify("MC00000001", "1234", tries), card_check::certificate_expired);
  cards_.reset();
  EXPECT_EQ(cards_.verify("MC00000002", "2222", tries), card_check::ok);
  EXPECT_EQ(cards_.verify("MC00000001", "1234", tries), card_check::ok);
}

TEST_F(Cards, ASyncKeepsStateOnlyForCardsWhoseDefinitionStayed) {
  int tries = 0;
  cards_.verify("MC00000001", "0000", tries);
  cards_.verify("MC00000002", "0000", tries);
  auto next = std::make_shared<world_data>(*data_.get());
  for (auto& p : next->personas)
    if (p.card.serial == "MC00000002") p.card.pin = "9999";  // redefined: starts afresh
  data_.replace(next);
  cards_.sync();
  EXPECT_EQ(cards_.status("MC00000001")->tries_left, 2);
  EXPECT_EQ(cards_.status("MC00000002")->tries_left, 3);
  EXPECT_EQ(cards_.verify("MC00000002", "9999", tries), card_check::ok);
}

}  // namespace
}  // namespace mynasim
