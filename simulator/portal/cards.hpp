// SPDX-License-Identifier: Apache-2.0
// The simulated マイナンバーカード of every persona: 利用者証明用 PIN checks with 3 tries,
// locking, and certificate state. Mutable at runtime, resettable to the YAML.
//
// One simulated card is shared by every user of a shared simulator, so PIN tries are counted
// per card and per caller: a caller's wrong PINs lock the card for that caller only. The web
// flow's card screen counts per service (`service_caller`, the authorization session's
// client_id); the virtual card counts per service when the challenge it signs is a kiosk
// challenge issued to that service, and per source address otherwise (`address_caller`). A
// card defined as locked (`pin_tries_left: 0` in the sheet, or set so through the admin API)
// is locked for everyone.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "data/world_data.hpp"

namespace mynasim {

enum class card_check { ok, wrong_pin, locked, certificate_expired, certificate_revoked, unknown_card };

struct card_status {
  std::string serial;
  std::string persona_id;
  int tries_left = 3;  // the fewest tries any caller has left (the definition's when none tried)
  certificate_state certificate = certificate_state::valid;
};

// Who tries a PIN. Callers are short, bounded strings: a client_id or an IP address.
std::string service_caller(std::string_view client_id);
std::string address_caller(std::string_view address);

class card_registry {
 public:
  struct limits {
    std::size_t max_cards_per_caller = 256;  // beyond: the caller's own oldest count is forgotten
    std::size_t max_counts = 65536;          // (card, caller) counts in all; beyond: the largest caller's oldest
  };
  explicit card_registry(const data_source& data) : card_registry(data, limits{}) {}
  card_registry(const data_source& data, limits l);

  // Checks the PIN for `caller` (a wrong one uses up one of that caller's tries; its last try
  // locks the card for that caller), then the certificate. `tries_left` receives what is left
  // to the caller after this attempt.
  card_check verify(const std::string& serial, const std::string& pin, const std::string& caller, int& tries_left);
  std::optional<card_status> status(const std::string& serial) const;
  // The tries `caller` has left on the card; nullopt for a card no persona holds.
  std::optional<int> tries_left(const std::string& serial, const std::string& caller) const;
  void set_certificate(const std::string& serial, certificate_state state);
  void reset();                           // every card back to its YAML state, for every caller
  bool reset(const std::string& serial);  // one card; false when no persona holds it
  // After the sheets changed: a card whose definition (persona, PIN, tries, certificate) is
  // unchanged keeps its state (tries used, lock, certificate set by a scenario); a new or
  // changed card starts from its definition; a removed one is gone.
  void sync();

 private:
  struct entry {
    std::string persona_id;
    card_config defined;  // as the sheet had it when the state started
    certificate_state certificate = certificate_state::valid;
    std::map<std::string, int, std::less<>> tries;  // by caller: only counts that differ from the definition
  };
  entry* find_locked(const std::string& serial);
  const entry* find_locked(const std::string& serial) const;
  void set_tries_locked(const persona& p, const std::string& caller, int tries);
  void forget_locked(const std::string& serial, const std::string& caller);  // one count
  void erase_card_locked(const std::string& serial);                         // the card and all its counts
  void make_room_locked(const std::string& caller);
  void drop_if_defined_locked(const std::string& serial);

  const data_source* data_;
  limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> cards_;  // only cards whose state differs from their definition
  // By caller: the serials it has a count on, oldest first (what is forgotten first).
  std::map<std::string, std::deque<std::string>, std::less<>> by_caller_;
  std::size_t counts_ = 0;
};

}  // namespace mynasim
