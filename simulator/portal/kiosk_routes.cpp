// SPDX-License-Identifier: Apache-2.0
#include "portal/kiosk_routes.hpp"

#include "core/expiring_store.hpp"
#include "core/json_util.hpp"

namespace mynasim {
namespace {

constexpr millis challenge_lifetime{120000};

struct kiosk_state {
  kiosk_context ctx;
  expiring_store<std::string> challenges;  // challenge → client_id
  explicit kiosk_state(kiosk_context c) : ctx(c), challenges(c.data->get()->portal.max_sessions, challenge_lifetime) {}
};

http_response kiosk_error(const world_data& data, const std::string& key, const std::string& detail = "") {
  const auto& e = data.errors.at(key);
  return json_response(e.status >= 400 ? e.status : 400,
                       {{"error", key}, {"error_description", e.message + detail}, {"errorCode", e.code}});
}

std::optional<nlohmann::json> body_of(const http_request& req, std::string& error) {
  return parse_json_object(req.body, error);
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

http_response challenge(kiosk_state& s, http_request& req) {
  std::string error;
  auto body = body_of(req, error);
  if (!body) return kiosk_error(*s.ctx.data->get(), "malformed_json", "本文は JSON のオブジェクト {…} です。");
  auto client = str(*body, "client_id");
  if (!s.ctx.data->get()->find_service(client)) return kiosk_error(*s.ctx.data->get(), "unknown_client");
  if (!s.ctx.auth->client_allowed(client, {req.client_cert_sha256, req.client_cert_subject, req.remote_address},
                                  s.ctx.mutual_tls))
    return kiosk_error(*s.ctx.data->get(), "client_not_authenticated");
  auto value = base64_encode(s.ctx.ids->token(32));
  s.challenges.put(value, client, s.ctx.clock->now(), req.remote_address);
  return json_response(200, {{"challenge", value}, {"expires_in", challenge_lifetime.count() / 1000}});
}

http_response token(kiosk_state& s, http_request& req) {
  const auto snapshot = s.ctx.data->get();
  const auto& data = *snapshot;
  std::string error;
  auto body = body_of(req, error);
  if (!body) return kiosk_error(data, "malformed_json", "本文は JSON のオブジェクト {…} です。");
  auto client = str(*body, "client_id"), value = str(*body, "challenge");
  if (!data.find_service(client)) return kiosk_error(data, "unknown_client");
  if (!s.ctx.auth->client_allowed(client, {req.client_cert_sha256, req.client_cert_subject, req.remote_address},
                                  s.ctx.mutual_tls))
    return kiosk_error(data, "client_not_authenticated");
  // Single use: the challenge is spent by any attempt.
  auto owner = s.challenges.get(value, s.ctx.clock->now());
  s.challenges.erase(value);
  auto raw = base64_decode(value);
  if (!owner || *owner != client || !raw) return kiosk_error(data, "kiosk_invalid_challenge");
  auto v = s.ctx.pki->verify(str(*body, "certificate"), str(*body, "signature"), *raw, s.ctx.clock->now());
  if (!v.error_key.empty()) return kiosk_error(data, v.error_key);
  const auto* persona = data.find_persona_by_card(v.card_serial);
  if (!persona) return kiosk_error(data, "unknown_card");
  auto grant = s.ctx.auth->issue_card_token(client, persona->id, v.fingerprint);
  auto res = json_response(200, {{"access_token", grant.access_token},
                                 {"token_type", "Bearer"},
                                 {"expires_in", grant.expires_in},
                                 {"card_sha256", v.fingerprint}});
  res.set("cache-control", "no-store");
  return res;
}

http_response card_sign(kiosk_context& ctx, http_request& req) {
  const auto& serial = req.params["serial"];
  auto cert = ctx.pki->certificate_pem(serial);
  if (!cert) return json_error(404, "unknown_card", "no card " + serial);
  std::string error;
  auto body = parse_json_object(req.body, error);
  if (!body) return json_error(400, "invalid_request", error);
  auto challenge = base64_decode(str(*body, "challenge"));
  if (!challenge) return json_error(400, "invalid_request", "challenge must be base64");
  int tries_left = -1;
  auto check = ctx.cards->verify(serial, str(*body, "pin"), tries_left);
  if (check == card_check::wrong_pin)
    return json_response(
        403,
        {{"error", "wrong_pin"}, {"error_description", "暗証番号が正しくありません。"}, {"tries_left", tries_left}});
  if (check == card_check::locked)
    return json_response(
        423, {{"error", "card_locked"}, {"error_description", "暗証番号がロックされています。"}, {"tries_left", 0}});
  // The card signs whatever its certificate's state: the portal is the one that refuses it.
  auto sig = ctx.pki->sign(serial, *challenge);
  if (!sig) return json_error(500, "internal_error", "the card could not sign");
  return json_response(200, {{"signature", base64_encode(*sig)}, {"certificate", *cert}});
}

}  // namespace

void register_kiosk_routes(router& sp, kiosk_context ctx) {
  auto state = std::make_shared<kiosk_state>(ctx);
  sp.add_sync("POST", paths::kiosk_challenge, [state](http_request& req) { return challenge(*state, req); });
  sp.add_sync("POST", paths::kiosk_token, [state](http_request& req) { return token(*state, req); });
}

void register_virtual_card_routes(router& systems, kiosk_context ctx) {
  systems.add_sync("GET", "/virtual-card/{serial}/certificate", [ctx](http_request& req) {
    auto cert = ctx.pki->certificate_pem(req.params["serial"]);
    if (!cert) return json_error(404, "unknown_card", "no card " + req.params["serial"]);
    return json_response(200, {{"serial", req.params["serial"]}, {"certificate", *cert}});
  });
  systems.add_sync("POST", "/virtual-card/{serial}/sign",
                   [ctx](http_request& req) mutable { return card_sign(ctx, req); });
}

}  // namespace mynasim
