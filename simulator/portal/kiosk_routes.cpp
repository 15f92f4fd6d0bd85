// SPDX-License-Identifier: Apache-2.0
#include "portal/kiosk_routes.hpp"

#include <mutex>

#include "core/background_pool.hpp"
#include "core/expiring_store.hpp"
#include "core/json_util.hpp"

namespace mynasim {

constexpr millis challenge_lifetime{120000};

struct kiosk_challenges {
  std::once_flag made;
  std::unique_ptr<expiring_store<std::string>> store;  // challenge → client_id
  // Sized from the world's portal settings the first time a route needs it.
  expiring_store<std::string>& of(const kiosk_context& ctx) {
    std::call_once(made, [&] {
      store = std::make_unique<expiring_store<std::string>>(ctx.data->get()->portal.max_sessions, challenge_lifetime);
    });
    return *store;
  }
};

std::shared_ptr<kiosk_challenges> make_kiosk_challenges() {
  return std::make_shared<kiosk_challenges>();
}

namespace {

struct kiosk_state {
  kiosk_context ctx;
  expiring_store<std::string>& challenges;
  explicit kiosk_state(kiosk_context c) : ctx(std::move(c)), challenges(ctx.challenges->of(ctx)) {}
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
  // Verifying is a public-key operation (microseconds); no key is generated on this path.
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

http_response busy() {
  auto res = json_error(503, "busy",
                        "the virtual card's key work is queued to its bound for this caller; retry after Retry-After");
  res.set("retry-after", "1");
  return res;
}

// Runs `work` (key generation, signing) on the background pool for `owner` and answers with
// its response; inline when the context has no pool. A queue that is full answers 503.
void run_card_work(const kiosk_context& ctx, const std::string& owner, respond_fn respond,
                   std::function<http_response()> work) {
  auto answer = std::make_shared<respond_fn>(std::move(respond));  // the job's, or the refusal's
  auto guarded = [work = std::move(work), answer]() {
    try {
      (*answer)(work());
    } catch (const std::exception&) {
      (*answer)(json_error(500, "internal_error", "the card could not do its key work"));
    }
  };
  if (!ctx.pool) return guarded();
  if (!ctx.pool->submit(ctx.owner_prefix + owner, std::move(guarded))) (*answer)(busy());
}

// Whose PIN tries these are: the service a live kiosk challenge was issued to (not spent:
// the token spends it), else the source address.
std::string caller_of(const kiosk_context& ctx, const std::string& challenge, const std::string& address) {
  if (!challenge.empty())
    if (auto client = ctx.challenges->of(ctx).get(challenge, ctx.clock->now())) return service_caller(*client);
  return address_caller(address);
}

void card_certificate(const kiosk_context& ctx, http_request& req, respond_fn respond) {
  auto serial = req.params["serial"];
  if (!ctx.pki->knows(serial)) return respond(json_error(404, "unknown_card", "no card " + serial));
  auto work = [pki = ctx.pki, serial]() {
    auto cert = pki->certificate_pem(serial);
    if (!cert) return json_error(404, "unknown_card", "no card " + serial);
    return json_response(200, {{"serial", serial}, {"certificate", *cert}});
  };
  if (ctx.pki->ready(serial)) return respond(work());  // in memory: no key work
  run_card_work(ctx, address_caller(req.remote_address), std::move(respond), work);
}

void card_sign(const kiosk_context& ctx, http_request& req, respond_fn respond) {
  auto serial = req.params["serial"];
  if (!ctx.pki->knows(serial)) return respond(json_error(404, "unknown_card", "no card " + serial));
  std::string error;
  auto body = parse_json_object(req.body, error);
  if (!body) return respond(json_error(400, "invalid_request", error));
  auto text = str(*body, "challenge");
  auto challenge = base64_decode(text);
  if (!challenge) return respond(json_error(400, "invalid_request", "challenge must be base64"));
  auto caller = caller_of(ctx, text, req.remote_address);
  int tries_left = -1;
  auto check = ctx.cards->verify(serial, str(*body, "pin"), caller, tries_left);
  if (check == card_check::unknown_card) return respond(json_error(404, "unknown_card", "no card " + serial));
  if (check == card_check::wrong_pin)
    return respond(json_response(
        403,
        {{"error", "wrong_pin"}, {"error_description", "暗証番号が正しくありません。"}, {"tries_left", tries_left}}));
  if (check == card_check::locked)
    return respond(json_response(
        423, {{"error", "card_locked"}, {"error_description", "暗証番号がロックされています。"}, {"tries_left", 0}}));
  // The card signs whatever its certificate's state: the portal is the one that refuses it.
  run_card_work(ctx, caller, std::move(respond), [pki = ctx.pki, serial, message = std::move(*challenge)]() {
    auto sig = pki->sign(serial, message);
    auto cert = sig ? pki->certificate_pem(serial) : std::nullopt;
    if (!sig || !cert) return json_error(500, "internal_error", "the card could not sign");
    return json_response(200, {{"signature", base64_encode(*sig)}, {"certificate", *cert}});
  });
}

}  // namespace

void register_kiosk_routes(router& sp, kiosk_context ctx) {
  auto state = std::make_shared<kiosk_state>(std::move(ctx));
  sp.add_sync("POST", paths::kiosk_challenge, [state](http_request& req) { return challenge(*state, req); });
  sp.add_sync("POST", paths::kiosk_token, [state](http_request& req) { return token(*state, req); });
}

void register_virtual_card_routes(router& systems, const kiosk_context& ctx) {
  systems.add("GET", "/virtual-card/{serial}/certificate",
              [ctx](http_request& req, respond_fn respond) { card_certificate(ctx, req, std::move(respond)); });
  systems.add("POST", "/virtual-card/{serial}/sign",
              [ctx](http_request& req, respond_fn respond) { card_sign(ctx, req, std::move(respond)); });
}

}  // namespace mynasim
