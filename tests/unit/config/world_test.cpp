// SPDX-License-Identifier: Apache-2.0
#include "config/world.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/yaml_reader.hpp"

namespace mynasim {
namespace {

namespace fs = std::filesystem;

// A scratch folder holding a minimal valid world that a test can then break.
class WorldFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mynasim-world-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  std::string minimal_systems(const std::string& extra = "") {
    return "systems:\n"
           "  - {id: portal, name: マイナポータル, kind: portal}\n"
           "  - {id: network, name: 情報提供ネットワークシステム, kind: network}\n"
           "  - {id: juki, name: 住民基本台帳ネットワークシステム, kind: juki}\n" +
           extra;
  }

  std::string error_of(const std::string& file) {
    try {
      load_world(file);
    } catch (const config_error& e) {
      return e.what();
    }
    return "(no error)";
  }

  fs::path dir_;
};

TEST_F(WorldFiles, LoadsTheDefaultWorld) {
  auto w = load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  EXPECT_EQ(w.systems.size(), 15u);
  EXPECT_EQ(w.server.app.port, 8443);
  EXPECT_TRUE(w.server.app.tls.enabled);
  EXPECT_EQ(w.server.sp.port, 9443);
  EXPECT_EQ(w.server.admin.port, 8081);
  EXPECT_EQ(w.server.admin.address, "127.0.0.1");
  EXPECT_FALSE(w.server.admin.tls.enabled);
  EXPECT_TRUE(fs::path(w.server.certs_dir).is_absolute());
}

TEST_F(WorldFiles, IncludesMergeListSections) {
  write("more.yaml", "systems:\n  - {id: extra, name: 追加中間サーバ, kind: intermediate, hours: [\"09:00-17:00\"]}\n");
  auto w = load_world(write("world.yaml", "include: [more.yaml]\n" + minimal_systems()));
  ASSERT_EQ(w.systems.size(), 4u);
  EXPECT_EQ(w.systems[0].id, "extra");
  EXPECT_EQ(w.systems[0].rules.hours[0].from_minute, 540);
}

TEST_F(WorldFiles, UnknownKeyNamesFileLineColumnAndPath) {
  auto file = write("world.yaml", minimal_systems() + "server:\n  threads: 1\n  treads: 2\n");
  EXPECT_EQ(error_of(file), file + ":7:3: server.treads: unknown key 'treads'");
}

// A misspelt key is named where it is written, with the key it resembles — not reported as the
// required key missing at the entry.
TEST_F(WorldFiles, AMisspeltKeySaysDidYouMean) {
  auto file = write("world.yaml", minimal_systems() + "server:\n  treads: 2\n");
  EXPECT_EQ(error_of(file), file + ":6:3: server.treads: unknown key 'treads' (did you mean 'threads'?)");
  auto services = write("world.yaml", minimal_systems() +
                                          "services:\n  - client_id: SP00000999_ZZ0001\n    provder_name: x\n"
                                          "    name: y\n");
  EXPECT_NE(error_of(services).find(":7:5: services[0].provder_name: unknown key 'provder_name' (did you mean "
                                    "'provider_name'?)"),
            std::string::npos)
      << error_of(services);
}

// A key given twice would silently lose one of its values: it stops loading at the second.
TEST_F(WorldFiles, DuplicateKeyNamesTheSecond) {
  auto file = write("world.yaml", minimal_systems() + "server:\n  threads: 1\n  threads: 2\n");
  EXPECT_EQ(error_of(file), file + ":7:3: server.threads: duplicate key 'threads'");
}

TEST_F(WorldFiles, BadWindowIsRejected) {
  auto file =
      write("world.yaml", minimal_systems("  - {id: x, name: X, kind: intermediate, hours: [\"25:00-26:00\"]}\n"));
  auto e = error_of(file);
  EXPECT_NE(e.find(file + ":5:"), std::string::npos) << e;
  EXPECT_NE(e.find("systems[3].hours[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("25:00"), std::string::npos) << e;
}

TEST_F(WorldFiles, UnknownWeekdayIsRejected) {
  auto file = write("world.yaml", minimal_systems("  - {id: x, name: X, kind: intermediate, closed_on: [caturday]}\n"));
  auto e = error_of(file);
  EXPECT_NE(e.find("systems[3].closed_on[0]: unknown weekday 'caturday'"), std::string::npos) << e;
}

TEST_F(WorldFiles, OutageWithoutAnchorIsRejected) {
  auto file = write("world.yaml",
                    minimal_systems("  - id: x\n    name: X\n    kind: intermediate\n    outages:\n"
                                    "      - {name: 停止, every: monthly, from: \"22:00\", until: \"+1 08:00\"}\n"));
  auto e = error_of(file);
  EXPECT_NE(e.find(file + ":9:9: systems[3].outages[0]: missing required key 'on'"), std::string::npos) << e;
  file = write("world.yaml",
               minimal_systems("  - {id: x, name: X, kind: intermediate, outages: [{name: a, from: \"01:00\"}]}\n"));
  EXPECT_NE(error_of(file).find("missing required key 'every'"), std::string::npos);
}

TEST_F(WorldFiles, WrongTypesAndDanglingReferences) {
  auto file = write("world.yaml", minimal_systems() + "server: {threads: many}\n");
  EXPECT_NE(error_of(file).find("server.threads: expected an integer, got 'many'"), std::string::npos);
  file = write("world.yaml", minimal_systems() + "server: {internal_hops: udp}\n");
  EXPECT_NE(error_of(file).find("server.internal_hops: expected memory or tcp, got 'udp'"), std::string::npos)
      << error_of(file);
  EXPECT_FALSE(
      load_world(write("world.yaml", minimal_systems() + "server: {internal_hops: tcp}\n")).server.in_memory_hops);
  file = write("world.yaml", minimal_systems("  - {id: x, name: X, kind: intermediate, part_of: nowhere}\n"));
  EXPECT_NE(error_of(file).find("systems[3].part_of: unknown system 'nowhere'"), std::string::npos);
  file = write("world.yaml", minimal_systems("  - {id: portal, name: X, kind: intermediate}\n"));
  EXPECT_NE(error_of(file).find("duplicate system id 'portal'"), std::string::npos);
  file = write("world.yaml", "include: [missing.yaml]\n" + minimal_systems());
  EXPECT_NE(error_of(file).find("missing.yaml: cannot open file"), std::string::npos);
}

// issue 27: `worlds:` — the limits and the declared worlds, each error at its place.
TEST_F(WorldFiles, WorldsSectionIsReadAndCheckedWhereItIsWritten) {
  auto w = load_world(write("world.yaml", minimal_systems() +
                                              "worlds:\n  max: 5\n  idle_ttl: PT10M\n  declare:\n"
                                              "    - {id: qa, clock: \"2026-12-29T10:00:00+09:00\"}\n"
                                              "    - {id: team-b, api_users: [\"http://127.0.0.1:3000\"]}\n"));
  EXPECT_EQ(w.worlds.max, 5u);
  EXPECT_EQ(w.worlds.idle_ttl, std::chrono::minutes(10));
  ASSERT_EQ(w.worlds.declared.size(), 2u);
  EXPECT_EQ(w.worlds.declared[0].id, "qa");
  EXPECT_EQ(*w.worlds.declared[0].clock, "2026-12-29T10:00:00+09:00");
  EXPECT_EQ(w.worlds.declared[1].api_users[0], "http://127.0.0.1:3000");
  EXPECT_TRUE(w.fixed_sections.count("worlds"));  // a reload cannot change them
  const std::pair<const char*, const char*> bad[] = {
      {"worlds:\n  declare:\n    - {id: Team}\n", "world.yaml:7:12: worlds.declare[0].id: expected 1-63"},
      {"worlds:\n  declare:\n    - {id: a}\n    - {id: a}\n", "world.yaml:8:12: worlds.declare[1].id: duplicate"},
      {"worlds:\n  declare:\n    - {id: a, clock: soon}\n", "worlds.declare[0].clock: expected an ISO-8601 instant"},
      {"worlds:\n  declare:\n    - {id: a, bind: [SP99999999_ZZ9999]}\n",
       "world.yaml:7:22: worlds.declare[0].bind[0]: no service 'SP99999999_ZZ9999'"},
      {"worlds:\n  max: 1\n  declare: [{id: a}, {id: b}]\n", "more worlds declared than max (1)"},
      {"worlds:\n  idle_ttl: P30D\n", "worlds.idle_ttl: longer than max_ttl"},
      {"worlds:\n  colour: red\n", "colour"},
  };
  for (const auto& [yaml, message] : bad) {
    auto file = write("world.yaml", minimal_systems() + yaml);
    EXPECT_NE(error_of(file).find(message), std::string::npos) << yaml << " → " << error_of(file);
  }
}

// issue 26 item 7: scenario files are read from qa.scenarios_dir, so it must lie inside the
// folders a world may read (or be mynasim's own scenarios); the runtime change limits are
// bounded so that a split world's follower can always read the whole list.
TEST_F(WorldFiles, ScenariosDirAndRuntimeChangeLimitsAreBounded) {
  auto file = write("world.yaml", minimal_systems() + "qa: {scenarios_dir: /etc}\n");
  EXPECT_NE(error_of(file).find("world.yaml:5:21: qa.scenarios_dir: /etc is outside the world folder"),
            std::string::npos)
      << error_of(file);
  fs::create_directories(dir_ / "mine");
  auto w = load_world(write("world.yaml", minimal_systems() + "qa:\n  scenarios_dir: mine\n"
                                                              "  runtime_changes: {max_changes: 50, max_bytes: 100000, "
                                                              "max_change_bytes: 5000}\n"));
  EXPECT_EQ(w.qa.scenarios_dir, fs::canonical(dir_ / "mine").string());
  EXPECT_EQ(w.qa.runtime_changes.max_changes, 50u);
  EXPECT_EQ(w.qa.runtime_changes.max_bytes, 100000u);
  EXPECT_EQ(w.qa.runtime_changes.max_change_bytes, 5000u);
  EXPECT_EQ(load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml").qa.scenarios_dir,
            fs::canonical(MYNASIM_SOURCE_DIR "/scenarios").string());
  file = write("world.yaml", minimal_systems() + "qa: {runtime_changes: {max_bytes: 100000000}}\n");
  EXPECT_NE(error_of(file).find("qa.runtime_changes.max_bytes: value 100000000 out of range"), std::string::npos)
      << error_of(file);
}

TEST_F(WorldFiles, SyntaxErrorNamesThePosition) {
  auto file = write("world.yaml", "systems: [\n  {id: a\n");
  auto e = error_of(file);
  EXPECT_EQ(e.rfind(file + ":", 0), 0u) << e;
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
}

TEST_F(WorldFiles, SectionDefinedTwiceIsRejected) {
  write("a.yaml", "clock: {speed: 2}\n");
  auto file = write("world.yaml", "include: [a.yaml]\nclock: {speed: 3}\n" + minimal_systems());
  EXPECT_NE(error_of(file).find("section 'clock' is already defined in"), std::string::npos);
}

TEST_F(WorldFiles, HolidayAdjustmentsAndClockAreRead) {
  auto w = load_world(
      write("world.yaml", minimal_systems() +
                              "clock: {start: \"2026-12-19T22:30:00+09:00\", speed: 60, frozen: true}\n"
                              "holidays: {add: [{date: \"2027-05-07\", name: 臨時}], remove: [\"2027-01-01\"]}\n"));
  ASSERT_TRUE(w.clock.start);
  EXPECT_EQ(format_instant(*w.clock.start), "2026-12-19T22:30:00+09:00");
  EXPECT_EQ(w.clock.speed, 60);
  EXPECT_TRUE(w.clock.frozen);
  ASSERT_EQ(w.holidays.add.size(), 1u);
  EXPECT_EQ(w.holidays.add[0].name, "臨時");
  EXPECT_EQ(w.holidays.remove.size(), 1u);
}

TEST_F(WorldFiles, DataSheetsRejectDanglingReferencesAndBadShapes) {
  std::string fixtures = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  std::string base = "include: [" + fixtures + "systems.yaml, " + fixtures + "items.yaml]\n";
  auto service = [&](const std::string& body) { return write("world.yaml", base + "services:\n  - " + body + "\n"); };
  auto e =
      error_of(service("{client_id: SP1_AA0001, provider_name: p, name: n, purpose: x, items: [TM00000000000003], "
                       "redirect_uris: [\"http://a/\"]}"));
  EXPECT_NE(e.find("services[0].client_id: client_id is <サービス提供者ID>_<サービスID>"), std::string::npos) << e;
  e =
      error_of(service("{client_id: SP00000001_AA0001, provider_name: p, name: n, purpose: x, items: "
                       "[TM99999999999999], redirect_uris: [\"http://a/\"]}"));
  EXPECT_NE(e.find("services[0].items[0]: unknown item 'TM99999999999999'"), std::string::npos) << e;
  e =
      error_of(service("{client_id: SP00000001_AA0001, provider_name: p, name: n, purpose: x, items: "
                       "[TM00000000000003], redirect_uris: [\"http://a/\"], query_methods: [soon]}"));
  EXPECT_NE(e.find("unknown query method 'soon'"), std::string::npos) << e;
  e =
      error_of(service("{client_id: SP00000001_AA0001, provider_name: p, name: n, purpose: x, items: "
                       "[TM00000000000003], redirect_uris: [\"http://a/\"], ci: {persona: ghost}}"));
  EXPECT_NE(e.find("services[0].ci.persona: unknown persona 'ghost'"), std::string::npos) << e;
  e = error_of(write("world.yaml",
                     base + "connections:\n  - {client_id: SP00000001_ZZ0001, notification_url: \"http://a/\"}\n"));
  EXPECT_NE(e.find("connections[0].client_id: no service with client_id 'SP00000001_ZZ0001'"), std::string::npos) << e;
  e = error_of(write(
      "world.yaml",
      base + "personas:\n  - {id: a, name: n, kana: k, birth_date: \"1990-01-01\", sex: x, address: y, municipality: z,"
             " card: {serial: S1, pin: \"12345\"}}\n"));
  EXPECT_NE(e.find("personas[0].card.pin: the 利用者証明用 PIN is 4 digits"), std::string::npos) << e;
  e = error_of(write(
      "world.yaml",
      base + "personas:\n  - {id: a, name: n, kana: k, birth_date: \"1990-01-01\", sex: x, address: y, municipality: z,"
             " card: {serial: S1, pin: \"1234\"}, data: [{item: TM00000000000003, holder: japan-pension, records: "
             "[]}]}\n"));
  EXPECT_NE(e.find("personas[0].data[0].holder: 'japan-pension' does not hold 地方税関係情報"), std::string::npos) << e;
  e = error_of(
      write("world.yaml", base + "items:\n  - {code: TM1, name: n, category: c, field: f, holders: [municipal]}\n"));
  EXPECT_NE(e.find("an item code is TM followed by 14 digits"), std::string::npos) << e;
  e = error_of(write("world.yaml", base + "errors: {no_such_error: {code: X}}\n"));
  EXPECT_NE(e.find("errors.no_such_error: unknown error key"), std::string::npos) << e;
}

TEST_F(WorldFiles, ErrorCatalogueAndPortalSettingsAreOverridable) {
  std::string fixtures = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  auto w = load_world(
      write("world.yaml", "include: [" + fixtures +
                              "systems.yaml]\n"
                              "errors: {consent_refused: {code: X-1, message: やめた}}\n"
                              "portal: {token_lifetime: PT2H, error_redirect: code, notification: {attempts: 2}}\n"));
  EXPECT_EQ(w.data.errors.at("consent_refused").code, "X-1");
  EXPECT_EQ(w.data.errors.at("consent_refused").message, "やめた");
  EXPECT_EQ(w.data.portal.token_lifetime, std::chrono::hours(2));
  EXPECT_EQ(w.data.portal.error_redirect, "code");
  EXPECT_EQ(w.data.portal.notification_attempts, 2);
}

}  // namespace
}  // namespace mynasim
