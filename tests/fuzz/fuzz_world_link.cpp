// SPDX-License-Identifier: Apache-2.0
// What a split world's processes read from each other: the owner's decision and clock (read
// by followers), journal entries and the owner's change list — each a hostile peer's answer.
#include <string>

#include "config/sheet_changes.hpp"
#include "core/json_util.hpp"
#include "faults/decision_wire.hpp"
#include "world/journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  auto j = mynasim::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!j) return 0;
  if (auto d = mynasim::decision_from_json(*j)) (void)mynasim::decision_json(*d).dump();
  if (auto c = mynasim::clock_state_from_json(*j)) (void)mynasim::clock_state_json(*c);
  if (auto e = mynasim::journal_entry_from_json(*j)) (void)mynasim::journal_json(*e).dump();
  (void)mynasim::sheet_change_from_json(*j);
  if (j->is_object())
    for (const auto& [key, value] : j->items()) {
      (void)mynasim::decision_from_json(value);
      (void)mynasim::journal_entry_from_json(value);
    }
  return 0;
}
