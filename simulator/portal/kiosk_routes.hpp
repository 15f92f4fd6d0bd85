// SPDX-License-Identifier: Apache-2.0
// The kiosk-terminal variant (guideline §3), on the `sp` listener, and the virtual card on
// the `systems` listener:
//   POST /online-kiosk-web/challenge   → a single-use challenge for the terminal's service
//   POST /online-kiosk-web/token       → certificate + signature over it → a card-bound token
//   GET  /virtual-card/{serial}/certificate, POST /virtual-card/{serial}/sign (PIN, challenge)
// Then the web flow's IF001-04/-05/-06 with header X-Kiosk-Card-Sha256 on each call.
//
// The virtual card's PIN tries count per service when it signs a live kiosk challenge (issued
// by this process to an authenticated client), per source address otherwise (cards.hpp). Its
// key work (issuing a card's key, signing) runs on the background pool, owner by owner; a
// full queue answers 503 with Retry-After.
#pragma once

#include <memory>

#include "core/ids.hpp"
#include "core/router.hpp"
#include "jpki/jpki.hpp"
#include "portal/authorization.hpp"

namespace mynasim {

namespace paths {
inline constexpr const char* kiosk_challenge = "/online-kiosk-web/challenge";
inline constexpr const char* kiosk_token = "/online-kiosk-web/token";
}  // namespace paths

class background_pool;

// The live kiosk challenges (challenge → client_id): issued on `sp`, spent by the token, read
// by the virtual card to know which service a PIN try is for. Shared by every copy of one
// kiosk_context.
struct kiosk_challenges;
std::shared_ptr<kiosk_challenges> make_kiosk_challenges();

struct kiosk_context {
  const data_source* data;
  const virtual_clock* clock;
  authorization* auth;
  card_registry* cards;
  const jpki* pki;
  id_generator* ids;
  bool mutual_tls = false;
  background_pool* pool = nullptr;  // where key work runs; none: on the caller's thread (tests, CLI)
  std::string owner_prefix{};       // a named world's "{id}/": its callers' shares of the pool are its own
  std::shared_ptr<kiosk_challenges> challenges = make_kiosk_challenges();
};

void register_kiosk_routes(router& sp, kiosk_context ctx);
void register_virtual_card_routes(router& systems, const kiosk_context& ctx);

}  // namespace mynasim
