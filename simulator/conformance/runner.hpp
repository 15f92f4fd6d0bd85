// SPDX-License-Identifier: Apache-2.0
// Runs conformance plans: one test at a time per service, each arranged (faults narrowed to
// the service, a portal outcome, the clock), waiting for the API user's own flow, judged from
// the journal (conformance/plan.hpp), and put back before the next. Driven by tick() on the
// server's housekeeping timer; every call is thread-safe. Bounded: at most max_active runs at
// once and max_kept in all (the oldest finished one goes first).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/plan.hpp"
#include "faults/fault_registry.hpp"
#include "portal/authorization.hpp"
#include "world/journal.hpp"
#include "world/runtime.hpp"

namespace mynasim {

struct conformance_deps {
  world_runtime* rt = nullptr;
  fault_registry* faults = nullptr;
  authorization* auth = nullptr;
  request_journal* journal = nullptr;
  const card_registry* cards = nullptr;  // the suggested persona's card must work now
  // GET `url` (an API user's callback) with a deadline; calls back with a status line or the
  // transport error. Runs on the server's threads.
  std::function<void(const std::string& url, std::function<void(std::string answer, bool failed)>)> get;
  // Lifecycle events for the log: conformance_test {run, test, state, …}.
  std::function<void(const std::string&, const nlohmann::json&)> log;
};

class conformance_runner {
 public:
  static constexpr std::size_t max_active = 8, max_kept = 20;
  static constexpr std::size_t max_entries_per_test = 2000;

  explicit conformance_runner(conformance_deps deps);
  ~conformance_runner();

  // Starts a plan for a service. On failure: nullopt, `status` (400 / 404 / 409 / 429) and `error`.
  // `complete_screens`: each test's consent and card screens are completed by the portal itself
  // for the announced persona and action (authorization::arrange_screens).
  struct options {
    bool complete_screens = false;
  };
  std::optional<nlohmann::json> start(const std::string& client_id, const std::string& plan, int& status,
                                      std::string& error) {
    return start(client_id, plan, options{}, status, error);
  }
  std::optional<nlohmann::json> start(const std::string& client_id, const std::string& plan, const options& o,
                                      int& status, std::string& error);
  void tick();
  std::optional<nlohmann::json> status(const std::string& id) const;
  nlohmann::json list() const;
  bool cancel(const std::string& id);
  // format: json | junit | markdown. nullopt for an unknown run.
  std::optional<std::string> report(const std::string& id, const std::string& format) const;
  void reset();  // every run dropped, every arrangement put back

  struct run;  // defined in runner.cpp

 private:
  void begin_test(run& r);
  // begin_test's steps: each arranges part of the test, or says why it could not.
  std::optional<bilingual> set_up(run& r);
  std::optional<bilingual> forge_callback(run& r);
  bool waits_for_clock(run& r);
  std::optional<bilingual> move_clock(run& r);
  void restore_clock(run& r);
  void finish_test(run& r, judgement j);
  void observe(run& r);
  void wait_for_quiet(run& r);
  void put_back(run& r);

  conformance_deps deps_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<run>> runs_;  // oldest first
  std::uint64_t next_id_ = 1;
  // The run whose current test has moved the shared virtual clock ("" when none): one such test
  // at a time across runs, so each puts back only what it moved.
  std::string clock_holder_;
  struct inbox {
    std::mutex mutex;
    std::map<std::string, std::pair<std::string, bool>> answers;  // "run#index" → answer, failed
  };
  std::shared_ptr<inbox> inbox_ = std::make_shared<inbox>();
};

// The reports, from a run's status JSON (so a client can render them from the same data).
std::string conformance_junit(const nlohmann::json& run);
std::string conformance_markdown(const nlohmann::json& run);

}  // namespace mynasim
