// SPDX-License-Identifier: Apache-2.0
// The conformance reports (conformance/runner.cpp): text from the journal and from the API
// user's app — error codes, paths, the app's answers — never makes the JUnit report ill-formed
// XML nor puts raw HTML or Markdown into the Markdown report.
#include "conformance/runner.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mynasim {
namespace {

// Every character XML 1.0 forbids, and every way UTF-8 can be ill-formed.
const std::string hostile = std::string("a\x01") + "b\x1b" + "c\x7f" + "\xEF\xBF\xBF" + "\xEF\xBF\xBE" +
                            "\xED\xA0\x80" + "\xED\xBF\xBF" + "\xC0\xAF" + "\xE0\x80\xAF" + "\xF4\x90\x80\x80" +
                            "\xFF" + "\x80" + "\r" + std::string(1, '\0') + "z\xE3\x81";

nlohmann::json evidence(const std::string& path, const std::string& error_code) {
  return {{"seq", 7},      {"at", "2026-12-02T10:00:00+09:00"}, {"direction", "in"}, {"method", "POST"}, {"path", path},
          {"status", 401}, {"error_code", error_code}};
}

nlohmann::json run_with(const std::string& detail, const nlohmann::json& evidence_list,
                        const std::string& verdict = "fail") {
  return {{"id", "run-1"},
          {"client_id", "SP00000086_AA0003"},
          {"plan", "all"},
          {"state", "finished"},
          {"created_at", "2026-12-01T10:00:00+09:00"},
          {"summary", {{"pass", 0}, {"fail", 1}}},
          {"tests",
           {{{"name", "token-expired"},
             {"test", "token-expired"},
             {"title_ja", "期限切れ"},
             {"title_en", "expired"},
             {"arranges", "a"},
             {"expects", "e"},
             {"remedy", "r"},
             {"verdict", verdict},
             {"detail", detail},
             {"duration_ms", 10},
             {"evidence", evidence_list}}}}};
}

// The code point at s[i] of well-formed UTF-8 (i moves past it), -1 when ill-formed.
long decode(std::string_view s, std::size_t& i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  if (b(i) < 0x80) return b(i++);
  std::size_t len = b(i) >= 0xF0 ? 4 : b(i) >= 0xE0 ? 3 : b(i) >= 0xC2 ? 2 : 0;
  if (len == 0 || b(i) > 0xF4 || i + len > s.size()) return -1;
  long c = b(i) & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return -1;
    c = (c << 6) | (b(i + k) & 0x3F);
  }
  const long least = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (c < least || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return -1;
  i += len;
  return c;
}

// A strict check of XML 1.0's Char production over the whole document; "" when it holds.
std::string first_forbidden(const std::string& xml) {
  for (std::size_t i = 0; i < xml.size();) {
    const auto at = i;
    long c = decode(xml, i);
    bool ok = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
              (c >= 0x10000 && c <= 0x10FFFF);
    if (!ok) return "byte " + std::to_string(at) + " (code point " + std::to_string(c) + ")";
  }
  return "";
}

// Parses `xml` with Python's expat-based xml.dom.minidom; its error, "" when well-formed,
// nullopt without python3.
std::optional<std::string> python_parse(const std::string& xml) {
  if (std::system("python3 -c 'import xml.dom.minidom' >/dev/null 2>&1") != 0) return std::nullopt;
  auto file = std::filesystem::temp_directory_path() / ("mynasim-junit-" + std::to_string(::getpid()) + ".xml");
  std::ofstream(file, std::ios::binary) << xml;
  std::string cmd =
      "python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '" + file.string() + "' 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::array<char, 512> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  std::filesystem::remove(file);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return out.empty() ? "exit " + std::to_string(status) : out;
}

TEST(ConformanceReports, JUnitDropsEveryCharacterXmlForbids) {
  nlohmann::json list = nlohmann::json::array();
  list.push_back(evidence("/online-resource-web/request" + hostile, "MPE\xEF\xBF\xBF" + hostile));
  auto run = run_with("answered " + hostile + " 日本語 😀\tend", list);
  run["client_id"] = "SP" + hostile;
  run["tests"][0]["name"] = "token-expired" + hostile;
  for (const char* verdict : {"fail", "warning", "not_applicable", "pending"}) {
    run["tests"][0]["verdict"] = verdict;
    auto xml = conformance_junit(run);
    EXPECT_EQ(first_forbidden(xml), "") << verdict;
  }
  run["tests"][0]["verdict"] = "fail";
  auto xml = conformance_junit(run);
  if (auto parsed = python_parse(xml)) {
    EXPECT_EQ(*parsed, "") << xml;  // a real XML parser agrees
  }
  // What XML allows stays as it was: letters, Japanese, a character beyond the BMP, a tab.
  EXPECT_NE(xml.find("日本語 😀\tend"), std::string::npos) << xml;
  EXPECT_NE(xml.find("MPE\xEF\xBF\xBD"), std::string::npos) << xml;  // U+FFFF became U+FFFD
  EXPECT_EQ(xml.find("\xEF\xBF\xBF"), std::string::npos);
}

// How many times `c` occurs in `md` without a backslash before it.
std::size_t unescaped(const std::string& md, char c) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < md.size(); ++i) n += md[i] == c && (i == 0 || md[i - 1] != '\\');
  return n;
}

TEST(ConformanceReports, MarkdownCarriesNoRawHtmlOrMarkdownFromTheJournal) {
  const std::string html = "<img src=x onerror=alert(1)>";
  nlohmann::json list = nlohmann::json::array();
  list.push_back(evidence("/x/" + html + "[a](javascript:alert(1))", "E`<script>`"));
  auto run = run_with("answered " + html + " & **bold** _em_ ~~s~~ ![i](http://e/x.png) | cell \n# heading\n```", list);
  run["client_id"] = "SP<b>x</b>";
  run["plan"] = "all`<i>`";
  run["tests"][0]["verdict"] = "<script>fail</script>";
  run["tests"][0]["title_ja"] = "<u>t</u>";
  for (const std::string verdict : {"fail", "<script>fail</script>"}) {
    run["tests"][0]["verdict"] = verdict;
    auto md = conformance_markdown(run);
    EXPECT_EQ(md.find('<'), std::string::npos) << md;
    EXPECT_EQ(md.find('>'), std::string::npos) << md;
    EXPECT_EQ(unescaped(md, '['), 0u) << md;  // no link, no image
    EXPECT_NE(md.find("\\!\\[i\\](http://e/x.png)"), std::string::npos) << md;
    EXPECT_NE(md.find("\\[a\\](javascript:alert(1))"), std::string::npos) << md;
    EXPECT_EQ(md.find("**bold"), std::string::npos) << md;
    EXPECT_EQ(md.find("\n# heading"), std::string::npos) << md;
    EXPECT_EQ(md.find("```"), std::string::npos) << md;
    EXPECT_NE(md.find("&lt;img src=x onerror=alert(1)&gt; &amp; \\*\\*bold\\*\\* \\_em\\_"), std::string::npos) << md;
    EXPECT_NE(md.find("\\| cell"), std::string::npos) << md;               // the table keeps its four cells
    EXPECT_NE(md.find("E\\`&lt;script&gt;\\`"), std::string::npos) << md;  // the journal's error code
  }
  // Plain text reads as before.
  auto plain = conformance_markdown(run_with("answered MPE3001 (HTTP 401)", nlohmann::json::array()));
  EXPECT_NE(plain.find("| `token-expired` | 期限切れ | **fail** |  | answered MPE3001 (HTTP 401) |"), std::string::npos)
      << plain;
  EXPECT_NE(plain.find("## token-expired: fail"), std::string::npos) << plain;
}

// QA and business testers read Japanese: both reports give what was seen and the remedy in
// Japanese first, then in English, and say how many evidence entries were left out. A run's JSON
// from before the Japanese keys still reads (English only).
TEST(ConformanceReports, JapaneseFirstThenEnglishAndTheEvidenceLeftOutIsCounted) {
  auto run = run_with("IF001-04 retried with the refused token",
                      nlohmann::json::array({evidence("/online-resource-web/request", "MPE3001")}));
  auto& t = run["tests"][0];
  t["detail_ja"] = "拒否されたアクセストークンで IF001-04 を再送信しました";
  t["detail_en"] = "IF001-04 retried with the refused token";
  t["remedy_ja"] = "改めて認可から進めてもらってください";
  t["remedy_en"] = "on MPE3001 send the person through authorize again";
  t["remedy"] = "on MPE3001 send the person through authorize again";
  t["arranges_ja"] = "次の IF001-04 に 401 MPE3001 を返す";
  t["arranges_en"] = t["arranges"] = "the next IF001-04 is answered 401 MPE3001";
  t["expects_ja"] = "新たな認可に進むこと";
  t["expects_en"] = t["expects"] = "a new authorization follows";
  t["evidence_omitted"] = 7;
  auto xml = conformance_junit(run);
  EXPECT_NE(xml.find("message=\"拒否されたアクセストークンで IF001-04 を再送信しました / IF001-04 retried with the "
                     "refused token\""),
            std::string::npos)
      << xml;
  EXPECT_NE(
      xml.find("再送信しました\nIF001-04 retried with the refused token\n対処: 改めて認可から進めてもらってください\n"
               "remedy: on MPE3001 send the person through authorize again\n#7 "),
      std::string::npos)
      << xml;
  EXPECT_NE(xml.find("ほか 7 件は省略 / 7 more journal entries not listed"), std::string::npos) << xml;
  auto md = conformance_markdown(run);
  EXPECT_NE(md.find("| 詳細 | detail |"), std::string::npos) << md;
  EXPECT_NE(md.find("| **fail** | 拒否されたアクセストークンで IF001-04 を再送信しました | IF001-04 retried with the "
                    "refused token |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- 結果: 拒否されたアクセストークンで IF001-04 を再送信しました\n- seen: IF001-04 retried with the "
                    "refused token\n- 対処: 改めて認可から進めてもらってください\n- remedy: on MPE3001 send the person "
                    "through authorize again\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- ほか 7 件は省略 / 7 more journal entries not listed\n"), std::string::npos) << md;
  EXPECT_NE(md.find("- 準備: 次の IF001-04 に 401 MPE3001 を返す\n- arranged: the next IF001-04 is answered 401 "
                    "MPE3001\n- 合格条件: 新たな認可に進むこと\n- expected: a new authorization follows\n"),
            std::string::npos)
      << md;
  // Nothing left out: nothing said.
  t["evidence_omitted"] = 0;
  EXPECT_EQ(conformance_markdown(run).find("ほか"), std::string::npos);
  EXPECT_EQ(conformance_junit(run).find("ほか"), std::string::npos);
  // An older run's JSON: English only, as before.
  auto old = conformance_markdown(run_with("d", nlohmann::json::array()));
  EXPECT_NE(old.find("- seen: d\n- remedy: r\n"), std::string::npos) << old;
}

}  // namespace
}  // namespace mynasim
