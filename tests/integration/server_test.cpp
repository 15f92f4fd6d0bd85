// SPDX-License-Identifier: Apache-2.0
// The transport against bad input: every case talks to the real server over TCP/TLS and
// then checks the server still serves others.
#include <thread>

#include <gtest/gtest.h>

#include "test_server.hpp"

namespace mynasim::test {
namespace {

using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test_server(); }
  static void TearDownTestSuite() { delete server_; }

  static void expect_still_serving() {
    EXPECT_EQ(request(server_->port("admin"), false, "GET", "/healthz").status, 200);
    EXPECT_EQ(request(server_->port("app"), true, "GET", "/healthz").status, 200);
  }

  static inline test_server* server_ = nullptr;
};

TEST_F(ServerTest, HealthAndReadinessOnEveryListener) {
  for (const char* listener : {"app", "sp"}) {
    for (const char* path : {"/healthz", "/readyz"}) {
      auto res = request(server_->port(listener), true, "GET", path);
      EXPECT_EQ(res.status, 200) << listener << path;
      EXPECT_NE(res.body.find(listener), std::string::npos);
    }
  }
  for (const char* listener : {"admin", "systems"})
    EXPECT_EQ(request(server_->port(listener), false, "GET", "/readyz").status, 200) << listener;
  auto health = request(server_->port("admin"), false, "GET", "/__admin/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"virtual_time\":\"2026-11-27T10:00:00+09:00\""), std::string::npos) << health.body;
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto c = connection::open(server_->port("app"), true);
  ASSERT_TRUE(c->connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->send(build_request("GET", "/healthz")));
    auto res = c->read_response();
    ASSERT_TRUE(res) << i;
    EXPECT_EQ(res->status, 200);
    EXPECT_FALSE(res->header("x-request-id").empty());
  }
}

TEST_F(ServerTest, MalformedRequestLineGets400AndClose) {
  for (const char* garbage :
       {"GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/9.9.9\r\n\r\n", "\x01\x02\x03 / HTTP/1.1\r\n\r\n"}) {
    auto c = connection::open(server_->port("admin"), false);
    ASSERT_TRUE(c->send(garbage));
    auto res = c->read_response();
    ASSERT_TRUE(res) << garbage;
    EXPECT_EQ(res->status, 400) << garbage;
    EXPECT_NE(res->body.find("bad_request"), std::string::npos);
    EXPECT_TRUE(c->wait_closed(2s));
  }
  expect_still_serving();
}

TEST_F(ServerTest, MalformedHeaderGets400) {
  auto c = connection::open(server_->port("app"), true);
  ASSERT_TRUE(c->send("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n"));
  auto res = c->read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  c = connection::open(server_->port("app"), true);
  ASSERT_TRUE(c->send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"));
  res = c->read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  expect_still_serving();
}

TEST_F(ServerTest, OversizedBodyGets413) {
  auto c = connection::open(server_->port("admin"), false);
  std::string head = "PUT /__admin/clock HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n";
  ASSERT_TRUE(c->send(head + std::string(70 * 1024, 'a')));
  auto res = c->read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->header("content-type"), "application/json; charset=utf-8");
  expect_still_serving();
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  auto res = request(server_->port("app"), true, "GET", "/healthz", "", {{"X-Big", std::string(10 * 1024, 'x')}});
  EXPECT_EQ(res.status, 431);
  expect_still_serving();
}

TEST_F(ServerTest, SlowClientIsCutOffAtTheReadDeadline) {
  // read_timeout is 800 ms in the test world; one byte every 300 ms never completes a request.
  auto c = connection::open(server_->port("admin"), false);
  std::string req = build_request("GET", "/__admin/health");
  bool cut = false;
  for (std::size_t i = 0; i < req.size() && i < 20; ++i) {
    if (!c->send(req.substr(i, 1))) {
      cut = true;
      break;
    }
    if (c->wait_closed(300ms)) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut) << "the server kept a slow client past its read deadline";
  expect_still_serving();
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterTheDeadline) {
  auto c = connection::open(server_->port("admin"), false);
  EXPECT_TRUE(c->wait_closed(3s));
}

TEST_F(ServerTest, GarbageInsteadOfTlsHandshakeClosesTheConnection) {
  auto c = connection::open(server_->port("sp"), false);
  ASSERT_TRUE(c->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(c->wait_closed(3s));
  auto c2 = connection::open(server_->port("app"), false);
  ASSERT_TRUE(c2->send(std::string("\x16\x03\x01\x00\x05hello", 10)));
  EXPECT_TRUE(c2->wait_closed(3s));
  expect_still_serving();
}

TEST_F(ServerTest, TlsClientThatNeverHandshakesIsCutOff) {
  auto c = connection::open(server_->port("app"), false);
  EXPECT_TRUE(c->wait_closed(3s));
}

TEST_F(ServerTest, UnknownRoutesAndMethodsGetJsonErrors) {
  auto res = request(server_->port("admin"), false, "GET", "/__admin/nothing-here");
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("\"error\":\"not_found\""), std::string::npos);
  res = request(server_->port("admin"), false, "DELETE", "/__admin/clock");
  EXPECT_EQ(res.status, 405);
  EXPECT_NE(res.header("allow").find("GET"), std::string::npos);
}

TEST_F(ServerTest, ManyConcurrentClientsAreServed) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      auto c = connection::open(server_->port("app"), true);
      for (int i = 0; i < 20; ++i) {
        if (!c->send(build_request("GET", "/healthz"))) return;
        auto res = c->read_response();
        if (res && res->status == 200) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST(MutualTls, SpListenerRequiresAClientCertificateFromTheCa) {
  test_server server([](world_config& w) { w.server.sp.tls.require_client_cert = true; });
  auto without = connection::open(server.port("sp"), true);
  bool refused =
      !without->connected() || !without->send(build_request("GET", "/healthz")) || !without->read_response(2s);
  EXPECT_TRUE(refused);
  auto dir = test_certs_dir();
  auto with = request(server.port("sp"), true, "GET", "/healthz", "", {}, {dir + "/client.crt", dir + "/client.key"});
  EXPECT_EQ(with.status, 200);
  // A certificate the CA did not sign (the server's own key pair is not a client cert of the CA chain
  // for clientAuth) is refused as well.
  auto wrong = connection::open(server.port("sp"), true, {dir + "/app.crt", dir + "/app.key"});
  bool wrong_refused =
      !wrong->connected() || !wrong->send(build_request("GET", "/healthz")) || !wrong->read_response(2s);
  EXPECT_TRUE(wrong_refused);
}

TEST(AdminToken, RequiredBeyondLoopbackAndEnforced) {
  app_options no_token;
  no_token.admin_host = "0.0.0.0";
  EXPECT_THROW(test_server({}, no_token), startup_error);
  app_options with_token;
  with_token.admin_token = "s3cret";
  test_server server({}, with_token);
  auto res = request(server.port("admin"), false, "GET", "/__admin/clock");
  EXPECT_EQ(res.status, 401);
  res = request(server.port("admin"), false, "GET", "/__admin/clock", "", {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(request(server.port("admin"), false, "GET", "/healthz").status, 200);
}

TEST(OnlySubset, RunsOnlyTheNamedSystems) {
  app_options only;
  only.only = {"japan-pension", "juki"};
  test_server server({}, only);
  EXPECT_EQ(server.port("app"), 0);  // no portal in this process
  EXPECT_NE(server.port("systems"), 0);
  EXPECT_EQ(request(server.port("systems"), false, "GET", "/systems/juki/healthz").status, 200);
  EXPECT_EQ(request(server.port("systems"), false, "GET", "/systems/municipal/healthz").status, 404);
  app_options bad;
  bad.only = {"nowhere"};
  EXPECT_THROW(test_server({}, bad), startup_error);
}

}  // namespace
}  // namespace mynasim::test
