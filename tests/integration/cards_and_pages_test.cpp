// SPDX-License-Identifier: Apache-2.0
// Hardening round 3 (issue 26), items 3–6: the simulated cards, the virtual card's key work,
// /metrics labels and the landing page, against the real server. None of them may be turned
// by one caller against the others: a stranger's wrong PINs lock the card for the stranger
// only; new cards' keys are issued off the I/O threads and a flood is refused past its
// bound; junk names cost /metrics nothing; the landing page stays small in a big world.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "flow_client.hpp"
#include "jpki/jpki.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string hanako_card = "MC00000002";

// A copy of the default world's files in a directory of its own, removed at the end.
class world_dir {
 public:
  explicit world_dir(const std::string& name)
      : dir_(fs::temp_directory_path() / ("mynasim-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(fs::path(MYNASIM_SOURCE_DIR) / "fixtures"))
      if (e.is_regular_file()) fs::copy_file(e.path(), dir_ / e.path().filename());
  }
  ~world_dir() { fs::remove_all(dir_); }
  world_dir(const world_dir&) = delete;
  world_dir& operator=(const world_dir&) = delete;

  fs::path path(const std::string& file) const { return dir_ / file; }
  std::string read(const std::string& file) const {
    std::ifstream in(path(file));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void write(const std::string& file, const std::string& text) const { std::ofstream(path(file)) << text; }
  // The test certificates without the JPKI directory: every card's key is issued anew.
  std::string fresh_certs_dir() const {
    auto certs = dir_ / "certs";
    fs::create_directories(certs);
    for (const auto& e : fs::directory_iterator(test_certs_dir()))
      if (e.is_regular_file() && e.path().filename() != ".lock")
        fs::copy_file(e.path(), certs / e.path().filename(), fs::copy_options::overwrite_existing);
    return certs.string();
  }

 private:
  fs::path dir_;
};

std::string base64_of(const std::string& bytes) {
  return base64_encode(bytes);
}

client_response sign(test_server& s, const std::string& serial, const std::string& pin, const std::string& challenge,
                     const std::string& from = "") {
  auto body = nlohmann::json{{"pin", pin}, {"challenge", challenge}}.dump();
  auto target = "/virtual-card/" + serial + "/sign";
  if (from.empty()) return request(s.port("systems"), false, "POST", target, body);
  auto c = connection::open_from(s.port("systems"), false, from);
  if (!c->connected() || !c->send(build_request("POST", target, body))) return {};
  return c->read_response(10s).value_or(client_response{});
}

std::string kiosk_challenge(test_server& s, const std::string& client) {
  auto r = request(s.port("sp"), true, "POST", "/online-kiosk-web/challenge",
                   nlohmann::json{{"client_id", client}}.dump(), {{"Content-Type", "application/json"}});
  return parse(r).value("challenge", "");
}

// --- Item 3: who may use the virtual card, and what a wrong PIN locks -----------------------

// A stranger's three wrong PINs on the anonymous sign endpoint lock the card for the
// stranger (its source address) only: the real flows of every service still authorize
// with the right PIN.
TEST(CardsAndPages, AStrangersWrongPinsLockTheCardForTheStrangerOnly) {
  test_server server;
  const auto junk = base64_of("any bytes a stranger wants signed");
  EXPECT_EQ(sign(server, hanako_card, "0000", junk).status, 403);
  EXPECT_EQ(sign(server, hanako_card, "0000", junk).status, 403);
  auto third = sign(server, hanako_card, "0000", junk);
  EXPECT_EQ(third.status, 423);
  EXPECT_EQ(sign(server, hanako_card, "2222", junk).status, 423);  // locked for the stranger

  // The web flow of any service: hanako's card still takes the right PIN.
  flow_client qa{&server};
  EXPECT_FALSE(qa.authorize_code("hanako").empty());
  flow_client other{&server};
  other.client_id = "SP00000123_BB0001";
  EXPECT_FALSE(other.authorize_code("hanako").empty());
  // The kiosk flow of a service, from the same address: its tries are the service's.
  auto c = kiosk_challenge(server, "SP00000086_AA0003");
  auto signed_by_card = sign(server, hanako_card, "2222", c);
  ASSERT_EQ(signed_by_card.status, 200) << signed_by_card.body;
  // Another terminal (source address) has all its tries.
  auto elsewhere = sign(server, hanako_card, "0000", junk, "127.0.0.2");
  EXPECT_EQ(elsewhere.status, 403);
  EXPECT_EQ(parse(elsewhere)["tries_left"], 2);
}

// The web flow counts per service: one service's lock does not reach another's flow.
TEST(CardsAndPages, AServicesWrongPinsLockTheCardForThatServiceOnly) {
  test_server server;
  flow_client a{&server};
  EXPECT_EQ(
      query_value(a.authorize("&mynasim_persona=hanako&mynasim_outcome=lock_card").header("location"), "error_code"),
      server.runtime().data.get()->errors.at("card_locked").code);
  EXPECT_TRUE(a.authorize_code("hanako").empty());  // stays locked for this service
  flow_client b{&server};
  b.client_id = "SP00000123_BB0001";
  EXPECT_FALSE(b.authorize_code("hanako").empty());
  // The kiosk flow of the locked service is locked too; an admin reset unlocks for everyone.
  auto c = kiosk_challenge(server, "SP00000086_AA0003");
  EXPECT_EQ(sign(server, hanako_card, "2222", c).status, 423);
  ASSERT_EQ(server.admin("POST", "/__admin/cards/" + hanako_card + "/reset").status, 200);
  EXPECT_FALSE(a.authorize_code("hanako").empty());
}

// A card defined locked (the sheet, or the admin API) is locked for every caller.
TEST(CardsAndPages, ACardLockedByTheAdminIsLockedForEveryone) {
  test_server server;
  auto patch = server.admin("PATCH", "/__admin/personas/hanako", R"({"card":{"pin_tries_left":0}})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  flow_client qa{&server};
  EXPECT_TRUE(qa.authorize_code("hanako").empty());
  EXPECT_EQ(sign(server, hanako_card, "2222", base64_of("x")).status, 423);
}

// --- Item 4: key work off the I/O threads ----------------------------------------------------

// A generated world's new cards: 100 parallel certificate requests, each for a card whose
// key was never issued. The key work queues on the background pool (owner: the source
// address, at most 16 waiting), the rest is refused at once with 503 and Retry-After, and
// /healthz on the app listener answers while the keys are generated.
TEST(CardsAndPages, NewCardsKeysAreIssuedOffTheIoThreadsAndAFloodIsRefusedPastItsBound) {
  world_dir dir("card-keys");
  dir.write("personas.yaml", dir.read("personas.yaml") +
                                 "\n  - {count: 400, id: \"load-{n}\", name: 負荷 太郎, kana: フカ タロウ, "
                                 "birth_date: \"1990-01-01\", sex: 男, address: 東京都千代田区, municipality: "
                                 "東京都千代田区, note: 生成, card: {serial: \"LT{n:08}\", pin: \"1234\"}}\n");
  const auto certs = dir.fresh_certs_dir();
  test_server server([&](world_config& w) {
    w = test_world(dir.path("world.yaml").string());
    w.server.certs_dir = certs;
  });
  constexpr int parallel = 100;
  std::vector<std::unique_ptr<connection>> flood;
  for (int i = 1; i <= parallel; ++i) {
    char target[64];
    std::snprintf(target, sizeof target, "/virtual-card/LT%08d/certificate", i);
    flood.push_back(connection::open(server.port("systems"), false));
    ASSERT_TRUE(flood.back()->connected() && flood.back()->send(build_request("GET", target)));
  }
  // Every key request is in; the listeners answer meanwhile (a generous bound, not a timing).
  auto health = request(server.port("app"), true, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  int issued = 0, refused = 0;
  for (auto& c : flood) {
    auto r = c->read_response(120s);
    ASSERT_TRUE(r);
    if (r->status == 200) {
      ++issued;
      EXPECT_NE(parse(*r).value("certificate", "").find("BEGIN CERTIFICATE"), std::string::npos);
    } else {
      EXPECT_EQ(r->status, 503) << r->body;
      EXPECT_EQ(r->header("retry-after"), "1");
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);  // the bounded queue refused beyond its size: the work was queued, not inline
  EXPECT_GE(issued, 16);
  EXPECT_EQ(issued + refused, parallel);
  // Once the queue has drained, a refused card is issued on a later try.
  EXPECT_EQ(request(server.port("systems"), false, "GET", "/virtual-card/LT00000400/certificate").status, 200);
  // A card already in memory is answered at once; its signature verifies in a kiosk flow.
  auto c = kiosk_challenge(server, "SP00000086_AA0003");
  auto s = parse(sign(server, "LT00000001", "1234", c));
  ASSERT_TRUE(s.contains("signature")) << s;
  auto t = request(server.port("sp"), true, "POST", "/online-kiosk-web/token",
                   nlohmann::json{{"client_id", "SP00000086_AA0003"},
                                  {"challenge", c},
                                  {"certificate", s["certificate"]},
                                  {"signature", s["signature"]}}
                       .dump(),
                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(t.status, 200) << t.body;
}

// --- Item 5: /metrics labels ------------------------------------------------------------------

std::vector<std::string> label_values(const std::string& text) {
  std::vector<std::string> out;
  // Each ="…" with backslash escapes, scanned by hand: std::regex draws GCC 12 warnings under ASan.
  for (auto at = text.find("=\""); at != std::string::npos; at = text.find("=\"", at)) {
    std::string value;
    std::size_t i = at + 2;
    for (; i < text.size() && text[i] != '"'; ++i)
      value += text[i] == '\\' && i + 1 < text.size() ? text[++i] : text[i];
    out.push_back(value);
    at = i;
  }
  return out;
}

// Junk system names — long ones, then more short ones than the series cap — cost one series
// labelled `unknown`; the real traffic after them keeps its own `system` label and the scrape
// stays small.
TEST(CardsAndPages, JunkSystemNamesNeitherBloatMetricsNorTakeTheRealSeries) {
  test_server server;
  auto c = connection::open(server.port("systems"), false);
  ASSERT_TRUE(c->connected());
  auto junk = [&](const std::string& name) {
    if (!c->send(build_request("GET", "/systems/" + name + "/x"))) return 0;
    auto r = c->read_response(10s);
    return r ? r->status : 0;
  };
  for (int i = 0; i < 300; ++i)
    ASSERT_EQ(junk(std::string(4000, static_cast<char>('a' + i % 26)) + std::to_string(i)), 404);
  for (int i = 0; i < 2100; ++i) ASSERT_EQ(junk("junk" + std::to_string(i)), 404);
  flow_client qa{&server};
  auto result = qa.run("taro", "Date=20250701");
  ASSERT_TRUE(result.contains("commonHeader")) << result;
  auto scrape = request(server.port("admin"), false, "GET", "/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_LT(scrape.body.size(), 256u * 1024) << "scrape of " << scrape.body.size() << " bytes";
  EXPECT_NE(scrape.body.find(R"(system="juki")"), std::string::npos);
  EXPECT_NE(scrape.body.find(R"(system="network")"), std::string::npos);
  EXPECT_NE(scrape.body.find(R"(system="unknown")"), std::string::npos);
  EXPECT_EQ(scrape.body.find("junk"), std::string::npos);
  for (const auto& v : label_values(scrape.body)) EXPECT_LE(v.size(), 64u) << v.substr(0, 80);
}

// --- Item 6: the landing page -----------------------------------------------------------------

std::string generated_services(int n) {
  std::string out;
  char id[32];
  for (int i = 1; i <= n; ++i) {
    std::snprintf(id, sizeof id, "SP%08d_GG0001", 10000 + i);
    out += std::string("  - client_id: ") + id + "\n    provider_name: 生成株式会社\n    name: 生成サービス" +
           std::to_string(i) +
           "\n    purpose: 負荷\n    items: [TM00000000000003]\n"
           "    redirect_uris: [\"http://localhost:3000/callback\"]\n";
  }
  return out;
}

// A world of 3 000 services: the page lists one page of them, says how many it does not
// show, and pages and filters through query parameters of bounded size.
TEST(CardsAndPages, TheLandingPageStaysSmallInAWorldOfManyServices) {
  world_dir dir("landing");
  auto services = dir.read("services.yaml");
  auto at = services.find("\nconnections:");
  ASSERT_NE(at, std::string::npos);
  services.insert(at + 1, generated_services(3000));
  dir.write("services.yaml", services);
  test_server server([&](world_config& w) { w = test_world(dir.path("world.yaml").string()); });
  const auto total = server.runtime().data.get()->services.size();
  ASSERT_GE(total, 3000u);
  auto page = request(server.port("app"), true, "GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_LT(page.body.size(), 512u * 1024) << page.body.size();
  const std::string hidden = "data-testid=\"services-hidden\">" + std::to_string(total - 20) + "<";
  EXPECT_NE(page.body.find(hidden), std::string::npos);
  EXPECT_NE(page.body.find("data-testid=\"services-next\" href=\"" + server.base() + "/?page=2\""), std::string::npos);
  EXPECT_EQ(page.body.find("SP00013000_GG0001"), std::string::npos);
  // The last page, and a page past the end (the last one).
  auto last_page = std::to_string((total + 19) / 20);
  for (const auto& p : {last_page, std::string("999999")}) {
    auto last = request(server.port("app"), true, "GET", "/?page=" + p);
    EXPECT_NE(last.body.find("SP00013000_GG0001"), std::string::npos) << p;
    EXPECT_LT(last.body.size(), 512u * 1024);
  }
  // A filter finds one service, with all of its personas.
  auto one = request(server.port("app"), true, "GET", "/?service=SP00012345_GG0001");
  EXPECT_NE(one.body.find("data-client-id=\"SP00012345_GG0001\""), std::string::npos);
  EXPECT_EQ(one.body.find("data-client-id=\"SP00000086_AA0003\""), std::string::npos);
  // A long filter is cut to its bound before it is used or shown.
  auto long_filter = request(server.port("app"), true, "GET", "/?service=" + std::string(1000, 'z'));
  EXPECT_EQ(long_filter.status, 200);
  EXPECT_EQ(long_filter.body.find(std::string(65, 'z')), std::string::npos);
}

}  // namespace
}  // namespace mynasim::test
