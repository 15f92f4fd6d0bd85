// SPDX-License-Identifier: Apache-2.0
// Hardening round 3 (issue 26): the files a world reads and the runtime changes replayed over
// them. A world reads only files inside its own folder (and the default world's fixtures), so
// no reload error can quote a file from elsewhere; a bad or looping file is an error, never an
// exception; runtime changes are bounded in bytes and compacted; a change the files made moot
// is dropped with a warning instead of blocking every reload; the heavy work of a change runs
// off the I/O threads.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "contract_log.hpp"
#include "core/json_util.hpp"
#include "faults/decision_wire.hpp"
#include "net/server.hpp"
#include "process.hpp"
#include "test_server.hpp"

namespace mynasim::test {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string secret = "SECRET_LINE_root_x_20228";  // what must never appear in an answer

nlohmann::json body_of(const client_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

// A world folder of its own (world.yaml including the default world and extra.yaml) and, beside
// it, a folder the world must not read (secret.yaml, whose first key is the secret).
class WorldFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("mynasim-world-files-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    dir_ = base_ / "world";
    outside_ = base_ / "outside";
    fs::create_directories(dir_);
    fs::create_directories(outside_);
    std::ofstream((outside_ / "secret.yaml").string()) << secret << ": 1\n";
    write_world("");
    std::ofstream((dir_ / "extra.yaml").string()) << "{}\n";
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(base_);
  }
  void write_world(const std::string& more_includes) {
    std::ofstream((dir_ / "world.yaml").string())
        << "include: [\"mynasim:fixtures/world.yaml\", extra.yaml" << more_includes << "]\n";
  }
  void start(const app_options& options = {}) {
    server_.reset();
    auto entry = (dir_ / "world.yaml").string();
    server_ = std::make_unique<test_server>([entry](world_config& w) { w = test_world(entry); }, options);
  }
  nlohmann::json reload() {
    auto res = server_->admin("POST", "/__admin/reload");
    auto j = body_of(res);
    j["status"] = res.status;
    return j;
  }
  std::string extra() const { return (dir_ / "extra.yaml").string(); }

  fs::path base_, dir_, outside_;
  std::unique_ptr<test_server> server_;
};

// issue 26 item 7: personas.yaml made a symlink to /etc/shadow, then POST /__admin/reload.
TEST_F(WorldFiles, ASymlinkOutOfTheWorldFolderIsRefusedByReloadWithoutItsContent) {
  start();
  fs::remove(extra());
  fs::create_symlink(outside_ / "secret.yaml", extra());
  auto j = reload();
  EXPECT_EQ(j["status"], 400) << j.dump();
  auto message = j.value("error_description", "");
  EXPECT_EQ(message.find(secret), std::string::npos) << message;
  EXPECT_NE(message.find("extra.yaml"), std::string::npos) << message;
  EXPECT_NE(message.find("outside the world folder"), std::string::npos) << message;
  // The entry file itself swapped for such a link: the world's folder is the one it started in.
  fs::remove(dir_ / "world.yaml");
  fs::create_symlink(outside_ / "secret.yaml", dir_ / "world.yaml");
  j = reload();
  EXPECT_EQ(j["status"], 400) << j.dump();
  EXPECT_EQ(j.value("error_description", "").find(secret), std::string::npos) << j.dump();
  EXPECT_NE(j.value("error_description", "").find("outside the world folder"), std::string::npos) << j.dump();
  EXPECT_EQ(server_->logs().find(secret), std::string::npos);
}

// issue 26 item 7: `include: [/etc/shadow]`, then POST /__admin/reload.
TEST_F(WorldFiles, AnAbsoluteIncludeOutOfTheWorldFolderIsRefusedByReloadWithoutItsContent) {
  start();
  write_world(", \"" + (outside_ / "secret.yaml").string() + "\"");
  auto j = reload();
  EXPECT_EQ(j["status"], 400) << j.dump();
  auto message = j.value("error_description", "");
  EXPECT_EQ(message.find(secret), std::string::npos) << message;
  // Where the include is written, and the path it names.
  EXPECT_NE(message.find("world.yaml:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("include[2]"), std::string::npos) << message;
  EXPECT_NE(message.find((outside_ / "secret.yaml").string()), std::string::npos) << message;
  // ".." out of the folder is the same.
  write_world(", ../outside/secret.yaml");
  j = reload();
  EXPECT_EQ(j["status"], 400) << j.dump();
  EXPECT_EQ(j.value("error_description", "").find(secret), std::string::npos) << j.dump();
}

// At startup the same refusals stop `mynasim check` and `mynasim serve` with exit code 2 and one
// `file:line:col: path: message` line.
TEST_F(WorldFiles, CheckAndServeRefuseFilesOutOfTheWorldFolderWithOneLine) {
  auto entry = (dir_ / "world.yaml").string();
  write_world(", \"" + (outside_ / "secret.yaml").string() + "\"");
  for (const char* command : {"check", "serve"}) {
    auto r = run_mynasim({command, "--config", entry});
    EXPECT_EQ(r.exit_code, 2) << command << r.err;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("configuration error: " + entry + ":1:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(": include[2]: "), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  write_world("");
  fs::remove(extra());
  fs::create_symlink(outside_ / "secret.yaml", extra());
  auto r = run_mynasim({"check", "--config", entry});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": include[1]: "), std::string::npos) << r.err;
}

// Another folder may be allowed explicitly (MYNASIM_WORLD_ROOTS); then its files are read.
TEST_F(WorldFiles, AnExplicitlyAllowedFolderMayBeIncluded) {
  auto entry = (dir_ / "world.yaml").string();
  std::ofstream((outside_ / "shared.yaml").string()) << "services: []\n";
  write_world(", \"" + (outside_ / "shared.yaml").string() + "\"");
  EXPECT_EQ(run_mynasim({"check", "--config", entry}).exit_code, 2);
  ::setenv("MYNASIM_WORLD_ROOTS", outside_.c_str(), 1);
  auto r = run_mynasim({"check", "--config", entry});
  ::unsetenv("MYNASIM_WORLD_ROOTS");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// issue 26 item 11: a file that is a symlink to itself is reported as unreadable — by reload and
// by --watch — and once the file is fixed, --watch reloads it.
TEST_F(WorldFiles, ASymlinkLoopIsAReloadErrorAndWatchRecoversOnceItIsFixed) {
  app_options options;
  options.watch = true;
  start(options);
  fs::remove(extra());
  fs::create_symlink(extra(), extra());
  auto j = reload();
  EXPECT_EQ(j["status"], 400) << j.dump();
  EXPECT_NE(j.value("error_description", "").find("extra.yaml"), std::string::npos) << j.dump();
  // The POST's refusal is logged once; --watch logs its own.
  auto refusals = [&] {
    auto logs = server_->logs();
    std::size_t n = 0;
    for (auto at = logs.find("reload_refused"); at != std::string::npos; at = logs.find("reload_refused", at + 1)) ++n;
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (refusals() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  EXPECT_GE(refusals(), 2u) << server_->logs();
  EXPECT_NE(server_->logs().find("symbolic links"), std::string::npos) << server_->logs();
  fs::remove(extra());
  std::ofstream(extra()) << "connections:\n  - {client_id: SP00000086_AA0003, override: true, "
                            "notification_url: \"http://fixed:1/n\"}\n";
  auto url = [&] {
    return body_of(server_->admin("GET", "/__admin/connections/SP00000086_AA0003")).value("notification_url", "");
  };
  deadline = std::chrono::steady_clock::now() + 20s;
  while (url() != "http://fixed:1/n" && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(url(), "http://fixed:1/n") << server_->logs();
  EXPECT_EQ(request(server_->port("admin"), false, "GET", "/healthz").status, 200);
}

// A world folder holding every file of the default world, so that its personas can be edited.
class OwnWorld : public WorldFiles {
 protected:
  void SetUp() override {
    WorldFiles::SetUp();
    for (const auto& f : fs::directory_iterator(std::string(MYNASIM_SOURCE_DIR) + "/fixtures"))
      fs::copy_file(f.path(), dir_ / f.path().filename(), fs::copy_options::overwrite_existing);
  }
  std::string personas() const { return (dir_ / "personas.yaml").string(); }
  // personas.yaml without the persona `id` (its entry runs to the next blank line).
  void remove_persona(const std::string& id) {
    std::ifstream in(personas());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto at = text.find("  - id: " + id + "\n");
    ASSERT_NE(at, std::string::npos);
    auto end = text.find("\n\n", at);
    text.erase(at, end == std::string::npos ? std::string::npos : end + 2 - at);
    std::ofstream(personas()) << text;
  }
};

// issue 26 item 10: a runtime DELETE of jiro, then jiro removed from personas.yaml: the reload
// applies the files and drops the stale change with a warning.
TEST_F(OwnWorld, AChangeTheFilesMadeMootIsDroppedWithAWarningInsteadOfBlockingReloads) {
  start();
  ASSERT_EQ(server_->admin("DELETE", "/__admin/personas/jiro").status, 200);
  ASSERT_EQ(server_->admin("PATCH", "/__admin/personas/misaki", R"({"note": "patched"})").status, 200);
  ASSERT_EQ(server_->admin("PATCH", "/__admin/personas/ken", R"({"note": "kept"})").status, 200);
  remove_persona("jiro");
  remove_persona("misaki");
  auto j = reload();
  ASSERT_EQ(j["status"], 200) << j.dump();
  ASSERT_TRUE(j["dropped"].is_array()) << j.dump();
  ASSERT_EQ(j["dropped"].size(), 2u) << j.dump();
  auto dropped = j["dropped"].dump();
  EXPECT_NE(dropped.find("DELETE /__admin/personas/jiro"), std::string::npos) << dropped;
  EXPECT_NE(dropped.find("PATCH /__admin/personas/misaki"), std::string::npos) << dropped;
  EXPECT_EQ(j["runtime_changes_replayed"], 1);
  EXPECT_NE(server_->logs().find("runtime_change_dropped"), std::string::npos);
  EXPECT_EQ(server_->admin("GET", "/__admin/personas/misaki").status, 404);
  EXPECT_EQ(body_of(server_->admin("GET", "/__admin/personas/ken"))["note"], "kept");
  auto changes = body_of(server_->admin("GET", "/__admin/changes"))["changes"];
  EXPECT_EQ(changes.size(), 1u) << changes.dump();
  // Later reloads apply the files again.
  std::ofstream(extra()) << "# edited afterwards\n{}\n";
  j = reload();
  EXPECT_EQ(j["status"], 200) << j.dump();
  EXPECT_EQ(j["dropped"].size(), 0u) << j.dump();
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string persona_body(const std::string& serial, const std::string& note) {
  return R"({"name": "新井 一", "kana": "アライ ハジメ", "birth_date": "2000-01-02", "sex": "男",
             "address": "東京都千代田区1-1", "municipality": "東京都千代田区", "note": ")" +
         note + R"(", "card": {"serial": ")" + serial + R"(", "pin": "4321"}})";
}

// issue 26 item 8: 150 × PATCH of taro with a 900 KB note kept 150 changes (135 MB); now repeated
// patches fold into one, the list is bounded in bytes and each change in size, and DELETE
// /__admin/changes forgets them.
TEST(RuntimeChanges, AreBoundedInBytesAndRepeatedPatchesDoNotGrowTheList) {
  test_server server([](world_config& w) {
    w.server.body_limit = std::size_t{3} * 1024 * 1024;
    w.qa.runtime_changes.max_bytes = std::size_t{4} * 1024 * 1024;
  });
  const std::string note(std::size_t{900} * 1024, 'n');
  for (int i = 0; i < 30; ++i) {
    auto res =
        server.admin("PATCH", "/__admin/personas/taro", R"({"note": ")" + note.substr(0, note.size() - i) + R"("})");
    ASSERT_EQ(res.status, 200) << i << " " << res.body.substr(0, 300);
  }
  auto full_changes = [&] {
    contract_exemption too_large_to_record;  // the contract log keeps 1 MB of a body
    return server.admin("GET", "/__admin/changes?full=1");
  };
  auto changes = full_changes();
  EXPECT_EQ(body_of(changes)["changes"].size(), 1u);
  EXPECT_LT(changes.body.size(), note.size() + 4096);
  // New entries, each with a 900 KB note: the fifth would pass the 4 MiB budget.
  int refused_at = -1;
  client_response refusal;
  for (int i = 0; i < 8 && refused_at < 0; ++i) {
    auto res = server.admin("PUT", "/__admin/personas/big" + std::to_string(i),
                            persona_body("MC0000990" + std::to_string(i), note));
    if (res.status != 201) {
      refused_at = i;
      refusal = res;
    }
  }
  EXPECT_EQ(refused_at, 3);
  EXPECT_EQ(refusal.status, 413);
  EXPECT_EQ(body_of(refusal)["error"], "runtime_changes_full") << refusal.body;
  EXPECT_NE(body_of(refusal)["error_description"].get<std::string>().find("qa.runtime_changes.max_bytes"),
            std::string::npos);
  EXPECT_EQ(server.admin("GET", "/__admin/personas/big3").status, 404);  // refused whole
  EXPECT_LE(full_changes().body.size(), std::size_t{4} * 1024 * 1024 + 4096);
  // One change larger than qa.runtime_changes.max_change_bytes (2 MiB).
  auto huge = server.admin("PATCH", "/__admin/personas/hanako", R"({"note": ")" + std::string(2200000, 'h') + R"("})");
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(body_of(huge)["error"], "change_too_large") << huge.body.substr(0, 300);
  // Forgotten: the files apply again.
  auto forgot = server.admin("DELETE", "/__admin/changes");
  EXPECT_EQ(forgot.status, 200) << forgot.body.substr(0, 300);
  EXPECT_EQ(body_of(server.admin("GET", "/__admin/changes"))["changes"].size(), 0u);
  EXPECT_NE(body_of(server.admin("GET", "/__admin/personas/taro"))["note"], note);
  EXPECT_EQ(server.admin("GET", "/__admin/personas/big0").status, 404);
}

// A world owner for one follower: its clock, a sheets version, and its change list only once
// it is told to give it (until then GET /__admin/changes answers 500).
class fake_owner {
 public:
  fake_owner() {
    server_ = std::make_unique<http_server>(server_settings{}, [this](http_request& req, const respond_fn& respond) {
      clock_state clock{*parse_instant("2026-11-27T10:00:00+09:00"), 0.0, true};
      if (req.path == "/__admin/world/state")
        return respond(json_response(200, {{"clock", clock_state_json(clock)}, {"sheets_version", 7}}));
      if (req.path == "/__admin/world/decide")
        return respond(json_response(200, {{"clock", clock_state_json(clock)}, {"decision", decision_json({})}}));
      if (req.path == "/__admin/world/journal") return respond(json_response(200, {{"recorded", 0}}));
      if (req.path == "/__admin/changes") {
        ++change_requests;
        if (!healthy) return respond(json_response(500, {{"error", "broken"}}));
        std::lock_guard lock(mutex_);
        return respond(json_response(200, {{"changes", changes_}, {"version", 7}}));
      }
      respond(json_response(404, {{"error", "not_found"}}));
    });
    listen_settings l;
    l.name = "owner";
    port_ = server_->listen(l);
    server_->start();
  }
  ~fake_owner() {
    server_->shutdown();
    server_->join();
  }
  fake_owner(const fake_owner&) = delete;
  fake_owner& operator=(const fake_owner&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void heal(nlohmann::json changes) {
    {
      std::lock_guard lock(mutex_);
      changes_ = std::move(changes);
    }
    healthy = true;
  }
  std::atomic<bool> healthy{false};
  std::atomic<int> change_requests{0};

 private:
  std::mutex mutex_;
  nlohmann::json changes_ = nlohmann::json::array();
  std::unique_ptr<http_server> server_;
  std::uint16_t port_ = 0;
};

// issue 26 item 9: a follower whose owner's change list cannot be read said nothing, kept stale
// sheets, stayed ready and refetched every 500 ms. Now it logs once, backs off, is not ready
// until it has the owner's sheets, and says when it has them again.
TEST(SplitFollower, SaysOnceThatItsSheetsAreStaleBacksOffAndIsNotReadyUntilInSync) {
  fake_owner owner;
  app_options options;
  options.world_owner = owner.url();
  options.only = {"juki"};
  test_server follower({}, options);
  auto readyz = [&] { return request(follower.port("systems"), false, "GET", "/readyz"); };
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (follower.logs().find("world_sheets_out_of_sync") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  auto not_ready = readyz();
  EXPECT_EQ(not_ready.status, 503) << not_ready.body;
  EXPECT_NE(not_ready.body.find("answered 500"), std::string::npos) << not_ready.body;
  auto before = owner.change_requests.load();
  std::this_thread::sleep_for(3500ms);
  // Every 500 ms would be 7 more; with backoff (1 s, 2 s, 4 s …) at most 3.
  EXPECT_LE(owner.change_requests.load() - before, 3);
  EXPECT_EQ(occurrences(follower.logs(), "world_sheets_out_of_sync"), 1u) << follower.logs();
  EXPECT_EQ(readyz().status, 503);

  owner.heal(nlohmann::json::array({{{"op", "put"},
                                     {"section", "personas"},
                                     {"id", "newbie"},
                                     {"text", persona_body("MC00009999", "from the owner")},
                                     {"origin", "PUT /__admin/personas/newbie"}}}));
  deadline = std::chrono::steady_clock::now() + 40s;
  while (readyz().status != 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(readyz().status, 200) << follower.logs();
  EXPECT_EQ(occurrences(follower.logs(), "world_sheets_in_sync"), 1u);
  auto identified = request(follower.port("systems"), false, "POST", "/systems/juki/identify",
                            R"({"card_serial": "MC00009999"})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(identified.status, 200) << identified.body;
}

// issue 26 item 12: in a 100 000-persona world a persona PUT copied the world and re-planned
// every card inside the handler, on the only I/O thread: /healthz waited behind it. Now the
// work runs on the background pool and a health probe on the same listener is answered while
// the PUTs are still being worked out, in order.
TEST_F(OwnWorld, HeavySheetWorkRunsOffTheIoThread) {
  std::ofstream(personas(), std::ios::app)
      << "\n  - {count: 100000, id: \"load-{n}\", name: \"負荷 {n}\", kana: フカ, birth_date: \"1990-01-01\", sex: 男,"
         " address: 東京都港区, municipality: 東京都港区, card: {serial: \"LT{n:08}\", pin: \"1234\"}}\n";
  auto entry = (dir_ / "world.yaml").string();
  server_ = std::make_unique<test_server>([entry](world_config& w) {
    w = test_world(entry);
    w.server.threads = 1;  // the only I/O thread
  });
  ASSERT_EQ(server_->runtime().data.get()->personas.size(), 100008u);
  constexpr int puts = 4;
  std::atomic<int> answered{0};
  std::vector<std::future<int>> statuses;
  statuses.reserve(puts);
  for (int i = 0; i < puts; ++i)
    statuses.push_back(std::async(std::launch::async, [&, i] {
      auto res = server_->admin("PUT", "/__admin/personas/heavy" + std::to_string(i),
                                persona_body("MC0000880" + std::to_string(i), "heavy"));
      ++answered;
      return res.status;
    }));
  std::this_thread::sleep_for(100ms);
  auto health = request(server_->port("admin"), false, "GET", "/healthz");
  auto answered_before_health = answered.load();
  EXPECT_EQ(health.status, 200);
  for (auto& f : statuses) EXPECT_EQ(f.get(), 201);
  EXPECT_LT(answered_before_health, puts) << "the probe waited for every PUT";
  for (int i = 0; i < puts; ++i)
    EXPECT_EQ(server_->admin("GET", "/__admin/personas/heavy" + std::to_string(i)).status, 200);
  // A reload of the big world is worked out off the I/O thread too, and keeps the changes.
  auto reload = std::async(std::launch::async, [&] { return server_->admin("POST", "/__admin/reload"); });
  EXPECT_EQ(request(server_->port("admin"), false, "GET", "/healthz").status, 200);
  auto reloaded = reload.get();
  EXPECT_EQ(reloaded.status, 200) << reloaded.body.substr(0, 300);
  EXPECT_EQ(body_of(reloaded)["runtime_changes_replayed"], puts);
}

}  // namespace
}  // namespace mynasim::test
