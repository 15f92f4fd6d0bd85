// SPDX-License-Identifier: Apache-2.0
#include "core/hop_seal.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

const hop_attribution taro{"SP00000086_AA0003", "taro", "12345678901234567890", "TL-00000086-261207101010-0001"};

TEST(HopSeal, VerifiesWhatItSealedAndNothingElse) {
  hop_seal key;
  auto seal = key.seal(taro);
  EXPECT_EQ(seal.size(), 64u);
  EXPECT_TRUE(key.verify(taro, seal));
  auto other = taro;
  other.client_id = "SP00000086_AA0004";
  EXPECT_FALSE(key.verify(other, seal));
  EXPECT_FALSE(key.verify(taro, std::string(64, '0')));
  EXPECT_FALSE(key.verify(taro, seal.substr(0, 63)));
  EXPECT_FALSE(key.verify(taro, ""));
}

TEST(HopSeal, ValuesCannotBeShiftedBetweenFields) {
  hop_seal key;
  EXPECT_NE(key.seal({"ab", "c", "", ""}), key.seal({"a", "bc", "", ""}));
}

TEST(HopSeal, RandomKeysDifferSharedSecretsAgree) {
  hop_seal one, two;
  EXPECT_FALSE(two.verify(taro, one.seal(taro)));
  auto a = hop_seal::from_shared_secret("split-world-token");
  auto b = hop_seal::from_shared_secret("split-world-token");
  EXPECT_TRUE(b.verify(taro, a.seal(taro)));
  EXPECT_FALSE(hop_seal::from_shared_secret("another-token").verify(taro, a.seal(taro)));
}

}  // namespace
}  // namespace mynasim
