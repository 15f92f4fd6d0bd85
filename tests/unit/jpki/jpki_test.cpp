// SPDX-License-Identifier: Apache-2.0
#include "jpki/jpki.hpp"

#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "config/world.hpp"

namespace mynasim {
namespace {

namespace fs = std::filesystem;

instant now() {
  return std::chrono::time_point_cast<millis>(std::chrono::system_clock::now());
}

class Jpki : public ::testing::Test {
 protected:
  Jpki()
      : dir_(fs::temp_directory_path() / ("mynasim-jpki-unit-" + std::to_string(::getpid()))),
        world_(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")) {
    fs::remove_all(dir_);
  }
  ~Jpki() override { fs::remove_all(dir_); }
  fs::path dir_;
  world_config world_;
};

// What the virtual card's routes ask before deciding whether key work is needed.
TEST_F(Jpki, KnowsEveryCardAndIsReadyOnlyOnceACardIsInMemory) {
  jpki pki(dir_.string(), world_.data, now());
  EXPECT_TRUE(pki.knows("MC00000001"));
  EXPECT_FALSE(pki.knows("NO-SUCH-CARD"));
  EXPECT_FALSE(pki.ready("MC00000001"));  // keys come on first use
  EXPECT_FALSE(pki.ready("NO-SUCH-CARD"));
  ASSERT_TRUE(pki.certificate_pem("MC00000001"));
  EXPECT_TRUE(pki.ready("MC00000001"));
  EXPECT_FALSE(pki.certificate_pem("NO-SUCH-CARD"));
}

// Cards are issued outside the lock: threads asking for one new card at once all get the
// same card (the first written wins), and the card signs what its certificate verifies.
TEST_F(Jpki, ConcurrentFirstUsesOfACardAgreeOnOneKey) {
  jpki pki(dir_.string(), world_.data, now());
  std::vector<std::string> pems(3);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < pems.size(); ++i)
    threads.emplace_back([&, i] { pems[i] = pki.certificate_pem("MC00000003").value_or(""); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(pems.begin(), pems.end()).size(), 1u);
  ASSERT_FALSE(pems[0].empty());
  auto sig = pki.sign("MC00000003", "challenge");
  ASSERT_TRUE(sig);
  auto v = pki.verify(pems[0], base64_encode(*sig), "challenge", now());
  EXPECT_EQ(v.error_key, "");
  EXPECT_EQ(v.card_serial, "MC00000003");
  // Another process (a second jpki on the same directory) loads the card written here.
  jpki again(dir_.string(), world_.data, now());
  EXPECT_EQ(again.certificate_pem("MC00000003"), pems[0]);
}

}  // namespace
}  // namespace mynasim
