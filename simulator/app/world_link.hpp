// SPDX-License-Identifier: Apache-2.0
// A split world is still one world. One process owns the world's state — the virtual clock,
// faults and scenarios, resets, the sheets' runtime changes and the journal — and every other
// process follows it: before answering a request it asks the owner what the world says
// (faults to apply, a closed system, the clock), it sends its journal entries to the owner,
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

  // What the world says about this request (faults, a closed system); the owner's clock is
  // adopted before `done` runs. nullopt and a message when the owner does not answer.
  void decide(const http_request& req, std::function<void(std::optional<fault_decision>, std::string)> done);
  // An admin call, answered by the owner.
  void forward(const http_request& req, respond_fn respond);
  // Queued for the owner's journal (bounded; the oldest are dropped when the owner is away).
  void record(journal_entry e);
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
  std::deque<journal_entry> queue_;
  std::uint64_t dropped_ = 0;
  std::string last_error_;
  // The sheets: why the last fetch or adoption failed ("" in sync), and when to try again —
  // logged once when they go out of sync and once when they are back, retried with backoff.
  std::string sheets_error_;
  std::chrono::milliseconds sheets_backoff_{0};
  std::chrono::steady_clock::time_point next_sheets_attempt_{};
};

}  // namespace mynasim
