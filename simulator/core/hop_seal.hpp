// SPDX-License-Identifier: Apache-2.0
// Who a hop between simulated systems is for (X-Mynasim-Client-Id, -Persona, -Process-Id,
// -Telegram-Id) travels with a seal: an HMAC-SHA-256 of those values under a key only this
// simulator's processes hold. The systems listener believes the headers only when the seal
// matches, so a stranger's direct request to /systems/... cannot speak for a service.
#pragma once

#include <string>
#include <string_view>

namespace mynasim {

struct hop_attribution {
  std::string_view client_id, persona, process_id, telegram_id;
};

class hop_seal {
 public:
  hop_seal();  // a random key: this process only
  // The key every process of a split world shares: derived from the admin token they all hold.
  static hop_seal from_shared_secret(std::string_view secret);

  std::string seal(const hop_attribution& a) const;  // 64 hex digits
  bool verify(const hop_attribution& a, std::string_view given) const;

 private:
  std::string key_;
};

inline constexpr const char* hop_seal_header = "x-mynasim-seal";

}  // namespace mynasim
