// SPDX-License-Identifier: Apache-2.0
#include "faults/fault_registry.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/world.hpp"

namespace mynasim {
namespace {

const char* const service_a = "SP00000086_AA0003";
const char* const service_b = "SP00000123_BB0001";

class FaultRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = new world_config(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml")); }
  static void TearDownTestSuite() { delete world_; }

  // A world from the default fixtures, its clock frozen on a Friday morning when every system is up.
  static std::unique_ptr<world_runtime> make_runtime(std::size_t max_faults = 256) {
    world_config w = *world_;
    w.qa.max_faults = max_faults;
    auto rt = std::make_unique<world_runtime>(std::move(w));
    rt->clock.set_frozen(true);
    rt->clock.set_now(*parse_instant("2026-11-27T10:00:00+09:00"));
    return rt;
  }

  static fault make(fault_kind kind, std::string target) {
    fault f;
    f.kind = kind;
    f.target = std::move(target);
    return f;
  }

  static http_request request_to(std::string system, std::string path = "/", std::string client_id = "",
                                 std::string persona = "") {
    http_request req;
    req.method = "POST";
    req.system = std::move(system);
    req.listener = "systems";
    req.path = std::move(path);
    req.client_id = std::move(client_id);
    req.persona = std::move(persona);
    req.telegram_id = "TL-00000086-000000000001-0001";
    req.process_id = "P-1";
    return req;
  }

  std::string add(fault f) {
    std::string error;
    auto id = registry_.add(std::move(f), error);
    EXPECT_TRUE(id) << error;
    return id.value_or("");
  }

  std::string refused(fault f) {
    std::string error;
    EXPECT_FALSE(registry_.add(std::move(f), error));
    return error;
  }

  std::vector<std::string> ids() {
    std::vector<std::string> out;
    for (const auto& f : registry_.list()) out.push_back(f.id);
    return out;
  }

  bool fires(const http_request& req) { return !registry_.decide(req).fired.empty(); }

  static inline world_config* world_ = nullptr;
  std::unique_ptr<world_runtime> rt_ = make_runtime();
  fault_registry registry_{*rt_};
};

TEST_F(FaultRegistry, AddAssignsIdsListsAndRemoves) {
  EXPECT_EQ(add(make(fault_kind::latency, "juki")), "fault-1");
  EXPECT_EQ(add(make(fault_kind::hang, "municipal")), "fault-2");
  auto named = make(fault_kind::reset, "network");
  named.id = "mine";
  EXPECT_EQ(add(named), "mine");
  EXPECT_EQ(ids(), (std::vector<std::string>{"fault-1", "fault-2", "mine"}));
  auto listed = registry_.list();
  EXPECT_EQ(listed[1].kind, fault_kind::hang);
  EXPECT_EQ(listed[1].target, "municipal");

  EXPECT_TRUE(registry_.remove("fault-1"));
  EXPECT_FALSE(registry_.remove("fault-1"));
  EXPECT_FALSE(registry_.remove("nothing"));
  EXPECT_EQ(ids(), (std::vector<std::string>{"fault-2", "mine"}));

  registry_.clear();
  EXPECT_TRUE(registry_.list().empty());
  EXPECT_EQ(add(make(fault_kind::latency, "juki")), "fault-1");  // numbering starts again
}

// Two down faults on one system: it stays down until the last of them is gone or over, each
// removal or end handing the stop to the fault still active (the first removal used to bring
// the system up while the other fault still held it; the second add shortened the first).
TEST_F(FaultRegistry, TwoDownFaultsOnOneSystemHoldItUntilTheLastGoes) {
  const auto now = *parse_instant("2026-11-27T10:00:00+09:00");
  auto down_at = [&](const char* when) {
    auto st = rt_->availability.query("juki", *parse_instant(when)).status;
    return st.reason == availability_reason::forced_down ? *st.detail : std::string("up");
  };
  auto open_ended = make(fault_kind::down, "juki");
  EXPECT_EQ(add(open_ended), "fault-1");
  auto half_hour = make(fault_kind::down, "juki");
  half_hour.until = now + std::chrono::minutes(30);
  EXPECT_EQ(add(half_hour), "fault-2");
  EXPECT_EQ(down_at("2026-11-27T11:00:00+09:00"), "fault fault-1");  // the shorter does not end it
  EXPECT_TRUE(registry_.remove("fault-1"));
  EXPECT_EQ(down_at("2026-11-27T10:10:00+09:00"), "fault fault-2");  // still held by the other
  EXPECT_EQ(down_at("2026-11-27T10:40:00+09:00"), "up");             // until that one ends
  EXPECT_TRUE(registry_.remove("fault-2"));
  EXPECT_EQ(down_at("2026-11-27T10:10:00+09:00"), "up");
}

TEST_F(FaultRegistry, RefusesWhatItCannotApply) {
  auto duplicate = make(fault_kind::latency, "juki");
  duplicate.id = "x";
  add(duplicate);
  EXPECT_EQ(refused(duplicate), "a fault with id 'x' exists already");
  EXPECT_EQ(refused(make(fault_kind::latency, "mars")), "unknown target 'mars' (a system id, or app / sp)");
  auto client = make(fault_kind::latency, "juki");
  client.client_id = "SP99999999_ZZ9999";
  EXPECT_EQ(refused(client), "unknown client_id 'SP99999999_ZZ9999'");
  auto persona = make(fault_kind::latency, "juki");
  persona.persona = "nobody";
  EXPECT_EQ(refused(persona), "unknown persona 'nobody'");
  EXPECT_EQ(refused(make(fault_kind::notification_drop, "juki")),
            "notification faults target the portal (target: portal)");
  const std::string down_error =
      "down applies to a whole system for a time: give a system id and optionally for/until only";
  EXPECT_EQ(refused(make(fault_kind::down, "app")), down_error);
  auto narrowed = make(fault_kind::down, "juki");
  narrowed.client_id = service_a;
  EXPECT_EQ(refused(narrowed), down_error);
  auto counted = make(fault_kind::down, "juki");
  counted.remaining = 1;
  EXPECT_EQ(refused(counted), down_error);
  auto maybe = make(fault_kind::down, "juki");
  maybe.probability = 0.5;
  EXPECT_EQ(refused(maybe), down_error);
  EXPECT_EQ(ids(), (std::vector<std::string>{"x"}));  // nothing refused was kept
  // The two portal listeners are targets too.
  EXPECT_EQ(add(make(fault_kind::latency, "app")), "fault-1");
  EXPECT_EQ(add(make(fault_kind::notification_drop, "portal")), "fault-2");
}

TEST_F(FaultRegistry, MaxFaultsRefusesOneMoreWithoutEvicting) {
  auto rt = make_runtime(3);
  fault_registry registry(*rt);
  std::string error;
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(registry.add(make(fault_kind::latency, "juki"), error), "fault-" + std::to_string(i)) << error;
  EXPECT_FALSE(registry.add(make(fault_kind::hang, "juki"), error));
  EXPECT_EQ(error, "too many active faults (qa.max_faults = 3): remove some first");
  ASSERT_EQ(registry.list().size(), 3u);
  EXPECT_EQ(registry.list().front().id, "fault-1");  // the oldest is still there
  EXPECT_EQ(registry.list().back().id, "fault-3");
  // Per-request faults have their own pool: a full admin pool does not refuse them.
  EXPECT_EQ(registry.add_for_request(make(fault_kind::reset, "juki"), error), "request-1");
  EXPECT_EQ(registry.list().size(), 4u);
  EXPECT_FALSE(registry.add(make(fault_kind::hang, "juki"), error));
  // Removing one makes room for exactly one.
  EXPECT_TRUE(registry.remove("fault-2"));
  EXPECT_EQ(registry.add(make(fault_kind::hang, "juki"), error), "fault-4");
  EXPECT_FALSE(registry.add(make(fault_kind::hang, "juki"), error));
}

TEST_F(FaultRegistry, SpentFaultsFreeTheirPlaceInTheBound) {
  auto rt = make_runtime(1);
  fault_registry registry(*rt);
  std::string error;
  auto once = make(fault_kind::reset, "juki");
  once.remaining = 1;
  ASSERT_TRUE(registry.add(once, error));
  EXPECT_FALSE(registry.add(make(fault_kind::hang, "juki"), error));
  EXPECT_EQ(registry.decide(request_to("juki")).fired, (std::vector<std::string>{"fault-1"}));
  EXPECT_EQ(registry.add(make(fault_kind::hang, "juki"), error), "fault-2") << error;
}

TEST_F(FaultRegistry, RequestPoolDropsTheOldestWhenFull) {
  auto admin = make(fault_kind::latency, "juki");
  admin.id = "admin";
  add(admin);
  std::string error;
  for (std::size_t i = 0; i < fault_registry::max_request_faults; ++i)
    ASSERT_TRUE(registry_.add_for_request(make(fault_kind::reset, "juki"), error)) << error;
  EXPECT_EQ(registry_.list().size(), 1025u);
  // The pool holds 1024; the 1025th pushes out request-1 and only it.
  EXPECT_EQ(registry_.add_for_request(make(fault_kind::reset, "juki"), error), "request-1025");
  auto now = ids();
  EXPECT_EQ(now.size(), 1025u);
  auto has = [&](const std::string& id) { return std::find(now.begin(), now.end(), id) != now.end(); };
  EXPECT_TRUE(has("admin"));
  EXPECT_FALSE(has("request-1"));
  EXPECT_TRUE(has("request-2"));
  EXPECT_TRUE(has("request-1025"));
}

// Issue 26, item 2: the pool is fair per owner (the service a fault is bound to). A service
// flooding it evicts its own oldest, never another's pending fault.
TEST_F(FaultRegistry, RequestPoolEvictsFromTheOwnerHoldingTheMost) {
  auto bound_to = [](const char* client) {
    auto f = make(fault_kind::reset, "juki");
    f.client_id = client;
    f.telegram_id = "TL-00000086-000000000001-0001";
    return f;
  };
  std::string error;
  ASSERT_EQ(registry_.add_for_request(bound_to(service_a), error), "request-1") << error;
  const auto max = fault_registry::max_request_faults;
  for (std::size_t i = 0; i < max + 100; ++i)  // request-2 … request-1125
    ASSERT_TRUE(registry_.add_for_request(bound_to(service_b), error)) << error;
  auto now = ids();
  EXPECT_EQ(now.size(), max);
  auto has = [&](const std::string& id) { return std::find(now.begin(), now.end(), id) != now.end(); };
  EXPECT_TRUE(has("request-1"));  // the other service's pending fault
  EXPECT_FALSE(has("request-2"));
  EXPECT_FALSE(has("request-102"));  // the flooder's 101 oldest went
  EXPECT_TRUE(has("request-103"));
  EXPECT_TRUE(has("request-1125"));
}

TEST_F(FaultRegistry, SpentAndRemovedRequestFaultsFreeTheirPlaceInThePool) {
  std::string error;
  auto f = make(fault_kind::reset, "juki");
  f.client_id = service_b;
  f.remaining = 1;
  auto hop = request_to("juki", "/identify", service_b);
  for (std::size_t i = 0; i < fault_registry::max_request_faults; ++i) {
    f.telegram_id = i == 0 ? hop.telegram_id : "TL-" + std::to_string(i);  // each its own request
    ASSERT_TRUE(registry_.add_for_request(f, error)) << error;
  }
  EXPECT_EQ(registry_.decide(hop).fired, (std::vector<std::string>{"request-1"}));  // spent: gone
  EXPECT_TRUE(registry_.remove("request-2"));
  auto mine = f;
  mine.client_id = service_a;
  EXPECT_EQ(registry_.add_for_request(mine, error), "request-1025");
  EXPECT_EQ(registry_.add_for_request(mine, error), "request-1026");
  EXPECT_EQ(ids().size(), fault_registry::max_request_faults);        // two free places taken, nobody evicted
  EXPECT_EQ(registry_.add_for_request(mine, error), "request-1027");  // full: the owner holding the most pays
  auto now = ids();
  EXPECT_EQ(std::count(now.begin(), now.end(), "request-3"), 0);
  EXPECT_EQ(std::count(now.begin(), now.end(), "request-1025"), 1);
  registry_.clear();
  EXPECT_TRUE(registry_.list().empty());
  EXPECT_EQ(registry_.add_for_request(mine, error), "request-1");
}

TEST_F(FaultRegistry, RequestFaultsGetTheirOwnIds) {
  auto f = make(fault_kind::reset, "juki");
  f.id = "chosen";
  std::string error;
  EXPECT_EQ(registry_.add_for_request(f, error), "request-1");
  EXPECT_EQ(registry_.add_for_request(f, error), "request-2");
  EXPECT_EQ(add(make(fault_kind::hang, "juki")), "fault-1");  // the admin numbering is separate
}

TEST_F(FaultRegistry, CountFiresExactlyNTimes) {
  auto f = make(fault_kind::http_error, "juki");
  f.remaining = 3;
  add(f);
  int fired = 0;
  for (int i = 0; i < 6; ++i) {
    auto d = registry_.decide(request_to("juki"));
    if (!d.fired.empty()) {
      ++fired;
      ASSERT_TRUE(d.response);
      EXPECT_EQ(d.response->status, 503);
    } else {
      EXPECT_FALSE(d.response);
    }
    if (i == 1) {
      ASSERT_EQ(registry_.list().size(), 1u);
      EXPECT_EQ(*registry_.list().front().remaining, 1);  // what is left of count
    }
  }
  EXPECT_EQ(fired, 3);
  EXPECT_TRUE(registry_.list().empty());
}

TEST_F(FaultRegistry, CountIsSpentOnlyByMatchingRequests) {
  auto f = make(fault_kind::reset, "juki");
  f.remaining = 1;
  add(f);
  EXPECT_FALSE(fires(request_to("municipal")));
  EXPECT_FALSE(fires(request_to("network")));
  EXPECT_TRUE(fires(request_to("juki")));
  EXPECT_FALSE(fires(request_to("juki")));
}

TEST_F(FaultRegistry, NarrowsByTargetSystem) {
  add(make(fault_kind::reset, "municipal"));
  EXPECT_TRUE(fires(request_to("municipal")));
  EXPECT_FALSE(fires(request_to("juki")));
  EXPECT_FALSE(fires(request_to("portal")));
}

TEST_F(FaultRegistry, AListenerTargetMatchesOnlyThePortalOnThatListener) {
  add(make(fault_kind::reset, "sp"));
  auto sp = request_to("portal");
  sp.listener = "sp";
  auto app = request_to("portal");
  app.listener = "app";
  EXPECT_TRUE(fires(sp));
  EXPECT_FALSE(fires(app));
  auto other = request_to("juki");
  other.listener = "sp";  // the listener counts only for the portal
  EXPECT_FALSE(fires(other));
}

TEST_F(FaultRegistry, NarrowsByClientIdPersonaEndpointAndTelegram) {
  auto by_client = make(fault_kind::reset, "juki");
  by_client.client_id = service_a;
  add(by_client);
  EXPECT_TRUE(fires(request_to("juki", "/", service_a)));
  EXPECT_FALSE(fires(request_to("juki", "/", service_b)));
  EXPECT_FALSE(fires(request_to("juki", "/", "")));
  registry_.clear();

  auto by_persona = make(fault_kind::reset, "juki");
  by_persona.persona = "taro";
  add(by_persona);
  EXPECT_TRUE(fires(request_to("juki", "/", service_b, "taro")));
  EXPECT_FALSE(fires(request_to("juki", "/", service_b, "hanako")));
  registry_.clear();

  auto both = make(fault_kind::reset, "juki");
  both.client_id = service_a;
  both.persona = "hanako";
  add(both);
  EXPECT_TRUE(fires(request_to("juki", "/", service_a, "hanako")));
  EXPECT_FALSE(fires(request_to("juki", "/", service_a, "taro")));
  EXPECT_FALSE(fires(request_to("juki", "/", service_b, "hanako")));
  registry_.clear();

  auto by_endpoint = make(fault_kind::reset, "juki");
  by_endpoint.endpoint = "/systems/juki/identify";
  add(by_endpoint);
  EXPECT_TRUE(fires(request_to("juki", "/systems/juki/identify")));
  EXPECT_TRUE(fires(request_to("juki", "/systems/juki/identify/more")));  // a prefix
  EXPECT_FALSE(fires(request_to("juki", "/systems/juki/query")));
  EXPECT_FALSE(fires(request_to("juki", "/x/systems/juki/identify")));
  registry_.clear();

  auto by_telegram = make(fault_kind::reset, "juki");
  by_telegram.telegram_id = "TL-00000086-000000000001-0002";
  add(by_telegram);
  auto req = request_to("juki");
  EXPECT_FALSE(fires(req));
  req.telegram_id = "TL-00000086-000000000001-0002";
  EXPECT_TRUE(fires(req));
}

TEST_F(FaultRegistry, UntilExpiresOnTheVirtualClock) {
  auto f = make(fault_kind::reset, "juki");
  f.until = rt_->clock.now() + std::chrono::minutes(10);
  add(f);
  ASSERT_TRUE(rt_->clock.advance(std::chrono::minutes(10) - millis(1)));
  EXPECT_EQ(ids(), (std::vector<std::string>{"fault-1"}));
  EXPECT_TRUE(fires(request_to("juki")));
  ASSERT_TRUE(rt_->clock.advance(millis(1)));
  EXPECT_FALSE(fires(request_to("juki")));
  EXPECT_TRUE(registry_.list().empty());
  // Moving the clock back does not revive it: it is gone.
  rt_->clock.set_now(*parse_instant("2026-11-27T10:00:00+09:00"));
  EXPECT_FALSE(fires(request_to("juki")));
}

TEST_F(FaultRegistry, AFaultAlreadyPastItsUntilNeverFires) {
  auto f = make(fault_kind::reset, "juki");
  f.until = rt_->clock.now();
  add(f);
  EXPECT_TRUE(registry_.list().empty());
  EXPECT_FALSE(fires(request_to("juki")));
}

// The probability is drawn from the fault's own generator, seeded by `seed`.
std::vector<bool> pattern(fault_registry& registry, const http_request& req, int n) {
  std::vector<bool> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(!registry.decide(req).fired.empty());
  return out;
}

TEST_F(FaultRegistry, ProbabilityIsReproducibleWithASeed) {
  auto f = make(fault_kind::reset, "juki");
  f.probability = 0.5;
  f.seed = 42;
  add(f);
  auto first = pattern(registry_, request_to("juki"), 200);
  auto fired = std::count(first.begin(), first.end(), true);
  EXPECT_GT(fired, 60);
  EXPECT_LT(fired, 140);

  // The same seed in another world draws the same sequence.
  auto other_rt = make_runtime();
  fault_registry other(*other_rt);
  std::string error;
  ASSERT_TRUE(other.add(f, error));
  EXPECT_EQ(pattern(other, request_to("juki"), 200), first);

  // Re-adding starts the sequence again; another seed draws another one.
  registry_.clear();
  add(f);
  EXPECT_EQ(pattern(registry_, request_to("juki"), 200), first);
  registry_.clear();
  f.seed = 43;
  add(f);
  EXPECT_NE(pattern(registry_, request_to("juki"), 200), first);
}

TEST_F(FaultRegistry, ProbabilityZeroNeverFiresAndOneAlwaysDoes) {
  auto never = make(fault_kind::reset, "juki");
  never.probability = 0;
  add(never);
  auto always = make(fault_kind::hang, "municipal");
  add(always);
  EXPECT_EQ(pattern(registry_, request_to("juki"), 100), std::vector<bool>(100, false));
  EXPECT_EQ(pattern(registry_, request_to("municipal"), 100), std::vector<bool>(100, true));
}

TEST_F(FaultRegistry, CountIsSpentOnlyWhenTheDrawFires) {
  auto f = make(fault_kind::reset, "juki");
  f.probability = 0.3;
  f.seed = 7;
  f.remaining = 5;
  add(f);
  auto p = pattern(registry_, request_to("juki"), 400);
  EXPECT_EQ(std::count(p.begin(), p.end(), true), 5);
  EXPECT_TRUE(registry_.list().empty());
}

TEST_F(FaultRegistry, HttpErrorAnswersWithWhatTheFaultDeclares) {
  auto f = make(fault_kind::http_error, "juki");
  f.status = 500;
  f.error_code = "E0042";
  f.message = "broken on purpose";
  add(f);
  auto d = registry_.decide(request_to("juki"));
  ASSERT_TRUE(d.response);
  EXPECT_EQ(d.response->status, 500);
  auto body = nlohmann::json::parse(d.response->body);
  EXPECT_EQ(body["error"], "E0042");
  EXPECT_EQ(body["error_description"], "broken on purpose");
  EXPECT_EQ(body["errorMessage"], "broken on purpose");
  EXPECT_EQ(body["reason"], (nlohmann::json{{"code", "injected"},
                                            {"fault", "fault-1"},
                                            {"kind", "http_error"},
                                            {"errorCode", "E0042"},
                                            {"message", "broken on purpose"}}));
  EXPECT_EQ(body["commonHeader"]["telegramId"], "TL-00000086-000000000001-0001");
  EXPECT_EQ(body["commonHeader"]["processId"], "P-1");
  EXPECT_EQ(body["commonHeader"]["errorCode"], "E0042");
}

TEST_F(FaultRegistry, HttpErrorDefaultsNameTheFault) {
  add(make(fault_kind::http_error, "juki"));
  auto d = registry_.decide(request_to("juki"));
  ASSERT_TRUE(d.response);
  EXPECT_EQ(d.response->status, 503);
  auto body = nlohmann::json::parse(d.response->body);
  EXPECT_EQ(body["error"], "injected_error");
  EXPECT_EQ(body["error_description"], "fault fault-1 (http_error)");
  EXPECT_FALSE(body["reason"].contains("errorCode"));
}

TEST_F(FaultRegistry, QuotaAnswers429AfterTheLimitUntilTheWindowEnds) {
  auto f = make(fault_kind::quota, "juki");
  f.status = 429;
  f.limit = 2;
  f.window = millis(60000);
  add(f);
  EXPECT_FALSE(registry_.decide(request_to("juki")).response);
  EXPECT_FALSE(registry_.decide(request_to("juki")).response);
  auto third = registry_.decide(request_to("juki"));
  ASSERT_TRUE(third.response);
  EXPECT_EQ(third.response->status, 429);
  EXPECT_EQ(*third.response->header("retry-after"), "60");
  EXPECT_EQ(nlohmann::json::parse(third.response->body)["error"], "quota_exceeded");
  ASSERT_TRUE(rt_->clock.advance(millis(20500)));
  auto later = registry_.decide(request_to("juki"));
  ASSERT_TRUE(later.response);
  EXPECT_EQ(*later.response->header("retry-after"), "40");  // 39.5 s, rounded up
  ASSERT_TRUE(rt_->clock.advance(millis(39500)));           // a new window
  EXPECT_FALSE(registry_.decide(request_to("juki")).response);
  EXPECT_FALSE(registry_.decide(request_to("juki")).response);
  EXPECT_TRUE(registry_.decide(request_to("juki")).response);
}

TEST_F(FaultRegistry, LatencyAddsUpAndTransportFaultsAreSet) {
  auto slow = make(fault_kind::latency, "juki");
  slow.latency = millis(250);
  add(slow);
  auto slower = make(fault_kind::latency, "juki");
  slower.latency = millis(100);
  add(slower);
  auto d = registry_.decide(request_to("juki"));
  EXPECT_EQ(d.transport.delay, millis(350));
  EXPECT_EQ(d.fired, (std::vector<std::string>{"fault-1", "fault-2"}));
  EXPECT_EQ(d.transport.what, transport_fault::action::none);
  EXPECT_FALSE(d.response);

  registry_.clear();
  auto uniform = make(fault_kind::latency, "juki");
  uniform.distribution = "uniform";
  uniform.latency = millis(100);
  uniform.latency_max = millis(200);
  add(uniform);
  for (int i = 0; i < 50; ++i) {
    auto delay = registry_.decide(request_to("juki")).transport.delay;
    EXPECT_GE(delay, millis(100));
    EXPECT_LE(delay, millis(200));
  }

  const std::vector<std::pair<fault_kind, transport_fault::action>> actions = {
      {fault_kind::hang, transport_fault::action::hang},
      {fault_kind::reset, transport_fault::action::reset},
      {fault_kind::empty_response, transport_fault::action::empty},
      {fault_kind::malformed_body, transport_fault::action::malformed},
      {fault_kind::truncated_body, transport_fault::action::truncate},
      {fault_kind::slow_body, transport_fault::action::slow}};
  for (const auto& [kind, action] : actions) {
    registry_.clear();
    add(make(kind, "juki"));
    EXPECT_EQ(registry_.decide(request_to("juki")).transport.what, action) << to_string(kind);
  }
  // slow_body without a delay pauses 100 ms between chunks of its size.
  registry_.clear();
  auto dribble = make(fault_kind::slow_body, "juki");
  dribble.chunk = 3;
  add(dribble);
  auto t = registry_.decide(request_to("juki")).transport;
  EXPECT_EQ(t.pause, millis(100));
  EXPECT_EQ(t.chunk, 3u);
}

TEST_F(FaultRegistry, DownForcesTheSystemDownUntilRemoved) {
  auto now = rt_->clock.now();
  ASSERT_TRUE(rt_->availability.status("juki", now).up);
  add(make(fault_kind::down, "juki"));
  auto s = rt_->availability.status("juki", now);
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.reason, availability_reason::forced_down);
  EXPECT_TRUE(rt_->availability.status("municipal", now).up);
  EXPECT_TRUE(registry_.decide(request_to("juki")).fired.empty());  // the gate answers, not the fault
  EXPECT_TRUE(registry_.remove("fault-1"));
  EXPECT_TRUE(rt_->availability.status("juki", now).up);
}

TEST_F(FaultRegistry, DownWithUntilEndsOnTheVirtualClockAndClearEndsIt) {
  auto f = make(fault_kind::down, "municipal");
  f.until = rt_->clock.now() + std::chrono::hours(1);
  add(f);
  EXPECT_FALSE(rt_->availability.status("municipal", rt_->clock.now()).up);
  EXPECT_TRUE(rt_->availability.status("municipal", *f.until).up);
  add(make(fault_kind::down, "juki"));
  registry_.clear();
  EXPECT_TRUE(rt_->availability.status("juki", rt_->clock.now()).up);
  EXPECT_TRUE(rt_->availability.status("municipal", rt_->clock.now()).up);
}

TEST_F(FaultRegistry, NotificationDecisions) {
  auto drop = make(fault_kind::notification_drop, "portal");
  drop.client_id = service_a;
  add(drop);
  auto d = registry_.decide_notification(service_a, "taro");
  EXPECT_TRUE(d.drop);
  EXPECT_EQ(d.copies, 1);
  EXPECT_EQ(d.fired, (std::vector<std::string>{"fault-1"}));
  auto other = registry_.decide_notification(service_b, "taro");
  EXPECT_FALSE(other.drop);
  EXPECT_TRUE(other.fired.empty());
  registry_.clear();

  auto delay = make(fault_kind::notification_delay, "portal");
  delay.delay = millis(1500);
  delay.persona = "hanako";
  add(delay);
  auto more = make(fault_kind::notification_delay, "sp");
  more.delay = millis(500);
  add(more);
  add(make(fault_kind::notification_duplicate, "portal"));
  auto both = registry_.decide_notification(service_b, "hanako");
  EXPECT_FALSE(both.drop);
  EXPECT_EQ(both.delay, millis(2000));
  EXPECT_EQ(both.copies, 2);
  EXPECT_EQ(both.fired, (std::vector<std::string>{"fault-1", "fault-2", "fault-3"}));
  auto taro = registry_.decide_notification(service_b, "taro");
  EXPECT_EQ(taro.delay, millis(500));
  EXPECT_EQ(taro.copies, 2);
}

TEST_F(FaultRegistry, NotificationAndRequestFaultsStayApart) {
  auto once = make(fault_kind::notification_drop, "portal");
  once.remaining = 1;
  add(once);
  add(make(fault_kind::reset, "juki"));
  auto portal = request_to("portal");
  portal.listener = "sp";
  EXPECT_TRUE(registry_.decide(portal).fired.empty());  // a notification fault shapes no request
  EXPECT_EQ(registry_.decide_notification(service_a, "taro").fired, (std::vector<std::string>{"fault-1"}));
  EXPECT_FALSE(registry_.decide_notification(service_a, "taro").drop);  // count: 1 spent
  EXPECT_EQ(ids(), (std::vector<std::string>{"fault-2"}));
}

TEST_F(FaultRegistry, ObserverSeesEveryFaultThatFired) {
  std::vector<std::string> seen;
  registry_.on_fire([&](const fault& f) { seen.push_back(f.id + ":" + to_string(f.kind)); });
  add(make(fault_kind::reset, "juki"));
  add(make(fault_kind::hang, "municipal"));
  add(make(fault_kind::notification_duplicate, "portal"));
  registry_.decide(request_to("juki"));
  registry_.decide(request_to("network"));
  registry_.decide_notification(service_a, "taro");
  EXPECT_EQ(seen, (std::vector<std::string>{"fault-1:reset", "fault-3:notification_duplicate"}));
}

}  // namespace
}  // namespace mynasim
