// SPDX-License-Identifier: Apache-2.0
// IF001-01 / IF001-03: the authorization state machine (consent → card → link → code →
// token) behind both the consent pages and the non-interactive test path. No I/O.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clock/virtual_clock.hpp"
#include "core/expiring_store.hpp"
#include "core/ids.hpp"
#include "data/world_data.hpp"
#include "portal/cards.hpp"

namespace mynasim {

struct authorize_params {
  std::string response_type, client_id, redirect_uri, state, login_type;
  std::string code_challenge, code_challenge_method;  // PKCE S256, honoured when sent
  std::string test_persona, test_outcome;             // the non-interactive path
  std::string source{};  // the caller's address: a flood from one source evicts only its own sessions
};

struct auth_session {
  std::string client_id, redirect_uri, state, code_challenge;
  bool consented = false;
  std::string persona_id;        // set once the card is verified
  std::string outcome_override;  // expired_certificate / revoked_certificate for one flow
};

enum class flow_step { consent_page, auth_page, link_page, redirect, error_page };

struct flow_result {
  flow_step next = flow_step::error_page;
  std::string session_id;
  std::string location;   // for redirect
  std::string error_key;  // catalogue key for error_page, or the error carried by a redirect
  std::string message;    // shown on the page (e.g. a wrong PIN and tries left)
  std::string detail;     // error page: which parameter, what was sent, what is expected
  int tries_left = -1;
};

struct client_identity {
  std::string cert_sha256, cert_subject, remote_address;
};

struct token_grant {
  std::string error_key;  // empty on success
  std::string access_token;
  long expires_in = 0;
};

struct token_info {
  std::string client_id, persona_id;
  std::string card_fingerprint;  // kiosk tokens: bound to one card certificate
};

class authorization {
 public:
  authorization(const data_source& data, const virtual_clock& clock, card_registry& cards, id_generator& ids);

  flow_result begin(const authorize_params& params);
  flow_result consent(const std::string& session_id, bool agree);
  flow_result authenticate(const std::string& session_id, const std::string& serial, const std::string& pin);
  flow_result link(const std::string& session_id, bool confirm);
  // やめる on the card screen: back to the service with consent_refused.
  flow_result cancel_authentication(const std::string& session_id);
  std::optional<auth_session> session(const std::string& session_id);

  // IF001-03; `mutual_tls` says whether the listener demanded a client certificate.
  token_grant exchange(const std::vector<std::pair<std::string, std::string>>& form, const client_identity& client,
                       bool mutual_tls);
  std::optional<token_info> check_token(const std::string& token);
  // Kiosk flow: a token bound to the card the terminal holds.
  token_grant issue_card_token(const std::string& client_id, const std::string& persona_id,
                               const std::string& card_fingerprint);
  // Client authentication on the sp host: certificate (with mutual TLS) and source address.
  bool client_allowed(const std::string& client_id, const client_identity& client, bool mutual_tls) const;
  void reset();

  // A conformance test's arrangement, narrowed to one service: every authorization of
  // `client_id` ends at the card step as if the card were locked (lock_card) or its
  // certificate expired / revoked. An empty outcome removes it. At most max_arranged services.
  static constexpr std::size_t max_arranged = 256;
  bool arrange_outcome(const std::string& client_id, const std::string& outcome);
  std::string arranged_outcome(const std::string& client_id) const;
  // A conformance run that completes the screens itself (`complete_screens`): while its test is
  // current, the app's own authorize of `client_id` (no test parameters) goes through consent,
  // card and link for `persona_id` as `outcome` (consent | refuse) says, and answers the
  // redirect at once — so an e2e script needs only an HTTP client. An empty persona removes it.
  bool arrange_screens(const std::string& client_id, const std::string& persona_id, const std::string& outcome);

 private:
  struct code_grant {
    std::string client_id, redirect_uri, persona_id, code_challenge;
    bool used = false;
    std::vector<std::string> tokens;
  };
  struct token_state {
    std::string client_id, persona_id;
    instant expires;
    bool revoked = false;
    std::string card_fingerprint;
  };

  flow_result redirect_error(const auth_session& s, const std::string& key);
  flow_result issue_code(const std::string& session_id, const auth_session& s);
  flow_result run_test_path(const std::string& session_id, const std::string& persona_id, const std::string& outcome);

  const data_source* data_;
  const virtual_clock* clock_;
  card_registry* cards_;
  id_generator* ids_;
  expiring_store<auth_session> sessions_;
  expiring_store<code_grant> codes_;
  expiring_store<token_state> tokens_;
  mutable std::mutex arranged_mutex_;
  std::map<std::string, std::string> arranged_;                         // client_id → outcome
  std::map<std::string, std::pair<std::string, std::string>> screens_;  // client_id → persona, outcome
};

// redirect_uri + code/state or error parameters, as the configured style says.
std::string build_redirect(const std::string& redirect_uri,
                           const std::vector<std::pair<std::string, std::string>>& params);
// base64url(SHA-256(verifier)), for PKCE S256.
std::string pkce_s256(const std::string& verifier);

}  // namespace mynasim
