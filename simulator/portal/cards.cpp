// SPDX-License-Identifier: Apache-2.0
#include "portal/cards.hpp"

#include <algorithm>
#include <vector>

namespace mynasim {

namespace {
bool same_card(const card_config& a, const card_config& b) {
  return a.serial == b.serial && a.pin == b.pin && a.pin_tries_left == b.pin_tries_left &&
         a.certificate == b.certificate;
}

// A caller names at most this many bytes: longer names (never a client_id or an address)
// are cut, so a count's key stays small whatever a request carries.
constexpr std::size_t max_caller_bytes = 128;

std::string caller_of(std::string_view kind, std::string_view name) {
  return std::string(kind) + std::string(name.substr(0, max_caller_bytes));
}
}  // namespace

std::string service_caller(std::string_view client_id) {
  return caller_of("service:", client_id);
}

std::string address_caller(std::string_view address) {
  return caller_of("address:", address);
}

card_registry::card_registry(const data_source& data, limits l) : data_(&data), limits_(l) {
  limits_.max_cards_per_caller = std::max<std::size_t>(1, limits_.max_cards_per_caller);
  limits_.max_counts = std::max<std::size_t>(1, limits_.max_counts);
  reset();
}

// Only cards that changed since their definition have an entry (a world of many personas
// costs nothing here until cards are used); the others are read from the sheet.
card_registry::entry* card_registry::find_locked(const std::string& serial) {
  auto it = cards_.find(serial);
  return it == cards_.end() ? nullptr : &it->second;
}

const card_registry::entry* card_registry::find_locked(const std::string& serial) const {
  auto it = cards_.find(serial);
  return it == cards_.end() ? nullptr : &it->second;
}

void card_registry::drop_if_defined_locked(const std::string& serial) {
  auto it = cards_.find(serial);
  if (it != cards_.end() && it->second.tries.empty() && it->second.certificate == it->second.defined.certificate)
    cards_.erase(it);
}

void card_registry::forget_locked(const std::string& serial, const std::string& caller) {
  if (auto* e = find_locked(serial); e && e->tries.erase(caller) > 0) {
    --counts_;
    if (auto c = by_caller_.find(caller); c != by_caller_.end()) {
      auto& serials = c->second;
      serials.erase(std::remove(serials.begin(), serials.end(), serial), serials.end());
      if (serials.empty()) by_caller_.erase(c);
    }
  }
  drop_if_defined_locked(serial);
}

void card_registry::erase_card_locked(const std::string& serial) {
  auto* e = find_locked(serial);
  if (!e) return;
  std::vector<std::string> callers;
  for (const auto& [caller, tries] : e->tries) callers.push_back(caller);
  for (const auto& caller : callers) forget_locked(serial, caller);
  cards_.erase(serial);
}

// Room for one more count of `caller`: past its own bound it forgets its own oldest count;
// past the bound of all counts, the caller with the most counts forgets its oldest — a caller
// spreading wrong PINs over many cards only ever loses its own counts first.
void card_registry::make_room_locked(const std::string& caller) {
  if (auto c = by_caller_.find(caller); c != by_caller_.end() && c->second.size() >= limits_.max_cards_per_caller) {
    auto oldest = c->second.front();
    forget_locked(oldest, caller);
  }
  while (counts_ >= limits_.max_counts && !by_caller_.empty()) {
    auto largest = std::max_element(by_caller_.begin(), by_caller_.end(),
                                    [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
    auto who = largest->first;
    auto oldest = largest->second.front();
    forget_locked(oldest, who);
  }
}

void card_registry::set_tries_locked(const persona& p, const std::string& caller, int tries) {
  const auto& serial = p.card.serial;
  auto* e = find_locked(serial);
  const int defined = e ? e->defined.pin_tries_left : p.card.pin_tries_left;
  if (tries == defined) return forget_locked(serial, caller);
  if (e) {
    if (auto t = e->tries.find(caller); t != e->tries.end()) {
      t->second = tries;
      return;
    }
  }
  make_room_locked(caller);
  e = find_locked(serial);  // making room may have dropped the card's entry
  if (!e) e = &(cards_[serial] = entry{p.id, p.card, p.card.certificate, {}});
  e->tries.emplace(caller, tries);
  by_caller_[caller].push_back(serial);
  ++counts_;
}

void card_registry::reset() {
  std::lock_guard lock(mutex_);
  cards_.clear();
  by_caller_.clear();
  counts_ = 0;
}

bool card_registry::reset(const std::string& serial) {
  if (!data_->get()->find_persona_by_card(serial)) return false;
  std::lock_guard lock(mutex_);
  erase_card_locked(serial);
  return true;
}

void card_registry::sync() {
  const auto data = data_->get();
  std::lock_guard lock(mutex_);
  std::vector<std::string> stale;
  for (const auto& [serial, e] : cards_) {
    const persona* p = data->find_persona_by_card(serial);
    if (!p || e.persona_id != p->id || !same_card(e.defined, p->card)) stale.push_back(serial);
  }
  for (const auto& serial : stale) erase_card_locked(serial);
}

void card_registry::set_certificate(const std::string& serial, certificate_state state) {
  const auto data = data_->get();
  const persona* p = data->find_persona_by_card(serial);
  if (!p) return;
  std::lock_guard lock(mutex_);
  auto* e = find_locked(serial);
  if (!e) e = &(cards_[serial] = entry{p->id, p->card, p->card.certificate, {}});
  e->certificate = state;
  drop_if_defined_locked(serial);
}

std::optional<card_status> card_registry::status(const std::string& serial) const {
  const auto data = data_->get();
  const persona* p = data->find_persona_by_card(serial);
  if (!p) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto* e = find_locked(serial);
  if (!e) return card_status{serial, p->id, p->card.pin_tries_left, p->card.certificate};
  card_status s{serial, e->persona_id, e->defined.pin_tries_left, e->certificate};
  for (const auto& [caller, tries] : e->tries) s.tries_left = std::min(s.tries_left, tries);
  return s;
}

std::optional<int> card_registry::tries_left(const std::string& serial, const std::string& caller) const {
  const auto data = data_->get();
  const persona* p = data->find_persona_by_card(serial);
  if (!p) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto* e = find_locked(serial);
  if (!e) return p->card.pin_tries_left;
  auto t = e->tries.find(caller);
  return t == e->tries.end() ? e->defined.pin_tries_left : t->second;
}

card_check card_registry::verify(const std::string& serial, const std::string& pin, const std::string& caller,
                                 int& tries_left) {
  const auto data = data_->get();
  const persona* p = data->find_persona_by_card(serial);
  if (!p) return card_check::unknown_card;
  std::lock_guard lock(mutex_);
  const auto* e = find_locked(serial);
  const card_config& defined = e ? e->defined : p->card;
  const auto certificate = e ? e->certificate : p->card.certificate;
  int left = defined.pin_tries_left;
  if (e)
    if (auto t = e->tries.find(caller); t != e->tries.end()) left = t->second;
  if (left <= 0) {
    tries_left = 0;
    return card_check::locked;
  }
  if (pin != defined.pin) {
    tries_left = left - 1;
    set_tries_locked(*p, caller, tries_left);
    return tries_left == 0 ? card_check::locked : card_check::wrong_pin;
  }
  tries_left = 3;  // a correct PIN resets the counter, as on a real card
  set_tries_locked(*p, caller, tries_left);
  if (certificate == certificate_state::expired) return card_check::certificate_expired;
  if (certificate == certificate_state::revoked) return card_check::certificate_revoked;
  return card_check::ok;
}

}  // namespace mynasim
