// SPDX-License-Identifier: Apache-2.0
// The mynasim binary as users run it: exit codes, output formats, startup and shutdown.
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_client.hpp"
#include "hostile_peer.hpp"
#include "process.hpp"
#include "test_client.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {

namespace fs = std::filesystem;

std::string scratch_file(const std::string& name, const std::string& text) {
  auto dir = fs::temp_directory_path() / ("mynasim-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

// A world that reuses the default systems and calendar but listens on free ports.
std::string port0_world() {
  std::string fixtures = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  return scratch_file("world.yaml",
                      "include: [" + fixtures + "calendar.yaml, " + fixtures + "systems.yaml]\n" +
                          "server:\n  certs_dir: " + test_certs_dir() +
                          "\n  shutdown_grace: PT1S\n  listeners:\n"
                          "    app: {port: 0}\n    sp: {port: 0}\n    admin: {port: 0}\n    systems: {port: 0}\n");
}

TEST(Cli, VersionAndHelp) {
  auto r = run_mynasim({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("mynasim ", 0), 0u);
  for (const char* cmd : {"serve", "check", "version", "holidays", "availability", "timeline"}) {
    auto h = run_mynasim({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find(std::string("usage: mynasim ") + cmd), std::string::npos) << cmd;
  }
  EXPECT_EQ(run_mynasim({"--help"}).exit_code, 0);
}

TEST(Cli, TwoWordCommandsHaveHelpUnderTheirFirstWord) {
  for (auto args : {std::vector<std::string>{"card", "--help"}, std::vector<std::string>{"card"}}) {
    auto r = run_mynasim(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("card sign"), std::string::npos) << r.out;
  }
  auto r = run_mynasim({"card", "shuffle"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'card shuffle' (card sign)"), std::string::npos) << r.err;
}

// Every option's description starts in the same terminal column, whatever characters the
// option's value placeholder has (ID[,ID…] is multi-byte).
TEST(Cli, HelpColumnsAlign) {
  for (const char* cmd : {"serve", "check", "holidays", "availability", "timeline", "errors"}) {
    auto r = run_mynasim({cmd, "--help"});
    std::istringstream lines(r.out);
    std::set<std::size_t> columns;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  --", 0) != 0) continue;
      auto gap = line.find("  ", 2);
      while (gap != std::string::npos && line[gap + 2] == ' ') ++gap;
      if (gap == std::string::npos) continue;
      std::size_t column = 0;
      for (std::size_t i = 0; i < gap + 2; ++i) column += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
      columns.insert(column);
    }
    EXPECT_EQ(columns.size(), 1u) << cmd << "\n" << r.out;
  }
}

TEST(Cli, CheckValidatesScenarioFilesOffline) {
  auto ok = run_mynasim({"check", "--scenario", std::string(MYNASIM_SOURCE_DIR) + "/scenarios/flaky-network.yaml"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("ok: scenario"), std::string::npos) << ok.out;
  auto bad = scratch_file(
      "bad-scenario.yaml",
      "name: x\nsteps:\n  - at: \"2026-11-27T10:00:00+09:00\"\n    add_faults: [{kind: latency, target: mars}]\n");
  auto r = run_mynasim({"check", "--scenario", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ":4:"), std::string::npos) << r.err;
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_mynasim({}).exit_code, 2);
  EXPECT_EQ(run_mynasim({"frobnicate"}).exit_code, 2);
  auto r = run_mynasim({"serve", "--nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown option '--nope'"), std::string::npos);
  // A subcommand's option error: said once, with where its options are, not the command list.
  r = run_mynasim({"world", "create", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "mynasim world create: unknown option '--bogus'\n`mynasim world create --help` lists its options.\n");
  EXPECT_EQ(run_mynasim({"holidays", "--from", "1800", "--to", "2000"}).exit_code, 2);
  EXPECT_EQ(run_mynasim({"timeline", "--system", "juki"}).exit_code, 2);
}

TEST(Cli, HolidaysOneLinePerDayInDateOrder) {
  auto r = run_mynasim({"holidays", "--from", "2019", "--to", "2019"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("2019-04-30\t休日\n2019-05-01\t休日（祝日扱い）\n2019-05-02\t休日\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2019-05-06\t振替休日\n"), std::string::npos);
  EXPECT_EQ(r.out.rfind("2019-01-01\t元日\n", 0), 0u);
}

TEST(Cli, HolidayAdditionsFromYamlNeedNoCode) {
  auto world = scratch_file(
      "hol.yaml", "include: [" + std::string(MYNASIM_SOURCE_DIR) +
                      "/fixtures/systems.yaml]\nholidays: {add: [{date: \"2031-05-07\", name: 臨時の休日}]}\n");
  auto r = run_mynasim({"holidays", "--from", "2031", "--to", "2031", "--config", world});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2031-05-07\t臨時の休日\n"), std::string::npos);
}

TEST(Cli, CheckReportsFileLineAndKeyOnOneLine) {
  auto bad = scratch_file("bad.yaml", "include: [" + std::string(MYNASIM_SOURCE_DIR) +
                                          "/fixtures/systems.yaml]\nserver:\n  threads: 1\n  colour: blue\n");
  auto r = run_mynasim({"check", "--config", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "mynasim: configuration error: " + bad + ":4:3: server.colour: unknown key 'colour'\n");
  auto serve = run_mynasim({"serve", "--config", bad});
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_NE(serve.err.find(bad + ":4:3"), std::string::npos);
  auto ok = run_mynasim({"check"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("japan-pension"), std::string::npos);
}

TEST(Cli, AvailabilityAndTimelineFromYamlAlone) {
  auto r = run_mynasim({"availability", "--at", "2026-11-27T23:30:00+09:00", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (auto& s : j["systems"])
    if (s["id"] == "japan-pension") {
      EXPECT_EQ(s["up"], false);
    }
  auto t = run_mynasim(
      {"timeline", "--system", "juki", "--from", "2026-12-28T00:00:00+09:00", "--to", "2027-01-05T00:00:00+09:00"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("2026-12-28T21:00:00+09:00\t2027-01-04T08:00:00+09:00\tDOWN\t計画停止: 年末年始"),
            std::string::npos)
      << t.out;
}

TEST(Cli, ServeStartsLogsJsonAndStopsGracefullyOnSigterm) {
  child_process p({"serve", "--config", port0_world()});
  auto admin_line = p.wait_for_line("\"listener\":\"admin\"", 15000);
  ASSERT_FALSE(admin_line.empty()) << p.output();
  ASSERT_FALSE(p.wait_for_line("\"event\":\"ready\"", 15000).empty());
  auto url = nlohmann::json::parse(admin_line)["url"].get<std::string>();
  auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  // An idle keep-alive connection must not hold the shutdown up.
  auto idle = connection::open(port, false);
  EXPECT_EQ(request(port, false, "GET", "/__admin/health").status, 200);
  auto log_line = p.wait_for_line("\"path\":\"/__admin/health\"", 5000);
  auto log = nlohmann::json::parse(log_line);
  for (const char* key : {"request_id", "system", "listener", "method", "path", "status", "latency_ms", "ts"})
    EXPECT_TRUE(log.contains(key)) << key;
  // A request in flight when SIGTERM arrives still gets its answer (it takes 600 ms here).
  auto systems_line = p.wait_for_line("\"listener\":\"systems\"", 0);
  auto systems_url = nlohmann::json::parse(systems_line)["url"].get<std::string>();
  auto systems_port = static_cast<std::uint16_t>(std::stoi(systems_url.substr(systems_url.rfind(':') + 1)));
  client_response in_flight;
  std::thread slow([&] {
    in_flight = request(systems_port, false, "GET", "/systems/juki/healthz", "",
                        {{"X-Mynasim-Fault", R"({"kind":"latency","latency_ms":600})"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  p.signal(SIGTERM);
  slow.join();
  EXPECT_EQ(in_flight.status, 200);
  EXPECT_EQ(p.wait(10000), 0);
  EXPECT_NE(p.output().find("\"event\":\"stopped\""), std::string::npos);
}

TEST(Cli, ErrorCatalogueDocIsGeneratedFromTheCode) {
  auto r = run_mynasim({"errors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream doc(std::string(MYNASIM_SOURCE_DIR) + "/docs/errors.md");
  std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(r.out), std::string::npos) << "regenerate docs/errors.md with `mynasim errors`";
  auto j = nlohmann::json::parse(run_mynasim({"errors", "--json"}).out);
  EXPECT_GE(j.size(), 35u);
}

TEST(Cli, ConformanceRulesDocIsGeneratedFromTheTable) {
  auto r = run_mynasim({"lint", "rules"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream doc(std::string(MYNASIM_SOURCE_DIR) + "/docs/conformance.md");
  std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(r.out), std::string::npos)
      << "regenerate the table of docs/conformance.md with `mynasim lint rules`";
  EXPECT_NE(r.out.find("`polling-storm`"), std::string::npos);
  auto tests = run_mynasim({"conformance", "tests"});
  ASSERT_EQ(tests.exit_code, 0) << tests.err;
  EXPECT_NE(text.find(tests.out), std::string::npos)
      << "regenerate the tests table of docs/conformance.md with `mynasim conformance tests`";
  EXPECT_NE(tests.out.find("`juki-year-end`"), std::string::npos);
}

// `conformance run` talks to an admin listener it is told of: one that answers garbage, never
// ends its body or sends a huge head ends the command with a message and exit 3 (a hang would be
// killed after 30 s and fail the exit code).
TEST(Cli, ConformanceRunGivesUpOnAHostileOrSilentAdminListener) {
  for (auto shape : {hostile_answer::garbage, hostile_answer::endless_body, hostile_answer::huge_header}) {
    hostile_peer peer(shape);
    auto r = run_mynasim({"conformance", "run", "--client-id", "SP00000086_AA0003", "--admin", peer.url()}, 30000);
    EXPECT_EQ(r.exit_code, 3) << to_string(shape) << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("mynasim conformance run: " + peer.url()), std::string::npos) << r.err;
  }
  test_server server;
  auto admin = "http://127.0.0.1:" + std::to_string(server.port("admin"));
  auto unknown = run_mynasim({"conformance", "run", "--client-id", "SP99999999_ZZ9999", "--admin", admin});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("HTTP 404"), std::string::npos) << unknown.err;
  EXPECT_EQ(run_mynasim({"conformance", "run"}).exit_code, 2);
  EXPECT_EQ(run_mynasim({"conformance", "run", "--client-id", "x", "--timeout", "0"}).exit_code, 2);
}

// `conformance run` prints every test's header, in order, before its verdict — also for a test
// that began and ended between two polls (a not-applicable one ends as it begins; state-forged
// fails at once when the app's callback cannot be reached) — and gives what was seen and, for a
// failure, the remedy in Japanese first, then in English.
TEST(Cli, ConformanceRunHeadsEveryTestInOrderAndSpeaksJapaneseFirst) {
  test_server server([](world_config& w) {
    for (auto& s : w.data.services)
      if (s.client_id == "SP00000086_AA0003") s.redirect_uris = {"http://127.0.0.1:1/callback"};  // nobody there
  });
  auto admin = "http://127.0.0.1:" + std::to_string(server.port("admin"));
  auto r = run_mynasim({"conformance", "run", "--client-id", "SP00000086_AA0003", "--admin", admin, "--plan",
                        "partial-result,state-forged,partial-result"},
                       60000);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // state-forged failed
  const std::string not_applicable =
      "  not_applicable  partial-result: SP00000086_AA0003 の項目はすべて一つの中間サーバだけが保有しています\n"
      "      every item of SP00000086_AA0003 is held by one 中間サーバ only\n";
  auto first = r.out.find("[1/3] partial-result — 一部の情報保有機関が応答しない\n" + not_applicable);
  auto second = r.out.find(
      "[2/3] state-forged — state の検証（CSRF）\n"
      "  fail  state-forged: 偽のコールバックを届けられませんでした: ");
  auto remedy = r.out.find(
      "      対処: state を利用者のセッションに保存し、トークン交換の前に照合してください\n"
      "      remedy: keep the state in the user's session and compare it before the token exchange\n");
  auto third = r.out.find("[3/3] partial-result — 一部の情報保有機関が応答しない\n" + not_applicable);
  EXPECT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(second, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n      the forged callback could not be delivered: "), std::string::npos) << r.out;
  EXPECT_NE(remedy, std::string::npos) << r.out;
  EXPECT_NE(third, std::string::npos) << r.out;
  EXPECT_TRUE(first < second && second < remedy && remedy < third) << r.out;
  EXPECT_NE(r.out.find("0 pass, 0 warning, 1 fail, 2 not applicable, 0 not run"), std::string::npos) << r.out;
}

// `world create|list|delete` drive POST/GET/DELETE /__admin/worlds of a running mynasim, and
// what they print is what the server holds.
TEST(Cli, WorldCreateListAndDeleteThroughTheAdminApi) {
  test_server server;
  auto admin = "http://127.0.0.1:" + std::to_string(server.port("admin"));
  auto made = run_mynasim({"world", "create", "--id", "team-a", "--ttl", "PT10M", "--clock",
                           "2026-12-29T10:00:00+09:00", "--bind", "SP00000086_AA0003", "--json", "--admin", admin});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto j = nlohmann::json::parse(made.out);
  EXPECT_EQ(j["id"], "team-a");
  EXPECT_EQ(j["ttl_ms"], 600000);
  EXPECT_EQ(j["token"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["urls"]["admin"], admin + "/worlds/team-a/__admin");
  EXPECT_EQ(j["bound"], nlohmann::json::array({"SP00000086_AA0003"}));
  EXPECT_EQ(j["virtual_time"].get<std::string>().rfind("2026-12-29T10:00", 0), 0u) << j;
  EXPECT_EQ(server.admin("GET", "/__admin/worlds/team-a").status, 200);

  auto plain = run_mynasim({"world", "create", "--id", "team-b", "--admin", admin});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.rfind("world team-b (removed after 1h idle; clock ", 0), 0u) << plain.out;
  EXPECT_NE(
      plain.out.find("\n  app           https://127.0.0.1:" + std::to_string(server.port("app")) + "/worlds/team-b\n"),
      std::string::npos)
      << plain.out;
  EXPECT_NE(plain.out.find("\n  token         "), std::string::npos) << plain.out;

  auto table = run_mynasim({"world", "list", "--admin", admin});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::istringstream lines(table.out);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  // In the suite's run inside a named world, that world is one more row.
  const std::size_t others = server.world().empty() ? 0 : 1;
  ASSERT_EQ(rows.size(), 4u + others) << table.out;
  EXPECT_EQ(rows[0].rfind("ID      IDLE", 0), 0u) << table.out;
  EXPECT_NE(rows[0].find("VIRTUAL TIME"), std::string::npos) << table.out;
  std::string team_a;
  for (const auto& row : rows)
    if (row.rfind("team-a", 0) == 0) team_a = row;
  EXPECT_NE(team_a.find("  10m  "), std::string::npos) << table.out;
  EXPECT_NE(team_a.find("2026-12-29T10:00"), std::string::npos) << table.out;
  EXPECT_TRUE(team_a.ends_with("  SP00000086_AA0003")) << table.out;
  EXPECT_EQ(rows.back().rfind(std::to_string(2 + others) + " of at most ", 0), 0u) << table.out;
  auto listed = run_mynasim({"world", "list", "--json", "--admin", admin});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(nlohmann::json::parse(listed.out)["count"], 2 + others);

  auto gone = run_mynasim({"world", "delete", "team-a", "--admin", admin});
  EXPECT_EQ(gone.exit_code, 0) << gone.err;
  EXPECT_EQ(gone.out, "deleted world team-a\n");
  EXPECT_EQ(server.admin("GET", "/__admin/worlds/team-a").status, 404);
  auto again = run_mynasim({"world", "delete", "team-a", "--admin", admin});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(again.err, "mynasim world delete: " + admin + ": HTTP 404 unknown_world: no world 'team-a'\n");
  auto twice = run_mynasim({"world", "create", "--id", "team-b", "--admin", admin});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("HTTP 409 world_exists: world 'team-b' exists"), std::string::npos) << twice.err;
}

// `eval "$(mynasim world create --env)"`: the lines name a world whose token reaches its own admin
// plane, and the admin URL they leave still serves `world list` and `world delete`.
TEST(Cli, WorldEnvLinesNameAWorkingWorld) {
  app_options options;
  options.admin_token = "cli-test-token";
  test_server server({}, options);
  auto port = server.port("admin");
  auto admin = "http://127.0.0.1:" + std::to_string(port);
  auto refused = run_mynasim({"world", "create", "--admin", admin});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("HTTP 401 unauthorized"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--admin-token"), std::string::npos) << refused.err;

  auto made = run_mynasim({"world", "create", "--env", "--admin", admin, "--admin-token", "cli-test-token"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::map<std::string, std::string> env;
  std::istringstream lines(made.out);
  for (std::string line; std::getline(lines, line);)
    if (auto eq = line.find('='); eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  EXPECT_TRUE(made.out.ends_with(
      "\nexport MYNASIM_WORLD MYNASIM_WORLD_TOKEN MYNASIM_APP_URL MYNASIM_SP_URL MYNASIM_ADMIN_URL\n"))
      << made.out;
  ASSERT_EQ(env.size(), 5u) << made.out;
  auto id = env["MYNASIM_WORLD"];
  EXPECT_EQ(id.rfind("w-", 0), 0u) << made.out;
  EXPECT_EQ(env["MYNASIM_ADMIN_URL"], admin + "/worlds/" + id + "/__admin");
  EXPECT_EQ(env["MYNASIM_APP_URL"], "https://127.0.0.1:" + std::to_string(server.port("app")) + "/worlds/" + id);
  EXPECT_EQ(env["MYNASIM_SP_URL"], "https://127.0.0.1:" + std::to_string(server.port("sp")) + "/worlds/" + id);
  const std::map<std::string, std::string> bearer{{"Authorization", "Bearer " + env["MYNASIM_WORLD_TOKEN"]}};
  EXPECT_EQ(request(port, false, "GET", "/worlds/" + id + "/__admin/clock", "", bearer).status, 200);
  EXPECT_EQ(request(port, false, "GET", "/__admin/worlds", "", bearer).status, 403);

  auto listed =
      run_mynasim({"world", "list", "--json", "--admin", env["MYNASIM_ADMIN_URL"], "--admin-token", "cli-test-token"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  bool found = false;
  const auto list = nlohmann::json::parse(listed.out);
  for (const auto& w : list["worlds"]) found = found || w["id"] == id;
  EXPECT_TRUE(found) << listed.out;
  auto gone =
      run_mynasim({"world", "delete", id, "--admin", env["MYNASIM_ADMIN_URL"], "--admin-token", "cli-test-token"});
  EXPECT_EQ(gone.exit_code, 0) << gone.err;
  EXPECT_EQ(request(port, false, "GET", "/worlds/" + id + "/__admin/clock", "", bearer).status, 401);
}

TEST(Cli, WorldUsageAndAnAdminListenerThatDoesNotAnswer) {
  auto group = run_mynasim({"world", "--help"});
  EXPECT_EQ(group.exit_code, 0) << group.err;
  for (const char* sub : {"world create", "world list", "world delete"}) {
    EXPECT_NE(group.out.find(sub), std::string::npos) << group.out;
    EXPECT_NE(run_mynasim({"--help"}).out.find(std::string("\n  ") + sub + " "), std::string::npos) << sub;
  }
  EXPECT_NE(run_mynasim({"world", "delete", "--help"}).out.find("usage: mynasim world delete ID [options]"),
            std::string::npos);
  EXPECT_NE(run_mynasim({"world", "create", "--help"}).out.find("--env"), std::string::npos);
  auto missing = run_mynasim({"world", "delete"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("which world?"), std::string::npos) << missing.err;
  EXPECT_EQ(run_mynasim({"world", "delete", "../etc"}).exit_code, 2);
  EXPECT_EQ(run_mynasim({"world", "delete", "a", "b"}).exit_code, 2);
  EXPECT_EQ(run_mynasim({"world", "create", "--json", "--env"}).exit_code, 2);
  EXPECT_EQ(run_mynasim({"world", "list", "extra"}).exit_code, 2);
  hostile_peer peer(hostile_answer::garbage);
  auto r = run_mynasim({"world", "list", "--admin", peer.url()}, 30000);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(r.err.rfind("mynasim world list: " + peer.url() + ": ", 0), 0u) << r.err;
}

// One instance per CI job: a team world includes the default world and overrides its server
// and clock sections; two instances on free ports — one with --port-base 0, one with each
// listener's own option — write ready files with their URLs and serve a flow each.
TEST(Cli, InstancesOnFreePortsWriteReadyFilesAndServeAFlowEach) {
  auto world = scratch_file("team.yaml", "include: [" + std::string(MYNASIM_SOURCE_DIR) +
                                             "/fixtures/world.yaml]\n"
                                             "server:\n  override: true\n  certs_dir: " +
                                             test_certs_dir() +
                                             "\n  shutdown_grace: PT1S\n"
                                             "clock:\n  override: true\n  start: \"2026-11-27T10:00:00+09:00\"\n");
  auto ready_a = scratch_file("ready-a.json", ""), ready_b = scratch_file("ready-b.json", "");
  fs::remove(ready_a);
  fs::remove(ready_b);
  child_process a({"serve", "--config", world, "--port-base", "0", "--ready-file", ready_a});
  child_process b({"serve", "--config", world, "--app-port", "0", "--sp-port", "0", "--admin-port", "0",
                   "--systems-port", "0", "--ready-file", ready_b});
  auto read_ready = [](const std::string& path) {
    for (int i = 0; i < 300 && !fs::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(path);
    return nlohmann::json::parse(in, nullptr, false);
  };
  auto doc_a = read_ready(ready_a), doc_b = read_ready(ready_b);
  ASSERT_TRUE(doc_a.is_object()) << a.output();
  ASSERT_TRUE(doc_b.is_object()) << b.output();
  std::set<int> ports;
  for (const auto* doc : {&doc_a, &doc_b}) {
    for (const char* l : {"app", "sp", "admin", "systems"}) {
      ASSERT_TRUE((*doc)["ports"].contains(l)) << doc->dump();
      ports.insert((*doc)["ports"][l].get<int>());
    }
    EXPECT_EQ((*doc)["urls"]["app"], "https://127.0.0.1:" + std::to_string((*doc)["ports"]["app"].get<int>()));
    EXPECT_EQ((*doc)["urls"]["admin"], "http://127.0.0.1:" + std::to_string((*doc)["ports"]["admin"].get<int>()));
    EXPECT_NE((*doc)["ca_file"].get<std::string>().find("ca.crt"), std::string::npos);
    flow_client client{nullptr};
    client.host = "127.0.0.1";
    client.app_port = static_cast<std::uint16_t>((*doc)["ports"]["app"].get<int>());
    client.sp_port = static_cast<std::uint16_t>((*doc)["ports"]["sp"].get<int>());
    auto result = client.run("taro", "Date=20260401");
    EXPECT_EQ(result["commonHeader"]["errorCode"], "") << result.dump();
    // The overriding clock section is the one in force.
    auto clock =
        request(static_cast<std::uint16_t>((*doc)["ports"]["admin"].get<int>()), false, "GET", "/__admin/clock");
    EXPECT_NE(clock.body.find("2026-11-27T"), std::string::npos) << clock.body;
  }
  EXPECT_EQ(ports.size(), 8u) << "eight listeners, eight different ports";
  a.signal(SIGTERM);
  EXPECT_EQ(a.wait(10000), 0);
  EXPECT_FALSE(fs::exists(ready_a)) << "the ready file goes with its process";
  b.signal(SIGTERM);
  EXPECT_EQ(b.wait(10000), 0);
}

// Compose passes the address it publishes on: beyond loopback with the development token the
// process says so at start.
TEST(Cli, WarnsWhenPublishedBeyondLoopbackWithTheDefaultToken) {
  ::setenv("MYNASIM_PUBLISH_ADDRESS", "0.0.0.0", 1);
  child_process exposed({"serve", "--config", port0_world(), "--admin-token", "dev-admin-token"});
  child_process own_token({"serve", "--config", port0_world(), "--admin-token", "a-secret-of-our-own"});
  ::unsetenv("MYNASIM_PUBLISH_ADDRESS");
  EXPECT_FALSE(exposed.wait_for_line("\"event\":\"admin_token_is_the_default\"", 15000).empty()) << exposed.output();
  ASSERT_FALSE(exposed.wait_for_line("\"event\":\"ready\"", 15000).empty()) << exposed.output();
  ASSERT_FALSE(own_token.wait_for_line("\"event\":\"ready\"", 15000).empty()) << own_token.output();
  EXPECT_EQ(own_token.output().find("admin_token_is_the_default"), std::string::npos) << own_token.output();
  exposed.signal(SIGTERM);
  own_token.signal(SIGTERM);
  EXPECT_EQ(exposed.wait(10000), 0);
  EXPECT_EQ(own_token.wait(10000), 0);
}

// The CAs copied to MYNASIM_CA_EXPORT_DIR (Compose: ./certs/exported) belong to the folder's
// owner, not to the container's root.
TEST(Cli, ExportedCasBelongToTheFoldersOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving files away needs root";
  auto dir = fs::temp_directory_path() / ("mynasim-export-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_EQ(::chown(dir.c_str(), 4242, 4343), 0);
  ::setenv("MYNASIM_CA_EXPORT_DIR", dir.c_str(), 1);
  child_process p({"serve", "--config", port0_world()});
  ::unsetenv("MYNASIM_CA_EXPORT_DIR");
  // Exported before the process is ready (the JPKI CA may be another test's to write: only
  // the TLS CA is looked at here).
  ASSERT_FALSE(p.wait_for_line("\"event\":\"ready\"", 15000).empty()) << p.output();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "ca.crt").c_str(), &st), 0) << p.output();
  EXPECT_EQ(st.st_uid, 4242u);
  EXPECT_EQ(st.st_gid, 4343u);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10000), 0);
  fs::remove_all(dir);
}

// A Compose bind mount of a folder that does not exist arrives as an empty folder.
TEST(Cli, AnEmptyWorldFolderIsNamedAsSuch) {
  auto dir = fs::temp_directory_path() / ("mynasim-empty-world-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto r = run_mynasim({"check", "--config", (dir / "world.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is empty: with Docker Compose, MYNASIM_WORLD_DIR must name an existing folder"),
            std::string::npos)
      << r.err;
  fs::remove_all(dir);
}

TEST(Cli, PortOptionsAndOverridesAreChecked) {
  auto r = run_mynasim({"serve", "--app-port", "70000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--app-port must be a port number from 0 to 65535"), std::string::npos) << r.err;
  r = run_mynasim({"serve", "--port-base", "65533"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--port-base must be a port number from 0 to 65532"), std::string::npos) << r.err;
  // Without `override: true` a second clock section is refused; with it and nothing to
  // replace, too — each with its file, line and column.
  std::string fixtures = std::string(MYNASIM_SOURCE_DIR) + "/fixtures/";
  auto twice = scratch_file("twice.yaml", "include: [" + fixtures + "world.yaml]\nclock:\n  speed: 2\n");
  r = run_mynasim({"check", "--config", twice});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("twice.yaml:3:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("add `override: true`"), std::string::npos) << r.err;
  auto nothing = scratch_file("nothing.yaml", "include: [" + fixtures + "systems.yaml]\nclock:\n  override: true\n");
  r = run_mynasim({"check", "--config", nothing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing.yaml:3:13"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no earlier 'clock' section"), std::string::npos) << r.err;
}

TEST(Cli, ServeRefusesAPortInUse) {
  test_server running;
  auto world = scratch_file("busy.yaml",
                            "include: [" + std::string(MYNASIM_SOURCE_DIR) +
                                "/fixtures/systems.yaml]\nserver:\n  certs_dir: " + test_certs_dir() +
                                "\n  listeners:\n    admin: {port: " + std::to_string(running.port("admin")) + "}\n");
  auto r = run_mynasim({"serve", "--config", world});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("listener 'admin'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mynasim::test
