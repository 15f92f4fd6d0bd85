// SPDX-License-Identifier: Apache-2.0
#include "world/journal.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mynasim {
namespace {

const instant t0 = *parse_instant("2026-11-27T10:00:00+09:00");

journal_entry entry(std::string system, std::string client_id = "", std::string path = "/") {
  journal_entry e;
  e.at = t0;
  e.system = std::move(system);
  e.method = "POST";
  e.path = std::move(path);
  e.status = 200;
  e.client_id = std::move(client_id);
  return e;
}

std::vector<std::uint64_t> seqs(const std::vector<journal_entry>& entries) {
  std::vector<std::uint64_t> out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.push_back(e.seq);
  return out;
}

journal_filter all() {
  return {};
}

TEST(RequestJournal, NumbersEntriesFromOne) {
  request_journal j(100, 1 << 20, 2048);
  EXPECT_EQ(j.last_seq(), 0u);
  j.record(entry("juki"));
  j.record(entry("network"));
  EXPECT_EQ(j.last_seq(), 2u);
  auto got = j.query(all());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq, 1u);
  EXPECT_EQ(got[0].system, "juki");
  EXPECT_EQ(got[1].seq, 2u);
  EXPECT_EQ(got[1].system, "network");
}

TEST(RequestJournal, BoundedByCountDroppingTheOldestFirst) {
  request_journal j(3, 1 << 20, 2048);
  for (int i = 0; i < 3; ++i) j.record(entry("juki"));
  EXPECT_EQ(j.stats()["dropped"], 0);
  for (int i = 0; i < 2; ++i) j.record(entry("juki"));
  EXPECT_EQ(seqs(j.query(all())), (std::vector<std::uint64_t>{3, 4, 5}));
  auto stats = j.stats();
  EXPECT_EQ(stats["entries"], 3);
  EXPECT_EQ(stats["dropped"], 2);
  EXPECT_EQ(stats["max_entries"], 3);
  EXPECT_EQ(j.last_seq(), 5u);
}

TEST(RequestJournal, BoundedByBytesDroppingTheOldestFirst) {
  // What one entry of this shape costs, as the journal counts it.
  request_journal probe(100, 1 << 20, 2048);
  probe.record(entry("juki", "SP00000086_AA0003"));
  const std::size_t one = probe.stats()["bytes"].get<std::size_t>();
  ASSERT_GT(one, sizeof(journal_entry));

  request_journal exact(100, 3 * one, 2048);  // exactly three fit
  for (int i = 0; i < 5; ++i) exact.record(entry("juki", "SP00000086_AA0003"));
  EXPECT_EQ(seqs(exact.query(all())), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(exact.stats()["bytes"], 3 * one);
  EXPECT_EQ(exact.stats()["dropped"], 2);

  request_journal tight(100, 3 * one - 1, 2048);  // one byte short of three
  for (int i = 0; i < 5; ++i) tight.record(entry("juki", "SP00000086_AA0003"));
  EXPECT_EQ(seqs(tight.query(all())), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(tight.stats()["bytes"], 2 * one);
  EXPECT_EQ(tight.stats()["dropped"], 3);
}

TEST(RequestJournal, AnEntryLargerThanTheByteBoundIsNotKept) {
  request_journal j(100, 64, 2048);
  j.record(entry("juki"));
  EXPECT_TRUE(j.query(all()).empty());
  EXPECT_EQ(j.stats()["bytes"], 0);
  EXPECT_EQ(j.stats()["dropped"], 1);
  EXPECT_EQ(j.last_seq(), 1u);  // it was numbered all the same
}

TEST(RequestJournal, ByteCountFollowsBodies) {
  request_journal j(100, 1 << 20, 4096);
  j.record(entry("juki"));
  auto small = j.stats()["bytes"].get<std::size_t>();
  auto big = entry("juki");
  big.response_body = std::string(1000, 'x');
  j.record(big);
  // The second entry costs at least its fixed part and the body's 1000 bytes.
  EXPECT_GE(j.stats()["bytes"].get<std::size_t>() - small, sizeof(journal_entry) + 1000);
}

TEST(RequestJournal, ClipsBodiesToTheConfiguredSize) {
  request_journal j(100, 1 << 20, 8);
  EXPECT_EQ(j.clip("01234567"), "01234567");
  EXPECT_EQ(j.clip("012345678"), "01234567…");
  EXPECT_EQ(j.clip(""), "");
  auto e = entry("juki");
  e.request_body = "{\"a\":\"0123456789\"}";
  e.response_body = "short";
  j.record(e);
  auto got = j.query(all()).at(0);
  EXPECT_EQ(got.request_body, "{\"a\":\"01…");
  EXPECT_EQ(got.response_body, "short");
}

TEST(RequestJournal, ClipsOnACharacterBoundary) {
  request_journal j(100, 1 << 20, 4);
  EXPECT_EQ(j.clip("あいう"), "あ…");  // byte 4 is inside い: cut before it
  request_journal three(100, 1 << 20, 3);
  EXPECT_EQ(three.clip("あいう"), "あ…");
  request_journal two(100, 1 << 20, 2);
  EXPECT_EQ(two.clip("あいう"), "…");
  EXPECT_EQ(two.clip("aあ"), "a…");
}

TEST(RequestJournal, FiltersByEveryField) {
  request_journal j(100, 1 << 20, 2048);
  auto a = entry("juki", "SP00000086_AA0003", "/systems/juki/identify");
  a.telegram_id = "TL-1";
  a.process_id = "P-1";
  j.record(a);  // 1
  auto b = entry("network", "SP00000123_BB0001", "/systems/network/query");
  b.status = 503;
  b.process_id = "P-2";
  j.record(b);  // 2
  auto c = entry("portal", "SP00000086_AA0003", "/callback");
  c.direction = "out";
  c.telegram_id = "TL-2";
  j.record(c);  // 3
  auto d = entry("juki", "SP00000123_BB0001", "/systems/juki/query");
  d.status = 503;
  j.record(d);  // 4

  auto by = [&](auto set) {
    journal_filter f;
    set(f);
    EXPECT_EQ(j.count(f), j.query(f).size());
    return seqs(j.query(f));
  };
  using v = std::vector<std::uint64_t>;
  EXPECT_EQ(by([](journal_filter&) {}), (v{1, 2, 3, 4}));
  EXPECT_EQ(by([](journal_filter& f) { f.system = "juki"; }), (v{1, 4}));
  EXPECT_EQ(by([](journal_filter& f) { f.path = "/systems/juki/"; }), (v{1, 4}));  // a prefix
  EXPECT_EQ(by([](journal_filter& f) { f.path = "/systems"; }), (v{1, 2, 4}));
  EXPECT_EQ(by([](journal_filter& f) { f.path = "/juki"; }), (v{}));
  EXPECT_EQ(by([](journal_filter& f) { f.client_id = "SP00000086_AA0003"; }), (v{1, 3}));
  EXPECT_EQ(by([](journal_filter& f) { f.telegram_id = "TL-2"; }), (v{3}));
  EXPECT_EQ(by([](journal_filter& f) { f.process_id = "P-2"; }), (v{2}));
  EXPECT_EQ(by([](journal_filter& f) { f.direction = "out"; }), (v{3}));
  EXPECT_EQ(by([](journal_filter& f) { f.direction = "in"; }), (v{1, 2, 4}));
  EXPECT_EQ(by([](journal_filter& f) { f.status = 503; }), (v{2, 4}));
  EXPECT_EQ(by([](journal_filter& f) {
              f.system = "juki";
              f.status = 503;
            }),
            (v{4}));
}

TEST(RequestJournal, QueryLimitKeepsTheNewestOldestFirst) {
  request_journal j(100, 1 << 20, 2048);
  for (int i = 0; i < 6; ++i) j.record(entry(i % 2 ? "juki" : "network"));
  journal_filter f;
  f.limit = 2;
  EXPECT_EQ(seqs(j.query(f)), (std::vector<std::uint64_t>{5, 6}));
  f.system = "juki";
  EXPECT_EQ(seqs(j.query(f)), (std::vector<std::uint64_t>{4, 6}));
  EXPECT_EQ(j.count(f), 3u);  // count is not limited
  f.limit = 0;
  EXPECT_TRUE(j.query(f).empty());
}

TEST(RequestJournal, SinceReturnsOneServicesNewEntriesOldestFirst) {
  request_journal j(100, 1 << 20, 2048);
  const std::string a = "SP00000086_AA0003", b = "SP00000123_BB0001";
  for (const auto& client : {a, b, a, a, b, a}) j.record(entry("portal", client));  // 1..6
  EXPECT_EQ(seqs(j.since(a, 0, 10)), (std::vector<std::uint64_t>{1, 3, 4, 6}));
  EXPECT_EQ(seqs(j.since(a, 3, 10)), (std::vector<std::uint64_t>{4, 6}));
  EXPECT_EQ(seqs(j.since(a, 0, 2)), (std::vector<std::uint64_t>{1, 3}));  // the oldest of what is new
  EXPECT_EQ(seqs(j.since(b, 2, 10)), (std::vector<std::uint64_t>{5}));
  EXPECT_TRUE(j.since(a, 6, 10).empty());
  EXPECT_TRUE(j.since(a, 0, 0).empty());
  EXPECT_TRUE(j.since("SP00000200_CC0001", 0, 10).empty());
}

TEST(RequestJournal, LastSeqNeverGoesBackNotEvenOnClear) {
  request_journal j(2, 1 << 20, 2048);
  for (int i = 0; i < 3; ++i) j.record(entry("juki", "SP00000086_AA0003"));
  EXPECT_EQ(j.last_seq(), 3u);
  j.clear();
  EXPECT_EQ(j.last_seq(), 3u);
  EXPECT_TRUE(j.query(all()).empty());
  EXPECT_EQ(j.stats()["entries"], 0);
  EXPECT_EQ(j.stats()["bytes"], 0);
  j.record(entry("juki", "SP00000086_AA0003"));
  EXPECT_EQ(j.last_seq(), 4u);
  EXPECT_EQ(seqs(j.query(all())), (std::vector<std::uint64_t>{4}));
  // A reader that saw up to 3 before the clear sees exactly what came after it.
  EXPECT_EQ(seqs(j.since("SP00000086_AA0003", 3, 10)), (std::vector<std::uint64_t>{4}));
}

TEST(JournalJson, RoundTripsAnEntry) {
  auto e = entry("juki", "SP00000086_AA0003", "/systems/juki/identify");
  e.seq = 7;
  e.listener = "systems";
  e.url = "http://127.0.0.1:8090/systems/juki/identify";
  e.persona = "taro";
  e.telegram_id = "TL-1";
  e.process_id = "P-1";
  e.request_id = "r-1";
  e.error_code = "MPE3003";
  e.status = 503;
  e.latency_ms = 12.5;
  e.request_body = "{}";
  e.response_body = "{\"error\":\"x\"}";
  e.faults = {"fault-1", "request-2"};
  e.node = "node-a";
  e.started = t0 - millis(250);
  e.start_seq = 41;
  auto j = journal_json(e);
  EXPECT_EQ(j["seq"], 7);
  EXPECT_EQ(j["at"], "2026-11-27T10:00:00+09:00");
  EXPECT_EQ(j["started"], "2026-11-27T09:59:59.750+09:00");
  EXPECT_EQ(j["start_seq"], 41);
  EXPECT_EQ(j["direction"], "in");
  auto back = journal_entry_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at, e.at);
  EXPECT_EQ(back->seq, 0u);  // the receiving journal numbers it
  auto expected = j;
  expected["seq"] = 0;
  EXPECT_EQ(journal_json(*back), expected);
}

// An entry from a process that did not say when its exchange began (an older follower) is
// taken as begun when it ended, with no start ticket.
TEST(JournalJson, AnEntryWithoutItsStartBeganWhenItEnded) {
  auto j = journal_json(entry("juki"));
  j.erase("started");
  j.erase("start_seq");
  auto back = journal_entry_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->started, t0);
  EXPECT_EQ(back->start_seq, 0u);
}

TEST(RequestJournal, StartTicketsIncreaseAndSurviveClear) {
  request_journal j(10, 1 << 20, 2048);
  auto a = j.begin();
  auto b = j.begin();
  j.clear();
  EXPECT_LT(a, b);
  EXPECT_LT(b, j.begin());
  EXPECT_GT(a, 0u);  // 0 is "no ticket": a request answered before it reached its world
}

// A client_id named without proof is kept for reading only: the filter, since() (what lint and
// conformance read) and the JSON's client_id go by the proved one (issue 26, item 2).
TEST(RequestJournal, AClaimedClientIsNotTheClient) {
  request_journal j(100, 1 << 20, 2048);
  const std::string a = "SP00000086_AA0003";
  auto claimed = entry("portal");
  claimed.claimed_client_id = a;
  j.record(claimed);             // 1: named a, proved nothing
  j.record(entry("portal", a));  // 2: a, proved
  journal_filter f;
  f.client_id = a;
  EXPECT_EQ(seqs(j.query(f)), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(j.count(f), 1u);
  EXPECT_EQ(seqs(j.since(a, 0, 10)), (std::vector<std::uint64_t>{2}));
  auto json = journal_json(j.query(all()).front());
  EXPECT_FALSE(json.contains("client_id")) << json;
  EXPECT_EQ(json["claimed_client_id"], a);
  auto back = journal_entry_from_json(json);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->claimed_client_id, a);
  EXPECT_TRUE(back->client_id.empty());
}

TEST(JournalJson, MalformedEntriesAreRefused) {
  EXPECT_FALSE(journal_entry_from_json(nlohmann::json::array()));
  EXPECT_FALSE(journal_entry_from_json({{"system", "juki"}}));                       // no instant
  EXPECT_FALSE(journal_entry_from_json({{"system", "juki"}, {"at", "yesterday"}}));  // not an instant
  auto minimal = journal_entry_from_json({{"at", "2026-11-27T10:00:00+09:00"}});
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->direction, "in");
  EXPECT_EQ(minimal->status, 0);
}

}  // namespace
}  // namespace mynasim
