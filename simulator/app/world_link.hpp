// SPDX-License-Identifier: Apache-2.0
// A split world is still one world — and so is each named world in it. One process owns every
// world's state — the virtual clock, faults and scenarios, resets, the sheets' runtime changes
// and the journal — and every other process follows it: before answering a request it asks the
// owner what the request's world says (faults to apply, a closed system, the clock, the
// version of its sheets), it sends its journal entries to the owner, tagged with their world,
// and it hands every admin call on to the owner. A follower that cannot reach the owner
// answers 503 and says so in /readyz and its log.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "clock/virtual_clock.hpp"
#include "config/sheet_changes.hpp"
#include "core/http.hpp"
#include "faults/fault_registry.hpp"
#include "world/journal.hpp"

namespace mynasim {

class http_client;
struct client_request;

// What the owner says of one request in one world.
struct owner_verdict {
  std::optional<fault_decision> decision;  // nullopt: the world is unknown or the owner silent
  std::optional<clock_state> clock;        // the world's clock, to adopt before answering
  std::uint64_t sheets_version = 0;        // the world's runtime changes, by version
  bool unknown_world = false;              // the owner holds no such world (deleted, expired)
  std::string error;                       // why there is no decision
};

// The owner's runtime changes of one world, or why not.
using changes_fn = std::function<void(std::optional<std::vector<sheet_change>>, std::string why)>;

// How adopting the owner's sheets ended: ok, or why not.
using sheets_adopted_fn = std::function<void(bool ok, const std::string& why)>;

struct link_callbacks {
  std::function<void(const clock_state&)> clock;  // adopt the owner's clock
  // Adopt the owner's sheets (off the I/O thread); `done` once they are in force or refused.
  std::function<void(std::vector<sheet_change>, sheets_adopted_fn done)> sheets;
  std::function<void(const std::string&, const nlohmann::json&)> log;  // lifecycle events
};

class world_link {
 public:
  // owner_url: the owner's admin listener, e.g. http://portal:8081; token: its bearer token.
  world_link(std::string owner_url, std::string token, std::string node, http_client& client, link_callbacks cb);

  // What the world under `prefix` ("" for the default world, else "/worlds/{id}") says about
  // this request: faults, a closed system, its clock and sheets' version.
  void decide(const http_request& req, const std::string& prefix, std::function<void(owner_verdict)> done);
  // A named world as the owner describes it (GET /__admin/worlds/{id}): status 200 and its
  // description, 404 when the owner holds none, 0 and the error when it does not answer.
  void world_info(const std::string& id, std::function<void(int, nlohmann::json, std::string)> done);
  // The runtime changes of the world under `prefix`, to adopt over this process's files.
  void world_changes(const std::string& prefix, changes_fn done);
  // An admin call, answered by the owner: with this process's token, or — a world token the
  // owner alone can judge — with the caller's own Authorization header.
  void forward(const http_request& req, respond_fn respond, bool callers_credentials = false);
  // Queued for the owner's journal of world `world` ("" the default world; bounded: the oldest
  // are dropped when the owner is away).
  void record(journal_entry e, std::string world = "");
  // Every 100 ms: sends queued journal entries; every 500 ms: syncs clock and sheets.
  void tick();

  bool connected() const { return connected_.load(); }
  // Why this process cannot serve as part of the world now — the owner unreachable, or its
  // sheets not (yet) adopted — or "" when it can (/readyz).
  std::string not_ready_reason() const;
  nlohmann::json status() const;
  const std::string& owner() const { return owner_; }

  static constexpr std::size_t max_queued_entries = 5000;
  // The largest answer read from the owner: a journal page through forward(), the whole list
  // of runtime changes (which the owner keeps below this, see config/world.hpp).
  static constexpr std::size_t max_answer_bytes = std::size_t{64} * 1024 * 1024;

 private:
  void sync();
  void fetch_sheets(std::uint64_t version);
  void sheets_failed(const std::string& why);
  void sheets_adopted(std::uint64_t version);
  void flush();
  void set_connected(bool up, const std::string& why);
  client_request owner_request(std::string method, const std::string& target, std::string body) const;

  std::string owner_, token_, node_;
  http_client* client_;
  link_callbacks cb_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> syncing_{false}, flushing_{false};
  std::atomic<std::uint64_t> sheets_version_{0};
  int ticks_ = 0;
  mutable std::mutex mutex_;
  std::deque<std::pair<std::string, journal_entry>> queue_;  // (world, entry)
  std::uint64_t dropped_ = 0;
  std::string last_error_;
  std::chrono::steady_clock::time_point last_answer_{};  // the owner's last answer
  // Not ready once the owner has not answered for this long, whatever the last call said: a
  // stopped owner's container may take a whole call timeout to fail.
  static constexpr std::chrono::milliseconds silence_limit{2000};
  // The sheets: why the last fetch or adoption failed ("" in sync), and when to try again —
  // logged once when they go out of sync and once when they are back, retried with backoff.
  std::string sheets_error_;
  std::chrono::milliseconds sheets_backoff_{0};
  std::chrono::steady_clock::time_point next_sheets_attempt_{};
};

}  // namespace mynasim
