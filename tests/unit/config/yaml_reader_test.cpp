// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_reader.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

yaml_value load(const std::string& text) {
  return load_yaml_string(text, "t.yaml");
}

std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const config_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(YamlReader, PlainScalarsAreTypedQuotedAndTaggedOnesStayStrings) {
  auto j = yaml_to_json(load("a: 5\nb: '5'\nc: !!str 5\nd: true\ne: 1.5\nf: \"\"\ng:\nh: ~\ni: null\nj: text\n"), true);
  EXPECT_EQ(j["a"], 5);
  EXPECT_EQ(j["b"], "5");
  EXPECT_EQ(j["c"], "5");
  EXPECT_EQ(j["d"], true);
  EXPECT_EQ(j["e"], 1.5);
  EXPECT_EQ(j["f"], "");
  EXPECT_TRUE(j["g"].is_null());
  EXPECT_TRUE(j["h"].is_null());
  EXPECT_TRUE(j["i"].is_null());
  EXPECT_EQ(j["j"], "text");
  EXPECT_EQ(yaml_to_json(load("a: 5\n"), false)["a"], "5");
  EXPECT_TRUE(load("").is_null());
  EXPECT_TRUE(load("# only a comment\n").is_null());
}

TEST(YamlReader, BlockFlowAndMultiLineScalarsReadAsWritten) {
  auto v = load("list:\n  - 山田 太郎\n  - {k: v}\ntext: |\n  line 1\n  line 2\nfolded: >\n  a\n  b\n");
  yaml_map m(v);
  auto items = m.get("list").items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].as_string(), "山田 太郎");
  EXPECT_EQ(items[0].path(), "list[0]");
  EXPECT_EQ(yaml_map(items[1]).get("k").as_string(), "v");
  EXPECT_EQ(m.get("text").as_string(), "line 1\nline 2\n");
  EXPECT_EQ(m.get("folded").as_string(), "a b\n");
  EXPECT_EQ(v.keys(), (std::vector<std::string>{"list", "text", "folded"}));
}

TEST(YamlReader, ErrorsNameLineColumnInCharactersAndPath) {
  auto v = load("名前: x\nlist: {設定: [1]}\n");
  try {
    yaml_map(yaml_map(v).get("list")).get("設定").as_string();
    FAIL();
  } catch (const config_error& e) {
    // "list: {設定: [" — the list starts at the 12th character of line 2.
    EXPECT_EQ(std::string(e.what()), "t.yaml:2:12: list.設定: expected a string");
  }
  try {
    yaml_map m(v);
    m.get("名前");
    m.done();
    FAIL();
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()), "t.yaml:2:1: list: unknown key 'list'");
  }
}

TEST(YamlReader, SyntaxErrorsNameThePosition) {
  EXPECT_EQ(error_of("a: [1, 2\nb: c\n").rfind("t.yaml:", 0), 0u);
  EXPECT_NE(error_of("a: [1, 2\nb: c\n").find("YAML syntax error"), std::string::npos);
  auto e = error_of("a: b\n  c: d\n");
  EXPECT_EQ(e.rfind("t.yaml:2:", 0), 0u) << e;
  // Bytes that are not UTF-8: the reader's offset becomes a line and column.
  e = error_of("a: ok\nb: \xff\n");
  EXPECT_EQ(e.rfind("t.yaml:2:4: YAML syntax error: ", 0), 0u) << e;
  e = error_of("a: ok\n名前: \xff\n");
  EXPECT_EQ(e.rfind("t.yaml:2:5: YAML syntax error: ", 0), 0u) << e;
  e = error_of(std::string("a: x\0y\n", 7));
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
}

TEST(YamlReader, OneDocumentOnly) {
  EXPECT_FALSE(load("---\na: 1\n...\n").is_null());
  auto e = error_of("a: 1\n---\nb: 2\n");
  EXPECT_EQ(e, "t.yaml:2:1: (document): a second YAML document (only one is read)");
}

TEST(YamlReader, AliasesShareTheAnchoredNodeAndCannotReferToThemselves) {
  auto j = yaml_to_json(load("base: &b {x: 1, y: [a, b]}\ncopy: *b\n"), true);
  EXPECT_EQ(j["copy"], j["base"]);
  EXPECT_EQ(
      error_of("a: &a [*a]\n"),
      "t.yaml:1:8: (document): alias *a names no anchor defined before it (an alias cannot refer to its own node)");
  EXPECT_NE(error_of("a: *nowhere\n").find("alias *nowhere names no anchor"), std::string::npos);
  // An alias bomb: ten aliases per level, nine levels (10^9 nodes once expanded).
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ",*" : "*") + char(c - 1);
    bomb += "]\n";
  }
  EXPECT_NE(error_of(bomb).find("too many nodes"), std::string::npos);
}

TEST(YamlReader, NestingIsBounded) {
  std::string ok, deep;
  for (int i = 0; i < 60; ++i) ok += "[";
  ok += std::string(60, ']');
  EXPECT_NO_THROW(load(ok));
  deep = std::string(100000, '[');
  auto e = error_of(deep);
  EXPECT_EQ(e, "t.yaml:1:65: (document): nesting deeper than 64 levels");
  // Through aliases: each level nests the one before.
  std::string chained = "l0: &l0 [x]\n";
  for (int i = 1; i <= 70; ++i)
    chained += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" + std::to_string(i - 1) + "]\n";
  EXPECT_NE(error_of(chained).find("nesting deeper than 64 levels"), std::string::npos);
}

TEST(YamlReader, KeysArePlainStringsAndDuplicatesAreReported) {
  EXPECT_NE(error_of("[a]: 1\n").find("keys must be plain strings"), std::string::npos);
  EXPECT_NE(error_of("~: 1\n").find("keys must be plain strings"), std::string::npos);
  auto v = load("a: 1\nb: 2\na: 3\n");
  try {
    yaml_map m(v);
    EXPECT_EQ(m.get("a").as_string(), "1");
    m.get("b");
    m.done();
    FAIL();
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()), "t.yaml:3:1: a: duplicate key 'a'");
  }
}

TEST(YamlReader, EditsAddRemoveAndReplaceInPlace) {
  auto v = load("{id: x, count: 3, name: 'n{n}', list: ['p{n}', q]}");
  auto& doc = v.document();
  doc.remove_key(v.node(), "count");
  doc.remove_key(v.node(), "absent");
  doc.set_scalar(*doc.find(v.node(), "name"), "n1");
  doc.add_scalar(v.node(), "pin", "1234");
  auto j = yaml_to_json(v, false);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"id": "x", "name": "n1", "list": ["p{n}", "q"], "pin": "1234"})"));
  EXPECT_EQ(v.keys(), (std::vector<std::string>{"id", "name", "list", "pin"}));
  EXPECT_FALSE(doc.find(v.node(), "count"));
  // An added entry is placed where its mapping is, for errors about it.
  EXPECT_EQ(yaml_map(v).get("pin").where(), "t.yaml:1:1");
}

TEST(YamlReader, DocumentsPastTheSizeBudgetAreRefusedBeforeParsing) {
  std::string big(max_yaml_bytes + 1, ' ');
  EXPECT_NE(error_of(big).find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace mynasim
