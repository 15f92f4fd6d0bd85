#include "portal/cards.hpp"

namespace mynasim {

card_registry::card_registry(const world_data& data) : data_(&data) { reset(); }

void card_registry::reset() {
  std::lock_guard lock(mutex_);
  cards_.clear();
  for (const auto& p : data_->personas)
    cards_[p.card.serial] = {p.card.serial, p.id, p.card.pin_tries_left, p.card.certificate};
}

void card_registry::set_certificate(const std::string& serial, certificate_state state) {
  std::lock_guard lock(mutex_);
  if (auto it = cards_.find(serial); it != cards_.end()) it->second.certificate = state;
}

std::optional<card_status> card_registry::status(const std::string& serial) const {
  std::lock_guard lock(mutex_);
  auto it = cards_.find(serial);
  if (it == cards_.end()) return std::nullopt;
  return it->second;
}

card_check card_registry::verify(const std::string& serial, const std::string& pin, int& tries_left) {
  std::lock_guard lock(mutex_);
  auto it = cards_.find(serial);
  const persona* p = data_->find_persona_by_card(serial);
  if (it == cards_.end() || !p) return card_check::unknown_card;
  auto& card = it->second;
  if (card.tries_left <= 0) {
    tries_left = 0;
    return card_check::locked;
  }
  if (pin != p->card.pin) {
    tries_left = --card.tries_left;
    return card.tries_left == 0 ? card_check::locked : card_check::wrong_pin;
  }
  card.tries_left = 3;  // a correct PIN resets the counter, as on a real card
  tries_left = 3;
  if (card.certificate == certificate_state::expired) return card_check::certificate_expired;
  if (card.certificate == certificate_state::revoked) return card_check::certificate_revoked;
  return card_check::ok;
}

}  // namespace mynasim
