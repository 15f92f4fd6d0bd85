// SPDX-License-Identifier: Apache-2.0
#include "portal/authorization.hpp"

#include <algorithm>
#include <tuple>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/http.hpp"

namespace mynasim {

std::string build_redirect(const std::string& uri, const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = uri;
  char sep = uri.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : params) {
    out += sep + percent_encode(k) + "=" + percent_encode(v);
    sep = '&';
  }
  return out;
}

std::string pkce_s256(const std::string& verifier) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), md);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, md, SHA256_DIGEST_LENGTH);
  std::string s(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  s.erase(std::remove(s.begin(), s.end(), '='), s.end());
  return s;
}

authorization::authorization(const data_source& data, const virtual_clock& clock, card_registry& cards,
                             id_generator& ids)
    : data_(&data),
      clock_(&clock),
      cards_(&cards),
      ids_(&ids),
      sessions_(data.get()->portal.max_sessions, data.get()->portal.session_lifetime),
      codes_(data.get()->portal.max_codes, data.get()->portal.code_lifetime),
      tokens_(data.get()->portal.max_tokens, data.get()->portal.token_lifetime) {}

void authorization::reset() {
  sessions_.clear();
  codes_.clear();
  tokens_.clear();
  std::lock_guard lock(arranged_mutex_);
  arranged_.clear();
  screens_.clear();
}

bool authorization::arrange_outcome(const std::string& client_id, const std::string& outcome) {
  std::lock_guard lock(arranged_mutex_);
  if (outcome.empty()) return arranged_.erase(client_id), true;
  if (outcome != "lock_card" && outcome != "expired_certificate" && outcome != "revoked_certificate") return false;
  if (!arranged_.count(client_id) && arranged_.size() >= max_arranged) return false;
  arranged_[client_id] = outcome;
  return true;
}

bool authorization::arrange_screens(const std::string& client_id, const std::string& persona_id,
                                    const std::string& outcome) {
  std::lock_guard lock(arranged_mutex_);
  if (persona_id.empty()) return screens_.erase(client_id), true;
  if (outcome != "consent" && outcome != "refuse") return false;
  if (!screens_.count(client_id) && screens_.size() >= max_arranged) return false;
  screens_[client_id] = {persona_id, outcome};
  return true;
}

std::string authorization::arranged_outcome(const std::string& client_id) const {
  std::lock_guard lock(arranged_mutex_);
  auto it = arranged_.find(client_id);
  return it == arranged_.end() ? "" : it->second;
}

std::optional<auth_session> authorization::session(const std::string& id) {
  return sessions_.get(id, clock_->now());
}

flow_result authorization::redirect_error(const auth_session& s, const std::string& key) {
  const auto data = data_->get();
  const auto& e = data->errors.at(key);
  flow_result r;
  r.next = flow_step::redirect;
  r.error_key = key;
  if (data->portal.error_redirect == "code")
    r.location = build_redirect(s.redirect_uri, {{"code", "access_denied"}, {"state", s.state}});
  else
    r.location = build_redirect(
        s.redirect_uri,
        {{"error", "access_denied"}, {"error_description", e.message}, {"error_code", e.code}, {"state", s.state}});
  return r;
}

flow_result authorization::begin(const authorize_params& p) {
  const auto data = data_->get();
  flow_result r;
  auto refuse = [&](const char* key, std::string detail) {
    r.error_key = key;
    r.detail = std::move(detail);
    return r;
  };
  if (p.client_id.empty()) return refuse("invalid_authorize_request", "client_id がありません。");
  const auto* service = data->find_service(p.client_id);
  if (!service) return refuse("unknown_client", "client_id=" + p.client_id + " は登録されていません。");
  if (p.redirect_uri.empty()) return refuse("invalid_authorize_request", "redirect_uri がありません。");
  if (std::find(service->redirect_uris.begin(), service->redirect_uris.end(), p.redirect_uri) ==
      service->redirect_uris.end())
    return refuse("redirect_uri_mismatch",
                  "redirect_uri=" + p.redirect_uri + " は client_id=" + p.client_id + " に登録されていません。");
  auth_session s{p.client_id, p.redirect_uri, p.state, {}, false, {}, {}};
  if (p.response_type != "code")
    return refuse("invalid_authorize_request",
                  "response_type は code です（response_type=" + p.response_type + " を受け取りました）。");
  if (!p.code_challenge.empty() && p.code_challenge_method != "S256")
    return refuse("invalid_authorize_request", "code_challenge_method は S256 です（code_challenge_method=" +
                                                   p.code_challenge_method + " を受け取りました）。");
  s.code_challenge = p.code_challenge;
  s.outcome_override = arranged_outcome(p.client_id);
  auto id = ids_->token(32);
  sessions_.put(id, s, clock_->now(), p.source);
  std::string persona = p.test_persona.empty() ? service->ci.persona : p.test_persona;
  std::string outcome = p.test_outcome.empty() ? service->ci.outcome : p.test_outcome;
  if (persona.empty()) {
    std::lock_guard lock(arranged_mutex_);
    if (auto it = screens_.find(p.client_id); it != screens_.end()) std::tie(persona, outcome) = it->second;
  }
  if (!persona.empty()) return run_test_path(id, persona, outcome);
  r.next = flow_step::consent_page;
  r.session_id = id;
  return r;
}

// The same steps a user takes on the pages, driven by the requested outcome.
flow_result authorization::run_test_path(const std::string& id, const std::string& persona_id,
                                         const std::string& outcome) {
  const auto data = data_->get();
  const auto* p = data->find_persona(persona_id);
  if (!p) {
    flow_result r;
    r.error_key = "unknown_persona";
    return r;
  }
  auto r = consent(id, outcome != "refuse");
  if (outcome == "refuse" || r.next != flow_step::auth_page) return r;
  if (outcome == "expired_certificate" || outcome == "revoked_certificate")
    sessions_.with(id, clock_->now(), [&](auth_session& s) { s.outcome_override = outcome; });
  if (outcome == "wrong_pin" || outcome == "lock_card") {
    std::string wrong = p->card.pin == "0000" ? "9999" : "0000";
    do {
      r = authenticate(id, p->card.serial, wrong);
    } while (outcome == "lock_card" && r.next == flow_step::auth_page);
    if (r.next != flow_step::auth_page) return r;
    auto s = session(id);
    return s ? redirect_error(*s, "wrong_pin") : r;
  }
  r = authenticate(id, p->card.serial, p->card.pin);
  if (r.next != flow_step::link_page) return r;
  return link(id, outcome != "cancel_link");
}

flow_result authorization::consent(const std::string& id, bool agree) {
  flow_result r;
  auto s = session(id);
  if (!s) {
    r.error_key = "session_expired";
    return r;
  }
  if (!agree) {
    sessions_.erase(id);
    return redirect_error(*s, "consent_refused");
  }
  sessions_.with(id, clock_->now(), [](auth_session& st) { st.consented = true; });
  r.next = flow_step::auth_page;
  r.session_id = id;
  return r;
}

flow_result authorization::authenticate(const std::string& id, const std::string& serial, const std::string& pin) {
  const auto data = data_->get();
  flow_result r;
  auto s = session(id);
  if (!s || !s->consented) {
    r.error_key = "session_expired";
    return r;
  }
  int tries_left = -1;
  // Tries are the session's service's: another service's wrong PINs never lock this flow.
  auto check = cards_->verify(serial, pin, service_caller(s->client_id), tries_left);
  if (check == card_check::ok && s->outcome_override == "expired_certificate") check = card_check::certificate_expired;
  if (check == card_check::ok && s->outcome_override == "revoked_certificate") check = card_check::certificate_revoked;
  if (check != card_check::unknown_card && s->outcome_override == "lock_card") check = card_check::locked;
  // verify() read its own snapshot of the sheets: a reload or a persona removed since then
  // leaves no card to name, which is an unknown card.
  std::optional<card_status> card;
  if (check == card_check::ok && !(card = cards_->status(serial))) check = card_check::unknown_card;
  switch (check) {
    case card_check::ok:
      break;
    case card_check::wrong_pin:
      r.next = flow_step::auth_page;
      r.session_id = id;
      r.tries_left = tries_left;
      r.error_key = "wrong_pin";
      r.message = "暗証番号が正しくありません。残り" + std::to_string(tries_left) + "回間違えるとロックされます。";
      return r;
    case card_check::locked:
      sessions_.erase(id);
      return redirect_error(*s, "card_locked");
    case card_check::certificate_expired:
      sessions_.erase(id);
      return redirect_error(*s, "certificate_expired");
    case card_check::certificate_revoked:
      sessions_.erase(id);
      return redirect_error(*s, "certificate_revoked");
    case card_check::unknown_card:
      r.next = flow_step::auth_page;
      r.session_id = id;
      r.error_key = "unknown_card";
      r.message = data->errors.at("unknown_card").message;
      return r;
  }
  auto persona = card->persona_id;
  sessions_.with(id, clock_->now(), [&](auth_session& st) { st.persona_id = persona; });
  r.next = flow_step::link_page;
  r.session_id = id;
  return r;
}

flow_result authorization::cancel_authentication(const std::string& id) {
  auto s = session(id);
  if (!s) {
    flow_result r;
    r.error_key = "session_expired";
    return r;
  }
  sessions_.erase(id);
  return redirect_error(*s, "consent_refused");
}

flow_result authorization::link(const std::string& id, bool confirm) {
  flow_result r;
  auto s = session(id);
  if (!s || s->persona_id.empty()) {
    r.error_key = "session_expired";
    return r;
  }
  sessions_.erase(id);
  if (!confirm) return redirect_error(*s, "link_cancelled");  // キャンセル on the link screen
  return issue_code(id, *s);
}

flow_result authorization::issue_code(const std::string&, const auth_session& s) {
  auto code = ids_->token(43);
  codes_.put(code, {s.client_id, s.redirect_uri, s.persona_id, s.code_challenge, false, {}}, clock_->now(),
             s.client_id);
  flow_result r;
  r.next = flow_step::redirect;
  r.location = build_redirect(s.redirect_uri, {{"code", code}, {"state", s.state}});
  return r;
}

bool authorization::client_allowed(const std::string& client_id, const client_identity& client, bool mutual_tls) const {
  const auto data = data_->get();
  const auto* conn = data->find_connection(client_id);
  if (!conn) return !mutual_tls;
  if (mutual_tls) {
    bool by_hash = !conn->client_cert_sha256.empty() && conn->client_cert_sha256 == client.cert_sha256;
    bool by_subject = !conn->client_cert_subject.empty() && conn->client_cert_subject == client.cert_subject;
    if (!by_hash && !by_subject) return false;
  }
  if (conn->allowed_sources.empty()) return true;
  return std::any_of(conn->allowed_sources.begin(), conn->allowed_sources.end(),
                     [&](const std::string& prefix) { return client.remote_address.rfind(prefix, 0) == 0; });
}

token_grant authorization::exchange(const std::vector<std::pair<std::string, std::string>>& form,
                                    const client_identity& client, bool mutual_tls) {
  const auto data = data_->get();
  std::map<std::string, std::string> f;
  for (const auto& [k, v] : form)
    if (!f.count(k)) f[k] = v;
  token_grant g;
  if (f["grant_type"] != "authorization_code" || f["code"].empty() || f["redirect_uri"].empty() ||
      f["client_id"].empty()) {
    g.error_key = "invalid_token_request";
    return g;
  }
  if (!data->find_service(f["client_id"])) {
    g.error_key = "unknown_client";
    return g;
  }
  if (!client_allowed(f["client_id"], client, mutual_tls)) {
    g.error_key = "client_not_authenticated";
    return g;
  }
  auto now = clock_->now();
  std::vector<std::string> revoke;
  bool found = codes_.with(f["code"], now, [&](code_grant& c) {
    if (c.used) {
      g.error_key = "code_reused";
      revoke = c.tokens;
      return;
    }
    if (c.client_id != f["client_id"] || c.redirect_uri != f["redirect_uri"]) {
      g.error_key = "invalid_grant";
      return;
    }
    if (!c.code_challenge.empty() && pkce_s256(f["code_verifier"]) != c.code_challenge) {
      g.error_key = "invalid_grant";
      return;
    }
    c.used = true;
    g.access_token = ids_->token(48);
    c.tokens.push_back(g.access_token);
    tokens_.put(g.access_token, {c.client_id, c.persona_id, now + data->portal.token_lifetime, false, {}}, now,
                c.client_id);
    g.expires_in = static_cast<long>(data->portal.token_lifetime.count() / 1000);
  });
  for (const auto& t : revoke) tokens_.with(t, now, [](token_state& ts) { ts.revoked = true; });
  if (!found) g.error_key = "invalid_grant";
  return g;
}

std::optional<token_info> authorization::check_token(const std::string& token) {
  std::optional<token_info> out;
  auto now = clock_->now();
  tokens_.with(token, now, [&](token_state& t) {
    if (!t.revoked && now < t.expires) out = token_info{t.client_id, t.persona_id, t.card_fingerprint};
  });
  return out;
}

token_grant authorization::issue_card_token(const std::string& client_id, const std::string& persona_id,
                                            const std::string& card_fingerprint) {
  const auto data = data_->get();
  auto now = clock_->now();
  token_grant g;
  g.access_token = ids_->token(48);
  g.expires_in = static_cast<long>(data->portal.token_lifetime.count() / 1000);
  tokens_.put(g.access_token, {client_id, persona_id, now + data->portal.token_lifetime, false, card_fingerprint}, now,
              client_id);
  return g;
}

}  // namespace mynasim
