// SPDX-License-Identifier: Apache-2.0
#include "app/metrics.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

std::vector<system_config> two_systems() {
  std::vector<system_config> s(2);
  s[0].id = "juki";
  s[1].id = "municipal";
  return s;
}

// Every label value of the exposition text.
std::vector<std::string> label_values(const std::string& text) {
  std::vector<std::string> out;
  // Each ="…" with backslash escapes, scanned by hand: std::regex draws GCC 12 warnings under ASan.
  for (auto at = text.find("=\""); at != std::string::npos; at = text.find("=\"", at)) {
    std::string value;
    std::size_t i = at + 2;
    for (; i < text.size() && text[i] != '"'; ++i)
      value += text[i] == '\\' && i + 1 < text.size() ? text[++i] : text[i];
    out.push_back(value);
    at = i;
  }
  return out;
}

TEST(Metrics, SystemLabelsAreConfiguredSystemsOrFixedValues) {
  metrics m(two_systems());
  EXPECT_EQ(m.system_label("juki"), "juki");
  EXPECT_EQ(m.system_label("portal"), "portal");
  EXPECT_EQ(m.system_label("admin"), "admin");
  EXPECT_EQ(m.system_label("systems"), "systems");
  EXPECT_EQ(m.system_label("no-such-system"), "unknown");
  EXPECT_EQ(m.system_label(std::string(15000, 'a')), "unknown");
}

TEST(Metrics, LabelValuesAreBounded) {
  EXPECT_EQ(bounded_label("short"), "short");
  EXPECT_EQ(bounded_label(std::string(1000, 'x')).size(), metrics::max_label_bytes);
  std::string kana;
  for (int i = 0; i < 40; ++i) kana += "あ";  // 3 bytes each: cut at a character boundary
  EXPECT_EQ(bounded_label(kana).size(), 63u);
  EXPECT_EQ(error_code_label("MPE4005"), "MPE4005");
  EXPECT_EQ(error_code_label(""), "");
  EXPECT_EQ(error_code_label("<img src=x>"), "invalid");
  EXPECT_EQ(error_code_label(std::string(100, 'A')), "invalid");
}

// Issue 26 item 5: a flood of junk system names costs one series and no bytes per name;
// the real traffic after it keeps its own label.
TEST(Metrics, AJunkFloodNeitherGrowsTheScrapeNorTakesTheRealSeries) {
  metrics m(two_systems());
  for (int i = 0; i < 2100; ++i) m.request("junk" + std::to_string(i), "unmatched", 404, "", 0.001);
  for (int i = 0; i < 200; ++i) m.request(std::string(15000, 'a' + i % 26), "unmatched", 404, "", 0.001);
  m.request("juki", "/systems/juki/identify", 200, "", 0.002);
  m.fault_fired(std::string(5000, 'k'), std::string(5000, 't'));
  auto text = m.scrape({});
  EXPECT_LT(text.size(), 64u * 1024) << text.size();
  EXPECT_NE(text.find(R"(system="juki")"), std::string::npos);
  EXPECT_NE(text.find(R"(system="unknown")"), std::string::npos);
  EXPECT_EQ(text.find(R"(system="other")"), std::string::npos);
  for (const auto& v : label_values(text)) EXPECT_LE(v.size(), metrics::max_label_bytes) << v.substr(0, 80);
}

}  // namespace
}  // namespace mynasim
