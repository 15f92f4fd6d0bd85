// SPDX-License-Identifier: Apache-2.0
// The kiosk-terminal flow (guideline §3) with simulated JPKI cards and real signatures.
#include <atomic>
#include <cerrno>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow_client.hpp"
#include "jpki/jpki.hpp"
#include "process.hpp"

namespace mynasim::test {
namespace {

class Kiosk : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test_server>(
        [](world_config& w) { w.data.portal.processing_delay = std::chrono::milliseconds(10); });
    flow_.server = server_.get();
  }
  nlohmann::json post_sp(const std::string& path, const nlohmann::json& body, int* status = nullptr) {
    auto r =
        test::request(server_->port("sp"), true, "POST", path, body.dump(), {{"Content-Type", "application/json"}});
    if (status) *status = r.status;
    return parse(r);
  }
  std::string new_challenge(const std::string& client = "SP00000086_AA0003") {
    return post_sp("/online-kiosk-web/challenge", {{"client_id", client}})["challenge"].get<std::string>();
  }
  client_response card_sign(const std::string& serial, const std::string& pin, const std::string& challenge) {
    return test::request(server_->port("systems"), false, "POST", "/virtual-card/" + serial + "/sign",
                         nlohmann::json{{"pin", pin}, {"challenge", challenge}}.dump());
  }
  nlohmann::json token(const std::string& challenge, const std::string& certificate, const std::string& signature,
                       int* status = nullptr) {
    return post_sp("/online-kiosk-web/token",
                   {{"client_id", "SP00000086_AA0003"},
                    {"challenge", challenge},
                    {"certificate", certificate},
                    {"signature", signature}},
                   status);
  }
  // Card in the terminal, PIN entered, challenge signed: the token bound to that card.
  nlohmann::json authenticate(const std::string& serial, const std::string& pin) {
    auto c = new_challenge();
    auto signed_by_card = parse(card_sign(serial, pin, c));
    return token(c, signed_by_card["certificate"], signed_by_card["signature"]);
  }
  std::string code_of(const char* key) { return server_->runtime().data.get()->errors.at(key).code; }

  std::unique_ptr<test_server> server_;
  flow_client flow_;
};

TEST_F(Kiosk, AWholeTransaction) {
  auto t = authenticate("MC00000001", "1234");
  ASSERT_TRUE(t.contains("access_token")) << t;
  flow_.extra_headers = {{"X-Kiosk-Card-Sha256", t["card_sha256"]}};
  auto telegram = flow_.next_telegram_id();
  auto accepted = parse(flow_.request(t["access_token"], telegram, "Date=20250701"));
  ASSERT_EQ(accepted["commonHeader"]["errorCode"], "") << accepted;
  auto r = parse(flow_.wait_result(t["access_token"], telegram, accepted["commonHeader"]["processId"]));
  auto data = nlohmann::json::parse(r["selfPersonalDataProvisionInfo"]["selfPersonalData"].get<std::string>());
  auto income = data[0]["神奈川県川崎市"]["地方税関係情報"][0];
  EXPECT_EQ(income["課税年度"], "2025");  // figure 3.3-6: 課税年度, 給与収入額, 公的年金等収入額, 事業所得額
  EXPECT_EQ(income["給与収入額"], "6000000");
  EXPECT_EQ(income["公的年金等収入額"], "500000");
  EXPECT_EQ(income["事業所得額"], "0");
}

TEST_F(Kiosk, ThreeWrongPinsLockTheCardAndItStaysLocked) {
  auto c = new_challenge();
  auto first = card_sign("MC00000002", "0000", c);
  EXPECT_EQ(first.status, 403);
  EXPECT_EQ(parse(first)["tries_left"], 2);
  EXPECT_EQ(card_sign("MC00000002", "0000", c).status, 403);
  EXPECT_EQ(card_sign("MC00000002", "0000", c).status, 423);
  EXPECT_EQ(card_sign("MC00000002", "2222", c).status, 423);  // the right PIN no longer helps
  // The same card is locked for the web flow too.
  EXPECT_EQ(query_value(flow_.authorize("&mynasim_persona=hanako").header("location"), "error_code"),
            code_of("card_locked"));
}

TEST_F(Kiosk, ExpiredAndRevokedCertificatesAreRefused) {
  auto expired = authenticate("MC00000005", "5555");
  EXPECT_EQ(expired["errorCode"], code_of("certificate_expired")) << expired;
  auto revoked = authenticate("MC00000007", "7777");
  EXPECT_EQ(revoked["errorCode"], code_of("certificate_revoked")) << revoked;
  // A valid card expires when the virtual clock passes its notAfter (4 years ahead).
  server_->admin("POST", "/__admin/clock/advance", R"({"by":"P1500D"})");
  auto later = authenticate("MC00000001", "1234");
  EXPECT_EQ(later["errorCode"], code_of("certificate_expired")) << later;
}

TEST_F(Kiosk, SignaturesFromAnotherCardOrOverAnotherChallengeAreRefused) {
  auto c = new_challenge();
  auto taro = parse(card_sign("MC00000001", "1234", c));
  auto hanako = parse(card_sign("MC00000002", "2222", c));
  EXPECT_EQ(token(c, taro["certificate"], hanako["signature"])["errorCode"], code_of("kiosk_bad_signature"));
  auto c2 = new_challenge();
  auto other = parse(card_sign("MC00000001", "1234", new_challenge()));
  EXPECT_EQ(token(c2, other["certificate"], other["signature"])["errorCode"], code_of("kiosk_bad_signature"));
}

TEST_F(Kiosk, ATokenIsRefusedWithADifferentCard) {
  auto t = authenticate("MC00000001", "1234");
  auto other = authenticate("MC00000003", "3333");
  flow_.extra_headers = {{"X-Kiosk-Card-Sha256", other["card_sha256"]}};
  auto r = flow_.request(t["access_token"], flow_.next_telegram_id(), "Latest");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(parse(r)["commonHeader"]["errorCode"], code_of("kiosk_card_mismatch"));
  flow_.extra_headers.clear();  // no card at all
  EXPECT_EQ(parse(flow_.request(t["access_token"], flow_.next_telegram_id(), "Latest"))["commonHeader"]["errorCode"],
            code_of("kiosk_card_mismatch"));
}

TEST_F(Kiosk, ChallengesAreSingleUseAndExpire) {
  auto c = new_challenge();
  auto s = parse(card_sign("MC00000001", "1234", c));
  EXPECT_TRUE(token(c, s["certificate"], s["signature"]).contains("access_token"));
  EXPECT_EQ(token(c, s["certificate"], s["signature"])["errorCode"], code_of("kiosk_invalid_challenge"));
  auto late = new_challenge();
  auto s2 = parse(card_sign("MC00000001", "1234", late));
  server_->admin("POST", "/__admin/clock/advance", R"({"by":"PT2M1S"})");
  EXPECT_EQ(token(late, s2["certificate"], s2["signature"])["errorCode"], code_of("kiosk_invalid_challenge"));
  // A challenge issued to another service does not work for this one.
  auto foreign = new_challenge("SP00000123_BB0001");
  auto s3 = parse(card_sign("MC00000001", "1234", foreign));
  EXPECT_EQ(token(foreign, s3["certificate"], s3["signature"])["errorCode"], code_of("kiosk_invalid_challenge"));
}

TEST_F(Kiosk, BadInputGetsClearErrors) {
  auto valid = parse(card_sign("MC00000001", "1234", new_challenge()));
  std::string cert = valid["certificate"];
  auto fresh = [&] { return new_challenge(); };
  auto c = fresh();
  auto sig = parse(card_sign("MC00000001", "1234", c))["signature"].get<std::string>();
  EXPECT_EQ(token(c, cert, "not base64!")["errorCode"], code_of("kiosk_bad_signature"));
  c = fresh();
  sig = parse(card_sign("MC00000001", "1234", c))["signature"].get<std::string>();
  EXPECT_EQ(token(c, cert, sig.substr(0, sig.size() / 2))["errorCode"], code_of("kiosk_bad_signature"));  // truncated
  EXPECT_EQ(token(fresh(), "not a certificate", sig)["errorCode"], code_of("kiosk_bad_certificate"));
  EXPECT_EQ(token(fresh(), "AAAA", sig)["errorCode"], code_of("kiosk_bad_certificate"));
  std::ifstream other_ca(test_certs_dir() + "/client.crt");  // signed by the TLS dev CA, not JPKI
  std::string foreign((std::istreambuf_iterator<char>(other_ca)), std::istreambuf_iterator<char>());
  EXPECT_EQ(token(fresh(), foreign, sig)["errorCode"], code_of("kiosk_untrusted_certificate"));
  int status = 0;
  post_sp("/online-kiosk-web/token", {{"nonsense", true}}, &status);
  EXPECT_EQ(status, 400);
  auto raw = test::request(server_->port("sp"), true, "POST", "/online-kiosk-web/challenge", "{{{");
  EXPECT_EQ(raw.status, 400);
  EXPECT_EQ(card_sign("NOCARD", "1234", fresh()).status, 404);
  EXPECT_EQ(card_sign("MC00000001", "1234", "%%%").status, 400);
  EXPECT_EQ(test::request(server_->port("sp"), true, "GET", "/healthz").status, 200);
}

TEST_F(Kiosk, CliCardSignProducesASignatureThePortalAccepts) {
  std::string fixtures = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  auto world = std::filesystem::temp_directory_path() / ("kiosk-world-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(world) << "include: [" << fixtures << "calendar.yaml, " << fixtures << "systems.yaml, " << fixtures
                       << "items.yaml, " << fixtures << "services.yaml, " << fixtures << "personas.yaml]\n"
                       << "server: {certs_dir: " << test_certs_dir() << "}\n";
  auto c = new_challenge();
  auto r = run_mynasim(
      {"card", "sign", "--serial", "MC00000008", "--pin", "8888", "--challenge", c, "--config", world.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto signed_by_cli = nlohmann::json::parse(r.out);
  EXPECT_TRUE(token(c, signed_by_cli["certificate"], signed_by_cli["signature"]).contains("access_token"));
  auto wrong = run_mynasim(
      {"card", "sign", "--serial", "MC00000008", "--pin", "0000", "--challenge", c, "--config", world.string()});
  EXPECT_EQ(wrong.exit_code, 3);
  EXPECT_NE(wrong.err.find("2 tries left"), std::string::npos) << wrong.err;
  EXPECT_EQ(run_mynasim({"card", "sign", "--serial", "MC00000008", "--pin", "8888", "--challenge", c, "--config",
                         world.string()})
                .exit_code,
            0);
  std::filesystem::remove(world);
}

}  // namespace
}  // namespace mynasim::test

#ifdef MYNASIM_NODE
namespace mynasim::test {
namespace {

// The sample terminal of examples/ completes a transaction against the real server.
TEST(KioskSampleTerminal, CompletesATransaction) {
  test_server server([](world_config& w) { w.data.portal.processing_delay = std::chrono::milliseconds(10); });
  std::string cmd = std::string(MYNASIM_NODE) + " " + MYNASIM_SOURCE_DIR +
                    "/examples/kiosk-terminal/terminal.mjs --auto" +
                    " --serial MC00000001 --pin 1234 --condition Date=20250701" +
                    " --sp https://localhost:" + std::to_string(server.port("sp")) +
                    " --systems http://127.0.0.1:" + std::to_string(server.port("systems")) + " --ca " +
                    test_certs_dir() + "/ca.crt 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << out;
  }
  EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
  EXPECT_NE(out.find("給与収入額"), std::string::npos) << out;
}

// Runs `cmd`, collecting its output; `seen` turns true once the output holds `watch`.
std::string run_shell(const std::string& cmd, int& status, const std::string& watch = "",
                      std::atomic<bool>* seen = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  // read(2), not fread: what the command has written so far, as soon as it is written.
  for (ssize_t n; (n = ::read(::fileno(p), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR);) {
    if (n < 0) continue;
    out.append(buf, static_cast<std::size_t>(n));
    if (seen && out.find(watch) != std::string::npos) *seen = true;
  }
  status = ::pclose(p);
  return out;
}

// Started before the simulator, the terminal waits for it; with nothing to wait for, it says
// so in one line instead of a stack trace.
TEST(KioskSampleTerminal, WaitsForTheServerAndFailsCleanlyWithout) {
  auto sp = unused_loopback_port(), systems = unused_loopback_port();
  auto terminal =
      std::string(MYNASIM_NODE) + " " + MYNASIM_SOURCE_DIR + "/examples/kiosk-terminal/terminal.mjs --auto" +
      " --serial MC00000001 --pin 1234 --condition Date=20250701 --sp https://localhost:" + std::to_string(sp) +
      " --systems http://127.0.0.1:" + std::to_string(systems) + " --ca " + test_certs_dir() + "/ca.crt";
  int status = 0;
  auto out = run_shell(terminal + " --wait 1 2>&1", status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("mynasim に接続できません"), std::string::npos) << out;
  EXPECT_EQ(out.find("    at "), std::string::npos) << out;  // no stack trace
  std::string late;
  std::atomic<bool> waiting{false};
  std::thread t([&] { late = run_shell(terminal + " --wait 20 2>&1", status, "を待っています", &waiting); });
  // The server starts once the terminal is waiting for it, however long node takes to start.
  for (int i = 0; i < 150 && !waiting; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    test_server server([&](world_config& w) {
      w.data.portal.processing_delay = std::chrono::milliseconds(10);
      w.server.sp.port = sp;
      w.server.systems.port = systems;
    });
    t.join();
  }
  EXPECT_EQ(status, 0) << late;
  EXPECT_NE(late.find("を待っています"), std::string::npos) << late;
  EXPECT_NE(late.find("\"ok\":true"), std::string::npos) << late;
}

// At a terminal (a pseudo-terminal here, from util-linux's `script`), the PIN typed is never
// shown, and the end of input leaves the screens with exit status 0 and no error.
TEST(KioskSampleTerminal, DoesNotEchoThePinAndEndsCleanlyOnEndOfInput) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "util-linux `script` is not installed";
  test_server server([](world_config& w) { w.data.portal.processing_delay = std::chrono::milliseconds(10); });
  auto terminal = std::string(MYNASIM_NODE) + " " + MYNASIM_SOURCE_DIR +
                  "/examples/kiosk-terminal/terminal.mjs --sp https://localhost:" + std::to_string(server.port("sp")) +
                  " --systems http://127.0.0.1:" + std::to_string(server.port("systems")) + " --ca " +
                  test_certs_dir() + "/ca.crt";
  // Keys arrive as a person types them: after each screen is up.
  std::string keys =
      "(sleep 1.5; printf '\\r'; sleep 0.5; printf '1\\r'; sleep 0.5; printf 'y\\r'; sleep 0.5;"
      " printf 'MC00000002\\r'; sleep 1; printf '9876\\r'; sleep 1.5)";
  int status = 0;
  auto out = run_shell(keys + " | script -qec \"" + terminal + "\" /dev/null 2>&1", status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("PIN >"), std::string::npos) << out;
  EXPECT_NE(out.find("暗証番号が違います"), std::string::npos) << out;
  EXPECT_EQ(out.find("9876"), std::string::npos) << out;
  EXPECT_NE(out.find("入力が終わりました"), std::string::npos) << out;
  EXPECT_EQ(out.find("    at "), std::string::npos) << out;
}

}  // namespace
}  // namespace mynasim::test
#endif
