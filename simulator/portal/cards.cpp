#include "portal/cards.hpp"

namespace mynasim {

namespace {
bool same_card(const card_config& a, const card_config& b) {
  return a.serial == b.serial && a.pin == b.pin && a.pin_tries_left == b.pin_tries_left && a.certificate == b.certificate;
}
}  // namespace

card_registry::card_registry(const data_source& data) : data_(&data) { reset(); }

void card_registry::reset() {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  cards_.clear();
  for (const auto& p : data->personas)
    cards_[p.card.serial] = {{p.card.serial, p.id, p.card.pin_tries_left, p.card.certificate}, p.card};
}

void card_registry::sync() {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  std::map<std::string, entry> next;
  for (const auto& p : data->personas) {
    auto it = cards_.find(p.card.serial);
    if (it != cards_.end() && it->second.state.persona_id == p.id && same_card(it->second.defined, p.card))
      next.insert(*it);
    else
      next[p.card.serial] = {{p.card.serial, p.id, p.card.pin_tries_left, p.card.certificate}, p.card};
  }
  cards_ = std::move(next);
}

void card_registry::set_certificate(const std::string& serial, certificate_state state) {
  std::lock_guard lock(mutex_);
  if (auto it = cards_.find(serial); it != cards_.end()) it->second.state.certificate = state;
}

std::optional<card_status> card_registry::status(const std::string& serial) const {
  std::lock_guard lock(mutex_);
  auto it = cards_.find(serial);
  if (it == cards_.end()) return std::nullopt;
  return it->second.state;
}

card_check card_registry::verify(const std::string& serial, const std::string& pin, int& tries_left) {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  auto it = cards_.find(serial);
  const persona* p = data->find_persona_by_card(serial);
  if (it == cards_.end() || !p) return card_check::unknown_card;
  auto& card = it->second.state;
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
