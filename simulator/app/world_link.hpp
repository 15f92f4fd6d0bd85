// SPDX-License-Identifier: Apache-2.0
// A split world is still one world. One process owns the world's state — the virtual clock,
// faults and scenarios, resets, the sheets' runtime changes and the journal — and every other
// process follows it: before answering a request it asks the owner what the world says
// (faults to apply, a closed system, the clock), it sends its journal entries to the owner,
// and it hands every admin call on to the owner. A follower that cannot reach the owner
// answers 503 and says so in /readyz and its log.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/journal.hpp"
#include "clock/virtual_clock.hpp"
#include "config/sheet_changes.hpp"
#include "core/http.hpp"
#include "faults/fault_registry.hpp"

namespace mynasim {

class http_client;
struct client_request;

struct link_callbacks {
  std::function<void(const clock_state&)> clock;                       // adopt the owner's clock
  std::function<void(std::vector<sheet_change>)> sheets;               // adopt the owner's sheets
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
  nlohmann::json status() const;
  const std::string& owner() const { return owner_; }

  static constexpr std::size_t max_queued_entries = 5000;

 private:
  void sync();
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
};

}  // namespace mynasim
