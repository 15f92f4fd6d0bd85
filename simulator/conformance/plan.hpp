// SPDX-License-Identifier: Apache-2.0
// Active conformance tests: named tests that each arrange the world for one API user's
// service (faults narrowed to it, a portal outcome, the clock), wait for that user's own
// flow, and judge what its app did from the journal. This file is the table and the judges:
// pure — entries in, a verdict out; the runner (conformance/runner.hpp) does the waiting.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/world.hpp"
#include "data/world_data.hpp"
#include "world/journal.hpp"

namespace mynasim {

// A text in both languages: Japanese for QA and business testers, English for everyone else.
struct bilingual {
  std::string ja, en;
};

struct conformance_test {
  const char* id;
  const char* title_ja;
  const char* title_en;
  const char* arranges_ja;     // what mynasim does before the flow, in Japanese
  const char* arranges;        // … in English
  const char* expects_ja;      // what the API user's app must do, and what fails it, in Japanese
  const char* expects;         // … in English
  const char* instruction_ja;  // what the person (or the e2e script) does
  const char* remedy_ja;
  const char* remedy_en;
  const char* action;  // for an e2e driver: consent | refuse | none (mynasim acts alone)
};

// Every test, in the order a plan runs them.
const std::vector<conformance_test>& conformance_tests();
const conformance_test* find_conformance_test(std::string_view id);
// The tests as a Markdown table (docs/conformance.md, `mynasim conformance tests`).
std::string conformance_tests_markdown();

struct planned_test {
  const conformance_test* test = nullptr;
  std::string query_method;  // happy-path: date | range | latest
  std::string name() const;  // "happy-path[date]", "consent-refused"
};

// `spec`: "all" (or empty), "basic", or a comma-separated list of test ids, where
// "happy-path" stands for one test per query method the service registered and
// "happy-path:date" for one. nullopt and `error` for an unknown name.
std::optional<std::vector<planned_test>> expand_plan(const std::string& spec, const service_config& service,
                                                     std::string& error);

// What the runner sets up before a test, narrowed to the service wherever it can be.
struct arrangement {
  std::vector<nlohmann::json> faults;  // fault specs (client_id set), removed after the test
  std::string portal_outcome;          // lock_card | expired_certificate | revoked_certificate
  bool year_end = false;               // move the (shared) clock into 住基ネット's year-end stop
  bool forge_callback = false;         // deliver a callback with a code and a state the app never issued
  std::string failing_holder;          // partial-result: the 中間サーバ made to fail
  std::string not_applicable;          // why this test cannot run for this service, in English
  std::string not_applicable_ja;       // and in Japanese
};
// `network`: the id of the world's 情報提供ネットワークシステム (the happy path slows it down).
// `who`: the persona the run announces, if any (partial-result makes a holder fail that leaves
// that persona's data from another holder).
arrangement arrange(const planned_test& t, const service_config& service, const world_data& data,
                    const std::string& network, const persona* who = nullptr);

enum class test_verdict { pending, pass, warning, fail, not_applicable };
const char* to_string(test_verdict v);

// A verdict shows at most this many journal entries; it says how many more showed it.
inline constexpr std::size_t max_test_evidence = 20;

struct judgement {
  test_verdict verdict = test_verdict::pending;
  bool complete = false;                // the flow reached what the test needs: final once quiet for `settle`
  bool decisive = false;                // final at once
  std::string detail_ja;                // what was seen, in Japanese
  std::string detail;                   // and in English
  std::vector<journal_entry> evidence;  // at most max_test_evidence, oldest first
  std::size_t evidence_omitted = 0;     // entries that showed it too, left out of `evidence`
};

struct judge_input {
  const planned_test* test = nullptr;
  const arrangement* arranged = nullptr;
  const world_data* data = nullptr;
  const conformance_config* settings = nullptr;
  // The service's journal entries since the test began (oldest first) and, for each, when the
  // runner first saw it (ms after the test began; the virtual clock may be frozen or fast).
  // Views of the runner's lists: judged every tick, never copied.
  std::span<const journal_entry> entries;
  std::span<const long> seen_ms;
  std::string forged_code;    // state-forged: the code mynasim sent to the callback
  std::string forged_answer;  // and what became of that delivery ("" while pending)
  bool forged_failed = false;
  bool timed_out = false;
};

judgement judge(const judge_input& in);

}  // namespace mynasim
