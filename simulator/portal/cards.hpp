// SPDX-License-Identifier: Apache-2.0
// The simulated マイナンバーカード of every persona: 利用者証明用 PIN checks with 3 tries,
// locking, and certificate state. Mutable at runtime, resettable to the YAML.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "data/world_data.hpp"

namespace mynasim {

enum class card_check { ok, wrong_pin, locked, certificate_expired, certificate_revoked, unknown_card };

struct card_status {
  std::string serial;
  std::string persona_id;
  int tries_left = 3;
  certificate_state certificate = certificate_state::valid;
};

class card_registry {
 public:
  explicit card_registry(const data_source& data);

  // Checks the PIN (a wrong one uses up a try; the last try locks the card), then the
  // certificate. `tries_left` receives what is left after this attempt.
  card_check verify(const std::string& serial, const std::string& pin, int& tries_left);
  std::optional<card_status> status(const std::string& serial) const;
  void set_certificate(const std::string& serial, certificate_state state);
  void reset();                           // every card back to its YAML state
  bool reset(const std::string& serial);  // one card; false when no persona holds it
  // After the sheets changed: a card whose definition (persona, PIN, tries, certificate) is
  // unchanged keeps its state (tries used, lock, certificate set by a scenario); a new or
  // changed card starts from its definition; a removed one is gone.
  void sync();

 private:
  struct entry {
    card_status state;
    card_config defined;  // as the sheet had it when the state started
  };
  std::optional<entry> current_locked(const world_data& data, const std::string& serial) const;
  void store_locked(const entry& e);

  const data_source* data_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> cards_;  // only cards whose state differs from their definition
};

}  // namespace mynasim
