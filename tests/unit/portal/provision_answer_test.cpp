// SPDX-License-Identifier: Apache-2.0
#include "portal/provision_answer.hpp"

#include <gtest/gtest.h>

namespace mynasim {
namespace {

TEST(ProvisionAnswer, GroupsOkHoldersRecordsByBodyAndNameAsText) {
  auto a = read_provision_answer(R"({"holders":[
    {"name":"中間A","results":[{"body":"川崎市","item":"TM1","name":"住民税","records":[{"b":1,"a":[1.5,null]},"x"]}],"status":"ok","system":"a"},
    {"name":"中間B","reason":{"code":"planned_outage"},"reopens_at":"2026-12-01","results":"anything","status":"unavailable","system":"b"},
    {"results":[{"body":"川崎市","name":"住民税","records":[3]},{"body":"国","name":"年金","records":[]}],"status":"ok","system":"c"}
  ],"person":{"id":"taro"}})");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->holders.size(), 3u);
  EXPECT_EQ(a->holders[0], nlohmann::json::parse(R"({"name":"中間A","status":"ok","system":"a"})"));
  EXPECT_EQ(a->holders[1]["reason"]["code"], "planned_outage");  // kept as a value, without the results
  EXPECT_FALSE(a->holders[1].contains("results"));
  EXPECT_EQ(a->record_count, 3u);
  // Records in the order read, members in their own order; 提供機関 and 情報名 sorted.
  EXPECT_EQ(a->personal_data_text(), R"([{"国":{"年金":[]}},{"川崎市":{"住民税":[{"b":1,"a":[1.5,null]},"x",3]}}])");
}

TEST(ProvisionAnswer, AnEmptyAnswerHasNoData) {
  auto a = read_provision_answer(R"({"holders":[]})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->personal_data_text(), "[]");
  EXPECT_EQ(a->record_count, 0u);
}

TEST(ProvisionAnswer, ARepeatedKeyCountsTheLastTime) {
  auto a = read_provision_answer(
      R"({"holders":[{"status":"error"}],"holders":[{"status":"ok","results":[{"records":[1]}],"results":[{"body":"x","body":"y","records":[2],"records":[3,4]}]}]})");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->holders.size(), 1u);
  EXPECT_EQ(a->personal_data_text(), R"([{"y":{"":[3,4]}}])");
  EXPECT_EQ(a->record_count, 2u);
}

TEST(ProvisionAnswer, RefusesWhatIsNotAProvisionResult) {
  for (const char* text : {
           "", "[]", "null", R"({"holders":{}})", R"({"person":{}})", R"({"holders":[1]})",
           R"({"holders":[{"status":"ok"}]})",                                          // ok without results
           R"({"holders":[{"status":"ok","results":{}}]})",                             // results not an array
           R"({"holders":[{"status":"ok","results":[1]}]})",                            // a result not an object
           R"({"holders":[{"status":"ok","results":[{"records":{}}]}]})",               // records not an array
           R"({"holders":[{"status":"ok","results":[{"body":"x"}]}]})",                 // no records
           R"({"holders":[{"status":"ok","results":[{"records":[1],"records":2}]}]})",  // the last is not an array
           R"({"holders":[],"x":[}})",                                                  // not JSON
       })
    EXPECT_FALSE(read_provision_answer(text)) << text;
  // A failed holder's results are not read at all.
  EXPECT_TRUE(read_provision_answer(R"({"holders":[{"status":"unavailable","results":[1,{"records":2}]}]})"));
  // Bounds: nesting and size as for every JSON parser.
  std::string deep =
      R"({"holders":[{"status":"ok","results":[{"records":[)" + std::string(70, '[') + std::string(70, ']') + "]}]}]}";
  EXPECT_FALSE(read_provision_answer(deep));
  EXPECT_FALSE(read_provision_answer(R"({"holders":[]})", {8, 64}));
}

}  // namespace
}  // namespace mynasim
