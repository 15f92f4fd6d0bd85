// SPDX-License-Identifier: Apache-2.0
#include "portal/cards.hpp"

namespace mynasim {

namespace {
bool same_card(const card_config& a, const card_config& b) {
  return a.serial == b.serial && a.pin == b.pin && a.pin_tries_left == b.pin_tries_left &&
         a.certificate == b.certificate;
}
}  // namespace

card_registry::card_registry(const data_source& data) : data_(&data) {
  reset();
}

// Only cards that changed since their definition have an entry (a world of many personas
// costs nothing here until cards are used); the others are read from the sheet.
std::optional<card_registry::entry> card_registry::current_locked(const world_data& data,
                                                                  const std::string& serial) const {
  const persona* p = data.find_persona_by_card(serial);
  if (!p) return std::nullopt;
  if (auto it = cards_.find(serial); it != cards_.end()) return it->second;
  return entry{{serial, p->id, p->card.pin_tries_left, p->card.certificate}, p->card};
}

void card_registry::store_locked(const entry& e) {
  if (e.state.tries_left == e.defined.pin_tries_left && e.state.certificate == e.defined.certificate)
    cards_.erase(e.state.serial);
  else
    cards_[e.state.serial] = e;
}

void card_registry::reset() {
  std::lock_guard lock(mutex_);
  cards_.clear();
}

bool card_registry::reset(const std::string& serial) {
  if (!data_->get()->find_persona_by_card(serial)) return false;
  std::lock_guard lock(mutex_);
  cards_.erase(serial);
  return true;
}

void card_registry::sync() {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  for (auto it = cards_.begin(); it != cards_.end();) {
    const persona* p = data->find_persona_by_card(it->first);
    bool keep = p && it->second.state.persona_id == p->id && same_card(it->second.defined, p->card);
    it = keep ? std::next(it) : cards_.erase(it);
  }
}

void card_registry::set_certificate(const std::string& serial, certificate_state state) {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  auto e = current_locked(*data, serial);
  if (!e) return;
  e->state.certificate = state;
  store_locked(*e);
}

std::optional<card_status> card_registry::status(const std::string& serial) const {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  auto e = current_locked(*data, serial);
  if (!e) return std::nullopt;
  return e->state;
}

card_check card_registry::verify(const std::string& serial, const std::string& pin, int& tries_left) {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  auto e = current_locked(*data, serial);
  if (!e) return card_check::unknown_card;
  auto& card = e->state;
  if (card.tries_left <= 0) {
    tries_left = 0;
    return card_check::locked;
  }
  if (pin != e->defined.pin) {
    tries_left = --card.tries_left;
    store_locked(*e);
    return card.tries_left == 0 ? card_check::locked : card_check::wrong_pin;
  }
  card.tries_left = 3;  // a correct PIN resets the counter, as on a real card
  tries_left = 3;
  store_locked(*e);
  if (card.certificate == certificate_state::expired) return card_check::certificate_expired;
  if (card.certificate == certificate_state::revoked) return card_check::certificate_revoked;
  return card_check::ok;
}

}  // namespace mynasim
