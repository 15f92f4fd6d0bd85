// SPDX-License-Identifier: Apache-2.0
// Hardening round 3 (issue 26): shared paths one user must not be able to hold for everyone.
// Name lookups of the HTTP client (one name whose resolver never answers fails only the
// requests to that name; numeric hosts are never looked up), and the shared virtual clock that
// conformance runs move (one clock-moving test at a time, a QA change made meanwhile wins).
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/http_client.hpp"
#include "net/server.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

// A name lookup a test controls: `hung.example` blocks until released, every other name is
// 127.0.0.1; every call is counted by name.
struct scripted_lookup {
  std::mutex mutex;
  std::condition_variable changed;
  bool released = false;
  std::map<std::string, int> calls;

  name_lookup_result operator()(const std::string& host) {
    std::unique_lock lock(mutex);
    ++calls[host];
    changed.notify_all();
    if (host == "hung.example") changed.wait(lock, [this] { return released; });
    return {{"127.0.0.1"}, ""};
  }
  int count(const std::string& host) {
    std::lock_guard lock(mutex);
    return calls[host];
  }
  bool wait_called(const std::string& host) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return calls[host] > 0; });
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
};

// A plain listener on 127.0.0.1 answering 200 "ok", reached over real TCP (no in-memory hops).
class name_lookup_rig {
 public:
  name_lookup_rig()
      : server_(
            [] {
              server_settings s;
              s.threads = 2;
              s.in_memory_hops = false;
              return s;
            }(),
            [](http_request&, const respond_fn& respond) { respond(http_response::text(200, "ok")); }) {
    listen_settings plain;
    plain.name = "plain";
    port_ = std::to_string(server_.listen(plain));
    server_.start();
    client_ =
        std::make_unique<http_client>(server_, [lookup = lookup_](const std::string& host) { return (*lookup)(host); });
  }
  ~name_lookup_rig() {
    lookup_->release();  // a lookup thread still held lets go before the client joins it
    client_.reset();
    server_.shutdown();
    server_.join();
  }
  name_lookup_rig(const name_lookup_rig&) = delete;
  name_lookup_rig& operator=(const name_lookup_rig&) = delete;

  std::future<client_result> get(const std::string& host, std::chrono::milliseconds timeout) {
    client_request r;
    r.method = "GET";
    r.url = "http://" + host + ":" + port_ + "/";
    r.timeout = timeout;
    auto answer = std::make_shared<std::promise<client_result>>();
    auto future = answer->get_future();
    client_->send(std::move(r), [answer](client_result result) { answer->set_value(std::move(result)); });
    return future;
  }
  scripted_lookup& lookup() { return *lookup_; }

 private:
  std::shared_ptr<scripted_lookup> lookup_ = std::make_shared<scripted_lookup>();
  http_server server_;
  std::string port_;
  std::unique_ptr<http_client> client_;
};

// Item 13: a notification host whose resolver never answered held Asio's single resolver
// thread, and another service's request to 127.0.0.1 then failed "resolve 127.0.0.1:
// Operation canceled".
TEST(NameLookup, AHungNameFailsOnlyItsOwnRequestsAtTheirDeadline) {
  name_lookup_rig rig;
  auto hung = rig.get("hung.example", 1500ms);
  ASSERT_TRUE(rig.lookup().wait_called("hung.example"));
  // While that lookup is held: a numeric host is served, and never looked up.
  auto numeric = rig.get("127.0.0.1", 10s).get();
  EXPECT_EQ(numeric.status, 200) << numeric.error;
  EXPECT_EQ(numeric.body, "ok");
  // Another name is looked up on another thread and served too.
  auto other = rig.get("other.example", 10s).get();
  EXPECT_EQ(other.status, 200) << other.error;
  // A second request for the hung name joins the lookup in flight, and fails at its own deadline.
  auto again = rig.get("hung.example", 300ms).get();
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(again.error, "resolve hung.example: no answer within 300 ms");
  auto first = hung.get();
  EXPECT_EQ(first.status, 0);
  EXPECT_EQ(first.error, "resolve hung.example: no answer within 1500 ms");
  EXPECT_EQ(rig.lookup().count("hung.example"), 1);  // one lookup per name in flight
  EXPECT_EQ(rig.lookup().count("other.example"), 1);
  EXPECT_EQ(rig.lookup().count("127.0.0.1"), 0);
  // Once the lookup answers, the name works (and is remembered).
  rig.lookup().release();
  auto later = rig.get("hung.example", 10s).get();
  EXPECT_EQ(later.status, 200) << later.error;
}

TEST(NameLookup, NumericHostsAreNeverLookedUp) {
  name_lookup_rig rig;
  for (const char* host : {"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"}) {
    auto r = rig.get(host, 10s).get();
    EXPECT_EQ(r.error.rfind("resolve", 0), std::string::npos) << host << ": " << r.error;
  }
  EXPECT_EQ(rig.get("127.0.0.1", 10s).get().status, 200);
  std::lock_guard lock(rig.lookup().mutex);
  EXPECT_TRUE(rig.lookup().calls.empty());
}

nlohmann::json body_of(const client_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

std::string clock_now(test_server& server) {
  return body_of(server.admin("GET", "/__admin/clock")).value("now", "");
}

std::string start_year_end(test_server& server, const std::string& client_id) {
  auto started = server.admin("POST", "/__admin/conformance/runs",
                              R"({"client_id":")" + client_id + R"(","plan":"juki-year-end"})");
  EXPECT_EQ(started.status, 201) << started.body;
  return body_of(started).value("id", "");
}

// Polls a run until its juki-year-end test has begun (~20 s at most); the run's last status.
nlohmann::json wait_begun(test_server& server, const std::string& id) {
  nlohmann::json run;
  for (int i = 0; i < 200; ++i) {
    run = body_of(server.admin("GET", "/__admin/conformance/runs/" + id));
    if (run["current"].is_object() && run["current"].value("state", "") == "waiting") break;
    std::this_thread::sleep_for(100ms);
  }
  return run;
}

// Item 14: two juki-year-end runs cancelled in start order left the clock inside the year-end
// stop (each put back the clock it saw, which the other had already moved).
TEST(ConformanceClock, TwoYearEndRunsCancelledInStartOrderLeaveTheClockWhereItWas) {
  test_server server;
  const auto before = clock_now(server);
  auto a = start_year_end(server, "SP00000086_AA0003");
  const auto moved = clock_now(server);
  EXPECT_EQ(moved.substr(0, 10), "2026-12-29");
  // The second run's test waits for the clock (no current test yet, so no instruction).
  auto b = start_year_end(server, "SP00000086_AA0004");
  auto waiting = body_of(server.admin("GET", "/__admin/conformance/runs/" + b));
  EXPECT_TRUE(waiting["current"].is_null()) << waiting;
  EXPECT_NE(waiting["tests"][0].value("detail", "").find("waiting for the shared virtual clock: " + a),
            std::string::npos)
      << waiting;
  EXPECT_EQ(clock_now(server), moved);
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/" + a).status, 200);
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/" + b).status, 200);
  EXPECT_EQ(clock_now(server), before);
}

TEST(ConformanceClock, TheWaitingTestBeginsOnceTheClockIsFreeAndPutsItBack) {
  test_server server;
  const auto before = clock_now(server);
  auto a = start_year_end(server, "SP00000086_AA0003");
  auto b = start_year_end(server, "SP00000086_AA0004");
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/" + a).status, 200);
  auto run = wait_begun(server, b);
  ASSERT_TRUE(run["current"].is_object()) << run;
  EXPECT_EQ(run["current"]["name"], "juki-year-end");
  EXPECT_EQ(run["current"]["detail"], "");
  EXPECT_EQ(clock_now(server).substr(0, 10), "2026-12-29");
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/" + b).status, 200);
  EXPECT_EQ(clock_now(server), before);
}

TEST(ConformanceClock, AClockChangeMadeDuringTheTestIsKept) {
  test_server server;
  auto a = start_year_end(server, "SP00000086_AA0003");
  EXPECT_EQ(clock_now(server).substr(0, 10), "2026-12-29");
  server.set_clock("2027-03-01T09:00:00+09:00");  // QA moves the clock while the test runs
  const auto chosen = clock_now(server);
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/" + a).status, 200);
  EXPECT_EQ(clock_now(server), chosen);
  // The clock is free again: the next clock-moving test moves it and puts back QA's instant.
  auto b = start_year_end(server, "SP00000086_AA0004");
  EXPECT_NE(clock_now(server), chosen);
  EXPECT_EQ(server.admin("DELETE", "/__admin/conformance/runs/" + b).status, 200);
  EXPECT_EQ(clock_now(server), chosen);
}

}  // namespace
}  // namespace mynasim::test
