// SPDX-License-Identifier: Apache-2.0
// The landing page and the control room as HTTP sees them: what is served, under which policy,
// behind which access rule, and the admin calls the control room makes. (What a browser does
// with them: tests/browser, run by BrowserControlRoom.)
#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "clock/time.hpp"
#include "flow_client.hpp"
#include "jpki/jpki.hpp"

namespace mynasim::test {
namespace {

nlohmann::json parse_body(const std::string& body) {
  return nlohmann::json::parse(body);
}

constexpr const char* hostile = "<script>window.__pwned=1</script>";

void add_hostile_persona(world_config& w) {
  auto p = w.data.personas.front();
  p.id = "hostile";
  p.name = hostile;
  p.note = "<img src=x onerror=alert(1)>";
  p.card.serial = "MC00099999";
  w.data.personas.push_back(p);
}

TEST(LandingPage, ListsEveryServiceAndPersonaWithReadyLinks) {
  test_server server(add_hostile_persona);
  auto r = request(server.port("app"), true, "GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  const auto data = server.runtime().data.get();
  for (const auto& s : data->services)
    EXPECT_NE(r.body.find("data-client-id=\"" + s.client_id + "\""), std::string::npos);
  // A persona's card, PIN and traits; an authorize link for the browser and one for a test.
  EXPECT_NE(r.body.find("MC00000005"), std::string::npos);
  EXPECT_NE(r.body.find("証明書期限切れ"), std::string::npos);
  EXPECT_NE(r.body.find("暗証番号ロック"), std::string::npos);
  EXPECT_NE(r.body.find("自己情報なし"), std::string::npos);
  EXPECT_NE(r.body.find("href=\"" + server.base() +
                        "/online-authorization-web/oauth/authorize?response_type=code&amp;client_id=SP00000086_AA0003"),
            std::string::npos);
  EXPECT_NE(r.body.find("mynasim_persona=taro&amp;mynasim_outcome=consent"), std::string::npos);
  EXPECT_NE(r.body.find("http://127.0.0.1:" + std::to_string(server.port("admin")) + server.base() + "/__admin/ui"),
            std::string::npos);
  // What comes from YAML is text, never markup.
  EXPECT_EQ(r.body.find(hostile), std::string::npos);
  EXPECT_EQ(r.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), std::string::npos);
}

TEST(LandingPage, FollowingItsTestUrlCompletesTheFlow) {
  test_server server;
  auto page = request(server.port("app"), true, "GET", "/").body;
  const std::string marker = "data-testid=\"direct-url\">";
  auto at = page.find(marker);
  ASSERT_NE(at, std::string::npos);
  at += marker.size();
  std::string url = page.substr(at, page.find('<', at) - at);
  for (std::size_t i; (i = url.find("&amp;")) != std::string::npos;) url.replace(i, 5, "&");
  auto path = url.substr(url.find("/online-authorization-web"));
  auto r = request(server.port("app"), true, "GET", path);
  EXPECT_EQ(r.status, 302);
  EXPECT_FALSE(query_value(r.header("location"), "code").empty()) << r.header("location");
}

// With no app running, the landing page offers mynasim's own callback page, which shows what
// the service received and the token call to make.
TEST(LandingPage, OffersTryingWithoutAnApp) {
  test_server server;
  auto page = request(server.port("app"), true, "GET", "/").body;
  EXPECT_NE(
      page.find(
          "data-testid=\"authorize-without-app\" href=\"" + server.base() +
          "/online-authorization-web/oauth/authorize?response_type=code"
          "&amp;client_id=SP00000086_AA0003&amp;redirect_uri=https%3A%2F%2Flocalhost%3A8443%2Fsample-app%2Fcallback"),
      std::string::npos);
  auto cb = request(server.port("app"), true, "GET", "/sample-app/callback?code=abc123&state=%3Cscript%3Ex");
  EXPECT_EQ(cb.status, 200);
  EXPECT_NE(cb.body.find("data-testid=\"callback-code\">abc123<"), std::string::npos);
  EXPECT_NE(cb.body.find("grant_type=authorization_code&amp;code=abc123"), std::string::npos);
  EXPECT_NE(
      cb.body.find(":" + std::to_string(server.port("sp")) + server.base() + "/online-authorization-web/oauth/token"),
      std::string::npos);
  EXPECT_EQ(cb.body.find("<script>"), std::string::npos);
  auto refused =
      request(server.port("app"), true, "GET", "/sample-app/callback?error=access_denied&error_code=MPE1101");
  EXPECT_NE(refused.body.find("data-testid=\"callback-error\""), std::string::npos);
  EXPECT_NE(refused.body.find("MPE1101"), std::string::npos);
}

TEST(ControlRoom, IsServedWithAPolicyAndItsOwnFiles) {
  test_server server;
  auto page = server.admin("GET", "/__admin/ui");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("data-testid=\"timeline\""), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);  // no inline script: the CSP forbids it
  EXPECT_EQ(page.header("content-security-policy").find("unsafe"), std::string::npos);
  EXPECT_EQ(page.header("x-frame-options"), "DENY");
  auto js = server.admin("GET", "/__admin/ui/control-room.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body.find("innerHTML"), std::string::npos);  // values go in as text
  EXPECT_EQ(server.admin("GET", "/__admin/ui/control-room.css").status, 200);
  EXPECT_EQ(server.admin("GET", "/__admin/ui/portal.css").status, 404);
  EXPECT_EQ(server.admin("GET", "/").header("location"), server.base() + "/__admin/ui");
}

TEST(ControlRoom, NeedsTheTokenOnEverySpellingAndTakesItAsBasic) {
  test_server server([](world_config& w) { w.server.admin.bearer_token = "s3cret"; });
  auto port = server.port("admin");
  for (const char* path : {"/__admin/ui", "/__admin/ui/control-room.js", "/", "/__admin/ui/", "//__admin/ui",
                           "/__admin/%75i", "/__admin/./ui"}) {
    auto r = request(port, false, "GET", path);
    EXPECT_TRUE(r.status == 401 || r.status == 400) << path << " " << r.status;
    EXPECT_EQ(r.body.find("control-room"), std::string::npos) << path;
  }
  // A browser asks for Basic credentials on the pages; programs keep Bearer.
  EXPECT_EQ(request(port, false, "GET", "/__admin/ui").header("www-authenticate").rfind("Basic realm=", 0), 0u);
  EXPECT_EQ(request(port, false, "GET", "/__admin/clock").header("www-authenticate"), "Bearer");
  auto basic = [](const std::string& pair) { return "Basic " + base64_encode(pair); };
  EXPECT_EQ(request(port, false, "GET", "/__admin/ui", "", {{"Authorization", basic("qa:s3cret")}}).status, 200);
  EXPECT_EQ(request(port, false, "GET", "/__admin/clock", "", {{"Authorization", basic(":s3cret")}}).status, 200);
  EXPECT_EQ(request(port, false, "GET", "/__admin/clock", "", {{"Authorization", basic("qa:wrong")}}).status, 401);
  EXPECT_EQ(request(port, false, "GET", "/__admin/clock", "", {{"Authorization", basic("s3cret")}}).status, 401);
  EXPECT_EQ(request(port, false, "GET", "/__admin/clock", "", {{"Authorization", "Basic %%%"}}).status, 401);
  // Basic is sent by the browser unasked: another origin's page cannot use it to change the world.
  auto foreign = request(port, false, "POST", "/__admin/reset", "",
                         {{"Authorization", basic("qa:s3cret")}, {"Origin", "http://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(request(port, false, "POST", "/__admin/reset", "", {{"Authorization", "Bearer s3cret"}}).status, 200);
}

TEST(ControlRoom, TimelineOfEverySystemWithDaysOff) {
  test_server server;
  auto j = parse_body(
      server
          .admin("GET",
                 "/__admin/availability/timeline?from=2026-12-28T00:00:00%2B09:00&to=2027-01-05T00:00:00%2B09:00")
          .body);
  ASSERT_EQ(j["systems"].size(), server.runtime().world.systems.size());
  bool juki_year_end = false;
  for (const auto& s : j["systems"])
    if (s["system"] == "juki")
      for (const auto& w : s["windows"])
        if (!w["up"].get<bool>() && w["reason"]["message"].get<std::string>().find("年末年始") != std::string::npos)
          juki_year_end = true;
  EXPECT_TRUE(juki_year_end) << j.dump();
  std::set<std::string> off;
  for (const auto& d : j["days_off"]) off.insert(d["date"].get<std::string>() + " " + d["name"].get<std::string>());
  EXPECT_TRUE(off.count("2027-01-01 元日")) << j["days_off"].dump();
  EXPECT_TRUE(off.count("2027-01-02 土曜日")) << j["days_off"].dump();
  EXPECT_FALSE(off.count("2026-12-28 月曜日"));
}

TEST(ControlRoom, RecentProcessesAndOneCardReset) {
  test_server server([](world_config& w) { w.data.portal.processing_delay = std::chrono::milliseconds(1); });
  flow_client flow{&server};
  auto token = flow.access_token("taro");
  auto r = parse(flow.request(token, flow.next_telegram_id(), "Latest"));
  auto pid = r["commonHeader"]["processId"].get<std::string>();
  ASSERT_FALSE(pid.empty()) << r.dump();
  auto list = parse_body(server.admin("GET", "/__admin/processes?limit=5").body);
  ASSERT_EQ(list["processes"].size(), 1u);
  EXPECT_EQ(list["processes"][0]["process_id"], pid);
  EXPECT_EQ(list["processes"][0]["persona"], "taro");
  EXPECT_EQ(server.admin("GET", "/__admin/processes?limit=0").status, 400);
  // The live tail asks for entries without bodies.
  auto tail = parse_body(server.admin("GET", "/__admin/requests?bodies=0&limit=100").body)["requests"];
  ASSERT_FALSE(tail.empty());
  for (const auto& e : tail) EXPECT_FALSE(e.contains("response_body") || e.contains("request_body")) << e.dump();
  auto full = parse_body(server.admin("GET", "/__admin/requests?limit=100").body)["requests"];
  EXPECT_TRUE(full.back().contains("response_body"));
  EXPECT_EQ(server.admin("GET", "/__admin/processes?limit=9999").status, 400);
  // Lock one card with wrong PINs, then put that card alone back.
  flow.authorize("&mynasim_persona=hanako&mynasim_outcome=lock_card");
  flow.authorize("&mynasim_persona=taro&mynasim_outcome=wrong_pin");
  auto personas = [&] {
    std::map<std::string, nlohmann::json> by_id;
    auto all = parse_body(server.admin("GET", "/__admin/personas").body);
    for (auto& p : all["personas"]) by_id[p["id"].get<std::string>()] = p;
    return by_id;
  };
  auto before = personas();
  EXPECT_TRUE(before["hanako"]["locked"].get<bool>());
  EXPECT_EQ(before["taro"]["pin_tries_left"], 2);
  auto serial = before["hanako"]["card_serial"].get<std::string>();
  auto reset = server.admin("POST", "/__admin/cards/" + serial + "/reset");
  EXPECT_EQ(reset.status, 200);
  EXPECT_EQ(parse_body(reset.body)["pin_tries_left"], 3);
  auto after = personas();
  EXPECT_FALSE(after["hanako"]["locked"].get<bool>());
  EXPECT_EQ(after["taro"]["pin_tries_left"], 2);  // the other card is untouched
  EXPECT_EQ(server.admin("POST", "/__admin/cards/NOPE/reset").status, 404);
}

// Every journal entry says when its exchange began as well as when it ended: a hop that waits
// for another begins before it and ends after it, and the start ticket keeps that order where
// the virtual instants are equal. (The control room's sequence diagram draws in this order.)
TEST(Journal, EntriesSayWhenTheirExchangeBegan) {
  notification_receiver app;
  test_server server([&](world_config& w) {
    w.data.portal.processing_delay = std::chrono::milliseconds(0);
    for (auto& c : w.data.connections) c.notification_url = app.url();
  });
  ASSERT_EQ(server.admin("PUT", "/__admin/clock", R"({"frozen":false,"speed":1})").status, 200);
  ASSERT_EQ(server.admin("POST", "/__admin/faults", R"({"kind":"latency","target":"juki","latency_ms":200,"count":1})")
                .status,
            201);
  flow_client flow{&server};
  ASSERT_EQ(flow.run("taro", "Latest")["commonHeader"]["errorCode"], "");
  ASSERT_TRUE(app.wait_for(1, std::chrono::seconds(10)));
  std::map<std::string, nlohmann::json> first;  // by system (requests into the portal: by path)
  for (int i = 0; i < 300 && !first.count("out"); ++i) {
    first.clear();
    auto journal = parse_body(server.admin("GET", "/__admin/requests?limit=500").body);
    for (const auto& e : journal["requests"]) {
      std::string key = e["direction"] == "out"   ? "out"
                        : e["system"] == "portal" ? e["path"].get<std::string>()
                                                  : e["system"].get<std::string>();
      first.emplace(key, e);
      auto started = parse_instant(e["started"].get<std::string>());
      ASSERT_TRUE(started) << e.dump();
      EXPECT_LE(*started, *parse_instant(e["at"].get<std::string>())) << e.dump();
      EXPECT_GT(e["start_seq"].get<std::uint64_t>(), 0u) << e.dump();
    }
    if (!first.count("out")) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(first.count("out") && first.count("network") && first.count("juki") &&
              first.count("/online-resource-web/request"));
  auto began = [&](const char* k) { return *parse_instant(first[k]["started"].get<std::string>()); };
  auto ended = [&](const char* k) { return *parse_instant(first[k]["at"].get<std::string>()); };
  auto ticket = [&](const char* k) { return first[k]["start_seq"].get<std::uint64_t>(); };
  // 住基ネット answered 200 ms late on a running clock: its exchange, and the network's around
  // it, lasted at least that long in virtual time.
  EXPECT_GE(ended("juki") - began("juki"), std::chrono::milliseconds(200));
  EXPECT_GE(ended("network") - began("network"), std::chrono::milliseconds(200));
  EXPECT_LE(began("network"), began("juki"));
  EXPECT_LT(ticket("network"), ticket("juki"));
  EXPECT_GT(first["network"]["seq"].get<std::uint64_t>(), first["juki"]["seq"].get<std::uint64_t>());  // ended after
  EXPECT_LT(ticket("/online-resource-web/request"), ticket("network"));
  EXPECT_LT(ticket("network"), ticket("out"));
  EXPECT_LE(began("network"), began("out"));
}

// The portal screens' style sheet is fetched with every screen: found, it is not journaled; a
// fetch that fails is, like any failing request. The pages themselves are.
TEST(Journal, LeavesOutTheScreensStyleSheetButNotAFailedFetch) {
  test_server server;
  auto app = server.port("app");
  EXPECT_EQ(request(app, true, "GET", server.base() + "/").status, 200);
  EXPECT_EQ(request(app, true, "GET", server.base() + "/online-authorization-web/assets/portal.css").status, 200);
  EXPECT_EQ(request(app, true, "GET", server.base() + "/online-authorization-web/assets/missing.css").status, 404);
  std::vector<std::string> seen;
  auto journal = parse_body(server.admin("GET", "/__admin/requests?limit=100").body);
  for (const auto& e : journal["requests"])
    seen.push_back(e["path"].get<std::string>() + " " + std::to_string(e["status"].get<int>()));
  EXPECT_EQ(seen, (std::vector<std::string>{"/ 200", "/online-authorization-web/assets/missing.css 404"}));
}

TEST(ControlRoom, ScenariosListsTheShippedFiles) {
  test_server server;
  auto j = parse_body(server.admin("GET", "/__admin/scenarios").body);
  std::set<std::string> names(j["available"].begin(), j["available"].end());
  EXPECT_TRUE(names.count("year-end-juki.yaml")) << j.dump();
}

}  // namespace
}  // namespace mynasim::test
