// SPDX-License-Identifier: Apache-2.0
#include "intermediate/query.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

item_definition period_item() {
  item_definition i;
  i.code = "TM00000000000010";
  i.period_from = "支給情報.支給開始年月日";
  i.period_until = "支給情報.支給終了年月日";
  return i;
}

nlohmann::json period(const char* from, const char* until) {
  return {{"支給情報", {{"支給開始年月日", from}, {"支給終了年月日", until}}}};
}

inquiry q(const char* text) {
  portal_settings s;
  auto parsed = parse_inquiry(text, s);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(inquiry{});
}

TEST(Inquiry, ParsesTheThreeMethods) {
  portal_settings s;
  EXPECT_EQ(q("Date=20260101").method, query_method::date);
  EXPECT_EQ(q("Range=20250101-20251231").to, "20251231");
  EXPECT_EQ(q("Latest").method, query_method::latest);
  for (const char* bad : {"", "Date=", "Date=2026011", "Date=20260230", "Range=20250101", "Range=2025-2026",
                          "Range=20251231-20250101", "latest", "Date=20260101 "})
    EXPECT_FALSE(parse_inquiry(bad, s)) << bad;
  s.latest_condition = "Newest";
  EXPECT_TRUE(parse_inquiry("Newest", s));
}

TEST(Selection, PointInTimeWithinPeriodsOpenEnded) {
  std::vector<nlohmann::json> records = {period("20210401", "20240331"), period("20240401", "")};
  auto item = period_item();
  EXPECT_EQ(select_records(item, records, q("Date=20240331"), "20261127").size(), 1u);
  EXPECT_EQ(select_records(item, records, q("Date=20240331"), "20261127")[0], &records[0]);
  EXPECT_EQ(select_records(item, records, q("Date=20300101"), "20261127")[0], &records[1]);
  EXPECT_TRUE(select_records(item, records, q("Date=20200101"), "20261127").empty());
}

TEST(Selection, RangeReturnsEveryOverlap) {
  std::vector<nlohmann::json> records = {period("20210401", "20240331"), period("20240401", "")};
  auto item = period_item();
  EXPECT_EQ(select_records(item, records, q("Range=20240301-20240430"), "20261127").size(), 2u);
  EXPECT_EQ(select_records(item, records, q("Range=20200101-20210331"), "20261127").size(), 0u);
}

TEST(Selection, MonthPrecisionDatesCoverTheWholeMonth) {
  item_definition i;
  i.period_from = "支給開始年月";
  i.period_until = "支給終了年月";
  std::vector<nlohmann::json> records = {{{"支給開始年月", "202404"}, {"支給終了年月", "202603"}}};
  EXPECT_EQ(select_records(i, records, q("Date=20260331"), "20261127").size(), 1u);
  EXPECT_EQ(select_records(i, records, q("Date=20260401"), "20261127").size(), 0u);
  EXPECT_EQ(select_records(i, records, q("Date=20240401"), "20261127").size(), 1u);
}

TEST(Selection, SingleDateTakesTheNewestOnOrBefore) {
  item_definition i;
  i.date_field = "課税決定年月日";
  std::vector<nlohmann::json> records = {
      {{"課税決定年月日", "20230601"}}, {{"課税決定年月日", "20250601"}}, {{"課税決定年月日", "20240601"}}};
  EXPECT_EQ(select_records(i, records, q("Date=20241001"), "20261127")[0]->at("課税決定年月日"), "20240601");
  EXPECT_EQ(select_records(i, records, q("Latest"), "20261127")[0]->at("課税決定年月日"), "20250601");
  EXPECT_EQ(select_records(i, records, q("Latest"), "20240101")[0]->at("課税決定年月日"),
            "20230601");  // future excluded
  EXPECT_EQ(select_records(i, records, q("Range=20240101-20251231"), "20261127").size(), 2u);
}

TEST(Selection, ItemsWithoutDatesIgnoreDatesAndRefuseLatest) {
  item_definition i;
  std::vector<nlohmann::json> records = {{{"続柄", "世帯主"}}};
  EXPECT_EQ(select_records(i, records, q("Date=19000101"), "20261127").size(), 1u);
  EXPECT_TRUE(select_records(i, records, q("Latest"), "20261127").empty());
}

TEST(Selection, RecordsMissingTheFieldDoNotCrash) {
  auto item = period_item();
  std::vector<nlohmann::json> records = {
      nlohmann::json::object(), {{"支給情報", 5}}, {{"支給情報", {{"支給開始年月日", 7}}}}};
  EXPECT_NO_THROW(select_records(item, records, q("Latest"), "20261127"));
  EXPECT_NO_THROW(select_records(item, records, q("Date=20260101"), "20261127"));
}

}  // namespace
}  // namespace mynasim

namespace mynasim {
namespace {

TEST(QueryRequest, ReadsTheThreeMembersAndSkipsTheRest) {
  std::string error;
  auto r = read_query_request(
      R"({"x":{"person_id":1,"items":2},"items":["TM1",3,["TM9"],"TM2"],"inquiry":{"method":"range","from":"20250101","to":"20251231","date":5},"person_id":"taro"})",
      error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->person_id, "taro");
  EXPECT_EQ(r->items, (std::vector<std::string>{"TM1", "TM2"}));  // only the strings
  EXPECT_EQ(r->query.method, query_method::range);
  EXPECT_EQ(r->query.from, "20250101");
  EXPECT_EQ(r->query.date, "");  // not a string: read as empty
}

TEST(QueryRequest, RefusesWhatIsNotAQuery) {
  std::string error;
  for (const char* text : {
           R"({"items":[],"inquiry":{"method":"date"}})",                               // no person_id
           R"({"person_id":1,"items":[],"inquiry":{"method":"date"}})",                 // not a string
           R"({"person_id":"p","items":{},"inquiry":{"method":"date"}})",               // items not an array
           R"({"person_id":"p","items":[],"inquiry":{"method":"weekly"}})",             // unknown method
           R"({"person_id":"p","items":[],"inquiry":{"method":"date"},"inquiry":{}})",  // the last counts
           R"({"person_id":"p","items":[],"inquiry":[]})",
       }) {
    EXPECT_FALSE(read_query_request(text, error)) << text;
    EXPECT_EQ(error, "expected person_id, items and inquiry");
  }
  EXPECT_FALSE(read_query_request("[1]", error));
  EXPECT_EQ(error, "the body must be a JSON object");
  EXPECT_FALSE(read_query_request(R"({"person_id":)", error));
  EXPECT_EQ(error, "the body is not valid JSON");
  EXPECT_FALSE(read_query_request(std::string(100, '[') + std::string(100, ']'), error));
  EXPECT_NE(error.find("nests deeper"), std::string::npos);
}

}  // namespace
}  // namespace mynasim
