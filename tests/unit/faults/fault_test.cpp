// SPDX-License-Identifier: Apache-2.0
#include "faults/fault.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mynasim {
namespace {

const instant now = *parse_instant("2026-12-19T22:30:00+09:00");

// Parses `text` as JSON and expects parse_fault to accept it.
fault parsed(const std::string& text) {
  std::string error;
  auto f = parse_fault(nlohmann::json::parse(text), now, error);
  EXPECT_TRUE(f) << text << ": " << error;
  EXPECT_EQ(error, "") << text;
  return f ? *f : fault{};
}

// Parses `j` and returns the error parse_fault gave (empty when it accepted the fault).
std::string refusal(const nlohmann::json& j) {
  std::string error;
  auto f = parse_fault(j, now, error);
  EXPECT_FALSE(f) << j.dump();
  return error;
}

nlohmann::json with(nlohmann::json extra) {
  nlohmann::json j{{"kind", "latency"}, {"target", "juki"}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

TEST(ParseFault, EveryKindIsAcceptedByItsName) {
  const std::vector<std::string> names = {"latency",
                                          "http_error",
                                          "hang",
                                          "reset",
                                          "empty_response",
                                          "malformed_body",
                                          "truncated_body",
                                          "slow_body",
                                          "down",
                                          "quota",
                                          "notification_drop",
                                          "notification_delay",
                                          "notification_duplicate"};
  for (const auto& name : names) {
    auto f = parsed(R"({"kind":")" + name + R"(","target":"portal"})");
    EXPECT_EQ(to_string(f.kind), name);
    EXPECT_EQ(f.target, "portal");
    EXPECT_EQ(is_notification_fault(f.kind), name.rfind("notification_", 0) == 0) << name;
  }
}

TEST(ParseFault, DefaultsWhenOnlyKindAndTargetAreGiven) {
  auto f = parsed(R"({"kind":"latency","target":"juki"})");
  EXPECT_EQ(f.id, "");
  EXPECT_EQ(f.endpoint, "");
  EXPECT_EQ(f.client_id, "");
  EXPECT_EQ(f.persona, "");
  EXPECT_EQ(f.telegram_id, "");
  EXPECT_DOUBLE_EQ(f.probability, 1.0);
  EXPECT_EQ(f.seed, 1u);
  EXPECT_FALSE(f.remaining);
  EXPECT_FALSE(f.until);
  EXPECT_EQ(f.distribution, "fixed");
  EXPECT_EQ(f.latency, millis{0});
  EXPECT_EQ(f.status, 503);
  EXPECT_EQ(f.limit, 10);
  EXPECT_EQ(f.window, millis{60000});
  EXPECT_EQ(f.chunk, 8u);
}

TEST(ParseFault, NarrowingAndFiringFieldsAreKept) {
  auto f = parsed(R"({"id":"slow-juki","kind":"latency","target":"juki","endpoint":"/systems/juki/",
    "client_id":"SP00000086_AA0003","persona":"taro","telegram_id":"TL-00000086-000000000001-0001",
    "probability":0.25,"seed":42,"count":3,"latency_ms":1500})");
  EXPECT_EQ(f.id, "slow-juki");
  EXPECT_EQ(f.endpoint, "/systems/juki/");
  EXPECT_EQ(f.client_id, "SP00000086_AA0003");
  EXPECT_EQ(f.persona, "taro");
  EXPECT_EQ(f.telegram_id, "TL-00000086-000000000001-0001");
  EXPECT_DOUBLE_EQ(f.probability, 0.25);
  EXPECT_EQ(f.seed, 42u);
  ASSERT_TRUE(f.remaining);
  EXPECT_EQ(*f.remaining, 3);
  EXPECT_EQ(f.latency, millis{1500});
}

TEST(ParseFault, LatencyDistributions) {
  auto uniform = parsed(R"({"kind":"latency","target":"juki","distribution":"uniform",
    "latency_ms":100,"latency_max_ms":400})");
  EXPECT_EQ(uniform.distribution, "uniform");
  EXPECT_EQ(uniform.latency, millis{100});
  EXPECT_EQ(uniform.latency_max, millis{400});
  auto lognormal = parsed(R"({"kind":"latency","target":"juki","distribution":"lognormal",
    "latency_ms":800,"sigma":1.5})");
  EXPECT_EQ(lognormal.distribution, "lognormal");
  EXPECT_DOUBLE_EQ(lognormal.sigma, 1.5);
  // A uniform latency whose bounds are equal is one fixed value, and allowed.
  EXPECT_EQ(parsed(R"({"kind":"latency","target":"juki","distribution":"uniform",
    "latency_ms":300,"latency_max_ms":300})")
                .latency_max,
            millis{300});
}

TEST(ParseFault, HttpErrorFields) {
  auto f = parsed(R"({"kind":"http_error","target":"municipal","status":500,
    "error_code":"E0001","message":"internal"})");
  EXPECT_EQ(f.kind, fault_kind::http_error);
  EXPECT_EQ(f.status, 500);
  EXPECT_EQ(f.error_code, "E0001");
  EXPECT_EQ(f.message, "internal");
}

TEST(ParseFault, QuotaAnswers429UnlessToldOtherwise) {
  auto f = parsed(R"({"kind":"quota","target":"juki","limit":5,"window":"PT30S"})");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.limit, 5);
  EXPECT_EQ(f.window, millis{30000});
  EXPECT_EQ(parsed(R"({"kind":"quota","target":"juki","status":503})").status, 503);
  EXPECT_EQ(parsed(R"({"kind":"quota","target":"juki","limit":0})").limit, 0);
  // Only quota changes the default: another kind keeps 503.
  EXPECT_EQ(parsed(R"({"kind":"http_error","target":"juki"})").status, 503);
}

TEST(ParseFault, NotificationDelayAndSlowBodyFields) {
  auto delay = parsed(R"({"kind":"notification_delay","target":"portal","delay_ms":2500})");
  EXPECT_EQ(delay.delay, millis{2500});
  auto slow = parsed(R"({"kind":"slow_body","target":"sp","delay_ms":50,"chunk_bytes":3})");
  EXPECT_EQ(slow.delay, millis{50});
  EXPECT_EQ(slow.chunk, 3u);
}

TEST(ParseFault, ForIsADurationFromNowOnTheVirtualClock) {
  auto f = parsed(R"({"kind":"down","target":"juki","for":"PT10M"})");
  ASSERT_TRUE(f.until);
  EXPECT_EQ(format_instant(*f.until), "2026-12-19T22:40:00+09:00");
  auto day = parsed(R"({"kind":"down","target":"juki","for":"P1D"})");
  ASSERT_TRUE(day.until);
  EXPECT_EQ(format_instant(*day.until), "2026-12-20T22:30:00+09:00");
  // The same text read at another virtual instant ends at another instant.
  std::string error;
  auto later = parse_fault(nlohmann::json::parse(R"({"kind":"down","target":"juki","for":"PT1H30M"})"),
                           *parse_instant("2027-01-04T07:00:00+09:00"), error);
  ASSERT_TRUE(later) << error;
  EXPECT_EQ(format_instant(*later->until), "2027-01-04T08:30:00+09:00");
}

TEST(ParseFault, UntilIsAnInstant) {
  auto f = parsed(R"({"kind":"down","target":"juki","until":"2026-12-21T00:00:00+09:00"})");
  ASSERT_TRUE(f.until);
  EXPECT_EQ(format_instant(*f.until), "2026-12-21T00:00:00+09:00");
  auto utc = parsed(R"({"kind":"down","target":"juki","until":"2026-12-20T15:00:00Z"})");
  EXPECT_EQ(format_instant(*utc.until), "2026-12-21T00:00:00+09:00");
}

TEST(ParseFault, StructuralErrors) {
  EXPECT_EQ(refusal(nlohmann::json::array()), "a fault is a JSON object");
  EXPECT_EQ(refusal("latency"), "a fault is a JSON object");
  EXPECT_EQ(refusal(with({{"remaining", 3}})), "unknown key 'remaining'");
  EXPECT_EQ(refusal({{"target", "juki"}}), "kind is required");
  EXPECT_EQ(refusal({{"kind", "explode"}, {"target", "juki"}}), "unknown kind 'explode'");
  EXPECT_EQ(refusal({{"kind", 3}, {"target", "juki"}}), "kind must be a string");
  EXPECT_EQ(refusal({{"kind", "latency"}}), "target is required (a system id, or app / sp)");
  EXPECT_EQ(refusal({{"kind", "latency"}, {"target", ""}}), "target is required (a system id, or app / sp)");
}

TEST(ParseFault, EveryStringFieldMustBeAString) {
  for (const char* key :
       {"id", "target", "endpoint", "client_id", "persona", "telegram_id", "distribution", "error_code", "message"})
    EXPECT_EQ(refusal(with({{key, 1}})), std::string(key) + " must be a string");
}

TEST(ParseFault, NumbersOutOfRangeAreRefusedNamingTheField) {
  EXPECT_EQ(refusal(with({{"probability", 1.5}})), "probability must be between 0 and 1");
  EXPECT_EQ(refusal(with({{"probability", -0.1}})), "probability must be between 0 and 1");
  EXPECT_EQ(refusal(with({{"probability", "half"}})), "probability must be a number");
  EXPECT_EQ(refusal(with({{"count", 0}})), "count must be between 1 and 1000000000");
  EXPECT_EQ(refusal(with({{"latency_ms", 600001}})), "latency_ms must be between 0 and 600000");
  EXPECT_EQ(refusal(with({{"latency_ms", -1}})), "latency_ms must be between 0 and 600000");
  EXPECT_EQ(refusal(with({{"latency_max_ms", 600001}})), "latency_max_ms must be between 0 and 600000");
  EXPECT_EQ(refusal(with({{"sigma", 5.5}})), "sigma must be between 0 and 5");
  EXPECT_EQ(refusal(with({{"status", 99}})), "status must be between 100 and 599");
  EXPECT_EQ(refusal(with({{"status", 600}})), "status must be between 100 and 599");
  EXPECT_EQ(refusal(with({{"limit", -1}})), "limit must be between 0 and 1000000000");
  EXPECT_EQ(refusal(with({{"delay_ms", 600001}})), "delay_ms must be between 0 and 600000");
  EXPECT_EQ(refusal(with({{"chunk_bytes", 0}})), "chunk_bytes must be between 1 and 65536");
  EXPECT_EQ(refusal(with({{"chunk_bytes", 65537}})), "chunk_bytes must be between 1 and 65536");
}

TEST(ParseFault, BoundsThemselvesAreAccepted) {
  EXPECT_DOUBLE_EQ(parsed(R"({"kind":"latency","target":"juki","probability":0})").probability, 0.0);
  EXPECT_EQ(*parsed(R"({"kind":"latency","target":"juki","count":1})").remaining, 1);
  EXPECT_EQ(parsed(R"({"kind":"latency","target":"juki","latency_ms":600000})").latency, millis{600000});
  EXPECT_EQ(parsed(R"({"kind":"http_error","target":"juki","status":100})").status, 100);
  EXPECT_EQ(parsed(R"({"kind":"http_error","target":"juki","status":599})").status, 599);
  EXPECT_EQ(parsed(R"({"kind":"slow_body","target":"juki","chunk_bytes":65536})").chunk, 65536u);
}

TEST(ParseFault, SeedMustBeANonNegativeInteger) {
  EXPECT_EQ(refusal(with({{"seed", -1}})), "seed must be a non-negative integer");
  EXPECT_EQ(refusal(with({{"seed", 1.5}})), "seed must be a non-negative integer");
  EXPECT_EQ(refusal(with({{"seed", "7"}})), "seed must be a non-negative integer");
  EXPECT_EQ(parsed(R"({"kind":"latency","target":"juki","seed":0})").seed, 0u);
}

TEST(ParseFault, DistributionMustBeKnownAndUniformBoundsOrdered) {
  EXPECT_EQ(refusal(with({{"distribution", "poisson"}})), "distribution must be fixed, uniform or lognormal");
  EXPECT_EQ(refusal(with({{"distribution", "uniform"}, {"latency_ms", 500}, {"latency_max_ms", 499}})),
            "latency_max_ms must be at least latency_ms for a uniform latency");
}

TEST(ParseFault, DurationsMustBePositiveIsoDurations) {
  for (const char* key : {"for", "window"}) {
    const std::string message = std::string(key) + " must be a positive ISO-8601 duration such as PT10M";
    EXPECT_EQ(refusal(with({{key, "10 minutes"}})), message);
    EXPECT_EQ(refusal(with({{key, "PT0S"}})), message);
    EXPECT_EQ(refusal(with({{key, "-PT5M"}})), message);
    EXPECT_EQ(refusal(with({{key, 600}})), message);
  }
  EXPECT_EQ(refusal(with({{"until", "tomorrow"}})), "until must be an ISO-8601 instant");
  EXPECT_EQ(refusal(with({{"until", 1767000000}})), "until must be an ISO-8601 instant");
}

TEST(ParseFault, ErrorIsLeftAloneOnSuccess) {
  std::string error;
  EXPECT_TRUE(parse_fault(with({}), now, error));
  EXPECT_EQ(error, "");
}

// What the admin API lists, read back as a fault spec, is the same fault.
TEST(FaultJson, RoundTripsThroughParseFault) {
  for (const char* text : {
           R"({"id":"a","kind":"latency","target":"juki","distribution":"uniform","latency_ms":100,
               "latency_max_ms":250,"probability":0.5,"seed":9,"endpoint":"/systems/juki/"})",
           R"({"id":"b","kind":"latency","target":"juki","distribution":"lognormal","latency_ms":800,"sigma":1.25})",
           R"({"id":"c","kind":"http_error","target":"municipal","status":502,"error_code":"E1","message":"boom",
               "client_id":"SP00000086_AA0003","persona":"taro","until":"2026-12-20T00:00:00+09:00"})",
           R"({"id":"d","kind":"notification_delay","target":"portal","delay_ms":1200,
               "telegram_id":"TL-00000086-000000000001-0001"})",
           R"({"id":"e","kind":"slow_body","target":"sp","delay_ms":40,"chunk_bytes":16})",
           R"({"id":"f","kind":"reset","target":"app","probability":0.125,"seed":3})",
       }) {
    auto f = parsed(text);
    auto j = fault_json(f);
    std::string error;
    auto back = parse_fault(j, now, error);
    ASSERT_TRUE(back) << j.dump() << ": " << error;
    EXPECT_EQ(fault_json(*back), j) << text;
    EXPECT_EQ(back->id, f.id);
    EXPECT_EQ(back->kind, f.kind);
    EXPECT_EQ(back->target, f.target);
    EXPECT_EQ(back->endpoint, f.endpoint);
    EXPECT_EQ(back->client_id, f.client_id);
    EXPECT_EQ(back->persona, f.persona);
    EXPECT_EQ(back->telegram_id, f.telegram_id);
    EXPECT_DOUBLE_EQ(back->probability, f.probability);
    EXPECT_EQ(back->seed, f.seed);
    EXPECT_EQ(back->until, f.until);
    EXPECT_EQ(back->distribution, f.distribution);
    EXPECT_EQ(back->latency, f.latency);
    EXPECT_EQ(back->latency_max, f.latency_max);
    EXPECT_DOUBLE_EQ(back->sigma, f.sigma);
    EXPECT_EQ(back->status, f.status);
    EXPECT_EQ(back->error_code, f.error_code);
    EXPECT_EQ(back->message, f.message);
    EXPECT_EQ(back->delay, f.delay);
    EXPECT_EQ(back->chunk, f.chunk);
  }
}

TEST(FaultJson, ShowsOnlyWhatTheKindUses) {
  auto j = fault_json(parsed(R"({"id":"h","kind":"hang","target":"juki","latency_ms":100,"status":500})"));
  EXPECT_EQ(j, (nlohmann::json{{"id", "h"}, {"kind", "hang"}, {"target", "juki"}, {"probability", 1.0}, {"seed", 1}}));
  auto fixed = fault_json(parsed(R"({"id":"l","kind":"latency","target":"juki","latency_ms":700})"));
  EXPECT_EQ(fixed["distribution"], "fixed");
  EXPECT_EQ(fixed["latency_ms"], 700);
  EXPECT_FALSE(fixed.contains("latency_max_ms"));
  EXPECT_FALSE(fixed.contains("sigma"));
}

// The listing shows what is left of count as `remaining`, and a quota's window in seconds.
TEST(FaultJson, RemainingAndQuotaWindow) {
  auto j = fault_json(parsed(R"({"id":"q","kind":"quota","target":"juki","limit":3,"window":"PT2M","count":4})"));
  EXPECT_EQ(j["remaining"], 4);
  EXPECT_EQ(j["limit"], 3);
  EXPECT_EQ(j["window"], "120s");
  EXPECT_FALSE(j.contains("count"));
}

}  // namespace
}  // namespace mynasim
