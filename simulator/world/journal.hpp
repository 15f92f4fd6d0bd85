// SPDX-License-Identifier: Apache-2.0
// The request journal: every request into every system (the calls between simulated systems
// included) and every IF001-05 notification to API users, bounded by count and bytes; the
// oldest entries go first and drops are counted.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "clock/time.hpp"
#include "core/http.hpp"

namespace mynasim {

struct journal_entry {
  std::uint64_t seq = 0;  // the order entries were recorded in: when each exchange ended
  instant at;             // the virtual now when it was recorded (its answer complete)
  // When the exchange began: the virtual now, and a ticket of this journal's that orders the
  // exchanges begun at the same virtual instant (a frozen clock). Drawings order by these.
  instant started;
  std::uint64_t start_seq = 0;
  std::string direction = "in";  // in: into a simulated system; out: a notification to an API user
  std::string system, listener, method, path, url;
  int status = 0;
  double latency_ms = 0;
  // client_id: the service the request proved to act for (a valid access token, a client
  // certificate, a token issued to it, its browser session) — what filters, lint and
  // conformance read. claimed_client_id: the client_id a request named without that proof
  // (?client_id=, a form, a JSON body); kept for reading only, bounded in length.
  std::string client_id, claimed_client_id, persona, telegram_id, process_id, request_id;
  std::string error_code;                   // the answer's errorCode (catalogue code), as the log line has it
  std::string request_body, response_body;  // clipped to body_bytes
  std::vector<std::string> faults;
  std::string node;  // in a split world: the systems of the process that recorded it

  std::size_t bytes() const;
};

struct journal_filter {
  std::string system, path, client_id, telegram_id, process_id, direction;
  int status = 0;
  std::size_t limit = 100;
  bool matches(const journal_entry& e) const;
};

class request_journal {
 public:
  request_journal(std::size_t max_entries, std::size_t max_bytes, std::size_t body_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes), body_bytes_(body_bytes) {}

  void record(journal_entry e);
  // A start ticket for an exchange beginning now: increasing, never reused, not even on clear().
  std::uint64_t begin() { return next_start_.fetch_add(1, std::memory_order_relaxed); }
  std::vector<journal_entry> query(const journal_filter& f) const;  // newest last
  std::size_t count(const journal_filter& f) const;
  // One service's entries recorded after `after_seq` (oldest first, at most `limit`, stopping
  // at the first older entry: the scan costs what is new, not the whole journal).
  std::vector<journal_entry> since(const std::string& client_id, std::uint64_t after_seq, std::size_t limit) const;
  std::uint64_t last_seq() const;  // 0 before the first entry; never goes back, not even on clear()
  void clear();
  nlohmann::json stats() const;
  std::string clip(const std::string& body) const;

 private:
  std::size_t max_entries_, max_bytes_, body_bytes_;
  mutable std::mutex mutex_;
  std::deque<journal_entry> entries_;
  std::size_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t dropped_ = 0;
  std::atomic<std::uint64_t> next_start_{1};
};

nlohmann::json journal_json(const journal_entry& e);
// The inverse, for entries a split world's other processes send; nullopt when malformed.
std::optional<journal_entry> journal_entry_from_json(const nlohmann::json& j);

}  // namespace mynasim
