// SPDX-License-Identifier: Apache-2.0
// Passive conformance lint: what an API user's integration does wrong, read from the journal
// of its own calls (and of the notifications sent to it). Each rule has an id, a severity, a
// Japanese and an English explanation and a remedy; a finding carries the journal entries that
// show it. Pure: entries and sheets in, findings out — no I/O, no clock of its own.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "clock/time.hpp"
#include "data/world_data.hpp"
#include "world/journal.hpp"

namespace mynasim {

enum class lint_severity { error, warning, advice };
const char* to_string(lint_severity s);

struct lint_rule {
  const char* id;
  lint_severity severity;
  const char* title_ja;
  const char* title_en;
  const char* remedy_ja;
  const char* remedy_en;
};

// Every rule, in the order they are reported and documented; each explained and remedied in
// Japanese (for QA and business testers) and in English.
const std::vector<lint_rule>& lint_rules();

// Thresholds (world YAML `conformance:`).
struct lint_settings {
  int polling_storm = 10;                   // IF001-06 calls answered MPE3008 for one process
  millis slow_notification{3000};           // an acknowledgement slower than this
  millis outage_retry_gap{10 * 60 * 1000};  // after an outage answer without reopens_at
};

struct lint_finding {
  const lint_rule* rule;
  std::string detail_ja;                // what exactly, in Japanese
  std::string detail_en;                // and in English
  std::vector<journal_entry> evidence;  // at most max_evidence, oldest first
  std::size_t evidence_omitted = 0;     // entries that showed it too, left out of `evidence`
};

class lint_report {
 public:
  static constexpr std::size_t max_evidence = 20;
  std::string client_id;
  std::size_t entries_read = 0;
  std::vector<lint_finding> findings;  // in rule order
  nlohmann::json to_json() const;
};

// `entries`: the journal entries of one client_id (any order; sorted by seq inside).
lint_report run_lint(const std::string& client_id, std::vector<journal_entry> entries, const world_data& data,
                     const lint_settings& settings);

// The rules as a Markdown table (docs/conformance.md, `mynasim lint --rules`).
std::string lint_rules_markdown();

}  // namespace mynasim
