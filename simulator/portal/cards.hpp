// The simulated マイナンバーカード of every persona: 利用者証明用 PIN checks with 3 tries,
// locking, and certificate state. Mutable at runtime, resettable to the YAML.
#pragma once

#include <map>
#include <mutex>
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
  explicit card_registry(const world_data& data);

  // Checks the PIN (a wrong one uses up a try; the last try locks the card), then the
  // certificate. `tries_left` receives what is left after this attempt.
  card_check verify(const std::string& serial, const std::string& pin, int& tries_left);
  std::optional<card_status> status(const std::string& serial) const;
  void set_certificate(const std::string& serial, certificate_state state);
  void reset();  // every card back to its YAML state

 private:
  const world_data* data_;
  mutable std::mutex mutex_;
  std::map<std::string, card_status> cards_;
};

}  // namespace mynasim
