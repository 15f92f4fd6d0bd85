// SPDX-License-Identifier: Apache-2.0
// The kiosk-terminal variant (guideline §3), on the `sp` listener, and the virtual card on
// the `systems` listener:
//   POST /online-kiosk-web/challenge   → a single-use challenge for the terminal's service
//   POST /online-kiosk-web/token       → certificate + signature over it → a card-bound token
//   GET  /virtual-card/{serial}/certificate, POST /virtual-card/{serial}/sign (PIN, challenge)
// Then the web flow's IF001-04/-05/-06 with header X-Kiosk-Card-Sha256 on each call.
#pragma once

#include "core/ids.hpp"
#include "core/router.hpp"
#include "jpki/jpki.hpp"
#include "portal/authorization.hpp"

namespace mynasim {

namespace paths {
inline constexpr const char* kiosk_challenge = "/online-kiosk-web/challenge";
inline constexpr const char* kiosk_token = "/online-kiosk-web/token";
}  // namespace paths

struct kiosk_context {
  const data_source* data;
  const virtual_clock* clock;
  authorization* auth;
  card_registry* cards;
  const jpki* pki;
  id_generator* ids;
  bool mutual_tls = false;
};

void register_kiosk_routes(router& sp, kiosk_context ctx);
void register_virtual_card_routes(router& systems, kiosk_context ctx);

}  // namespace mynasim
