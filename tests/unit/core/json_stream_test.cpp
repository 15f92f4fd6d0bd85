// SPDX-License-Identifier: Apache-2.0
#include "core/json_stream.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

std::string member(std::string_view text, member_copy expected = member_copy::copied) {
  std::string out = "<";
  EXPECT_EQ(copy_member(text, "results", out), expected) << text;
  return out.substr(1);
}

TEST(CopyMember, WritesTheMemberAsADocumentWould) {
  // Keys already in order: the copy is byte for byte what dump_json writes for the member.
  for (
      std::string_view text : {
          R"({"a":1,"results":[{"body":"川崎市","records":[{"n":-12,"u":18446744073709551615,"x":"\"q\"\\\n\u0001"}]}],"z":[]})",
          R"({"results":[1.5,1e100,-0.0,0.1,3.0,true,false,null,"",[],{}]})",
          R"({"results":{"deep":[[[{"k":[null]}]]]}})",
          R"( { "results" : "text with 日本語 and \u00e9" } )",
          R"({"results":12345678901234567890123})",
      }) {
    auto doc = nlohmann::json::parse(text);
    EXPECT_EQ(member(text), dump_json(doc["results"])) << text;
  }
}

TEST(CopyMember, KeepsMemberOrderAndTheLastOfARepeatedKey) {
  EXPECT_EQ(member(R"({"results":[{"b":1,"a":2}]})"), R"([{"b":1,"a":2}])");
  EXPECT_EQ(member(R"({"results":[1],"x":{"results":2},"results":[3]})"), "[3]");
  EXPECT_EQ(member(R"({"x":{"results":2}})", member_copy::absent), "");
}

TEST(CopyMember, TellsInvalidNonObjectAndTooDeepApart) {
  EXPECT_EQ(member(R"({"results":[1,}")", member_copy::invalid), "");
  EXPECT_EQ(member(R"({"results":[1]} trailing)", member_copy::invalid), "");
  EXPECT_EQ(member("[1,2]", member_copy::not_object), "");
  EXPECT_EQ(member(R"("results")", member_copy::not_object), "");
  EXPECT_EQ(member("", member_copy::invalid), "");
  EXPECT_EQ(member("{\"results\":\"\xff\"}", member_copy::invalid), "");  // not UTF-8
  std::string deep = R"({"results":)" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_EQ(member(deep).size(), 126u);  // 64 levels with the object: the bound, allowed
  deep = R"({"results":)" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_EQ(member(deep, member_copy::invalid), "");
  std::string big(100, ' ');
  std::string out;
  EXPECT_EQ(copy_member(R"({"results":[)" + big + "]}", "results", out, {64, 64}), member_copy::invalid);
}

}  // namespace
}  // namespace mynasim

namespace mynasim {
namespace {

TEST(AppendJson, WritesWhatTheLibraryWrites) {
  auto doc = nlohmann::json::parse(
      R"({"b":[1,-2,18446744073709551615,1.5,1e300,-0.0,true,false,null,"x\u0001\"",{}],"a":{"z":[],"日本":"語"},"":0})");
  std::string out;
  append_json(out, doc);
  EXPECT_EQ(out, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  EXPECT_EQ(dump_json(doc), out);
  EXPECT_EQ(dump_json(doc, 2), doc.dump(2));  // indented: the library's writer
}

TEST(AppendJsonString, WritesWhatTheLibraryWrites) {
  for (std::string s : {
           std::string(""),
           std::string("plain"),
           std::string("川崎市の\"住民税\"\\"),
           std::string("\b\t\n\f\r\x01\x1f\x7f", 8),
           std::string("a\0b", 3),
           std::string("\xF0\x9F\x98\x80 4 bytes"),
           std::string("\xC0\xAF overlong"),
           std::string("\xED\xA0\x80 surrogate"),
           std::string("\xF4\x90\x80\x80 too high"),
           std::string("cut \xE3\x81"),
           std::string("\xFF\xFE"),
           std::string("\xE3\x81\x82\x80 stray continuation"),
       }) {
    std::string out = "<";
    append_json_string(out, s);
    EXPECT_EQ(out.substr(1), nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) << s;
  }
}

}  // namespace
}  // namespace mynasim
