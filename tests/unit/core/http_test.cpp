// SPDX-License-Identifier: Apache-2.0
#include "core/http.hpp"

#include <gtest/gtest.h>

#include "core/router.hpp"

namespace mynasim {
namespace {

TEST(Form, ParsesAndDecodes) {
  std::vector<std::pair<std::string, std::string>> out;
  ASSERT_TRUE(parse_form("a=1&b=x+y&c=%E5%B1%B1&d&=e", out));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[1].second, "x y");
  EXPECT_EQ(out[2].second, "山");
  EXPECT_EQ(out[3].first, "d");
  EXPECT_FALSE(parse_form("a=%Z1", out));
  EXPECT_FALSE(parse_form("a=%", out));
  EXPECT_FALSE(parse_form("a=%4", out));
}

TEST(Form, EncodeRoundTrips) {
  std::string decoded;
  std::string text = "http://localhost:3000/callback?x=1&y=山 田";
  ASSERT_TRUE(percent_decode(percent_encode(text), decoded, false));
  EXPECT_EQ(decoded, text);
}

TEST(Router, MatchesParamsWildcardsAndReports405) {
  router r;
  r.add_sync("GET", "/a/{id}/b", [](http_request& req) { return http_response::text(200, req.params["id"]); });
  r.add_sync("POST", "/a/{id}/b", [](http_request&) { return http_response::text(201, ""); });
  r.add_sync("GET", "/files/*", [](http_request&) { return http_response::text(200, "any"); });
  auto run = [&](const char* method, const char* path) {
    http_request req;
    req.method = method;
    req.path = path;
    http_response out;
    r.dispatch(req, [&](http_response res) { out = std::move(res); });
    return out;
  };
  EXPECT_EQ(run("GET", "/a/xyz/b").body, "xyz");
  EXPECT_EQ(run("POST", "/a/xyz/b").status, 201);
  EXPECT_EQ(run("GET", "/files/x/y/z").body, "any");
  EXPECT_EQ(run("GET", "/a/xyz").status, 404);
  auto not_allowed = run("DELETE", "/a/1/b");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(*not_allowed.header("allow"), "GET, POST");
  EXPECT_EQ(run("HEAD", "/a/q/b").status, 200);
}

TEST(CompactJsonString, ReadsAKeyHoweverItIsSpaced) {
  EXPECT_EQ(compact_json_string(R"({"inquiryCondition":"Latest"})", "inquiryCondition"), "Latest");
  EXPECT_EQ(compact_json_string(R"({"inquiryCondition": "Latest"})", "inquiryCondition"), "Latest");
  EXPECT_EQ(compact_json_string("{\n  \"telegramId\" :\t\"TL-1\"\n}", "telegramId"), "TL-1");
  // The name as a value is not the key; a key without a string value answers "".
  EXPECT_EQ(compact_json_string(R"({"a":"telegramId","telegramId": "TL-2"})", "telegramId"), "TL-2");
  EXPECT_EQ(compact_json_string(R"({"processId": 12})", "processId"), "");
  EXPECT_EQ(compact_json_string(R"({"k": "toolong"})", "k", 3), "");
  EXPECT_EQ(compact_json_string(R"({"k": "unterminated)", "k"), "");
}

}  // namespace
}  // namespace mynasim
