// SPDX-License-Identifier: Apache-2.0
#include "portal/web_routes.hpp"

#include <map>

#include "portal/pages.hpp"

namespace mynasim {
namespace {

using form_map = std::map<std::string, std::string>;

form_map read_form(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> pairs;
  form_map out;
  if (!parse_form(body, pairs)) return out;
  for (auto& [k, v] : pairs)
    if (!out.count(k)) out[k] = v;
  return out;
}

http_response error_html(const world_data& data, const std::string& key, const std::string& detail = "") {
  const auto& e = data.errors.at(key);
  int status = e.status >= 400 ? e.status : 400;
  auto res = http_response::html(status, error_page(e, detail));
  res.set("x-mynasim-error-code", e.code);
  add_page_headers(res);
  return res;
}

// Turns a step of the state machine into the page or redirect the browser sees.
http_response render(const world_data& data, authorization& auth, const flow_result& r,
                     const std::string& chosen_serial = "") {
  switch (r.next) {
    case flow_step::redirect: {
      http_response res{302, {}, {}};
      res.set("location", r.location);
      res.set("cache-control", "no-store");
      // An error redirect (refusal, lock, …) says its code to the log, the journal and the metrics.
      if (!r.error_key.empty()) res.set("x-mynasim-error-code", data.errors.at(r.error_key).code);
      return res;
    }
    case flow_step::error_page:
      return error_html(data, r.error_key, r.detail);
    case flow_step::consent_page:
    case flow_step::auth_page:
    case flow_step::link_page:
      break;
  }
  auto s = auth.session(r.session_id);
  const auto* service = s ? data.find_service(s->client_id) : nullptr;
  if (!service) return error_html(data, "session_expired");
  std::string html = r.next == flow_step::consent_page ? consent_page(data, *service, r.session_id, r.message)
                     : r.next == flow_step::auth_page  ? auth_page(data, r.session_id, r.message, chosen_serial)
                                                       : link_page(*service, r.session_id);
  auto res = http_response::html(200, html);
  res.set("cache-control", "no-store");
  add_page_headers(res);
  return res;
}

// A card the person cannot use ends the flow on a portal page of its own; its button takes
// them back to the service, which then receives the error redirect.
http_response card_failure(const world_data& data, const flow_result& r) {
  auto res = http_response::html(200, card_failure_page(data.errors.at(r.error_key), r.location));
  res.set("cache-control", "no-store");
  res.set("x-mynasim-error-code", data.errors.at(r.error_key).code);
  add_page_headers(res);
  return res;
}

http_response authorize(const world_data& data, authorization& auth, http_request& req) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!parse_form(req.query, pairs)) return error_html(data, "invalid_authorize_request", "クエリ文字列が不正です");
  form_map q;
  for (auto& [k, v] : pairs)
    if (!q.count(k)) q[k] = v;
  authorize_params p{q["response_type"],
                     q["client_id"],
                     q["redirect_uri"],
                     q["state"],
                     q["login_type"],
                     q["code_challenge"],
                     q["code_challenge_method"],
                     {},
                     {},
                     req.remote_address};
  if (data.portal.allow_test_overrides) {
    p.test_persona = q["mynasim_persona"];
    p.test_outcome = q["mynasim_outcome"];
    if (const auto* h = req.header("x-mynasim-persona"); h && p.test_persona.empty()) p.test_persona = *h;
    if (const auto* h = req.header("x-mynasim-outcome"); h && p.test_outcome.empty()) p.test_outcome = *h;
  }
  static const std::vector<std::string> outcomes = {
      "", "consent", "refuse", "cancel_link", "wrong_pin", "lock_card", "expired_certificate", "revoked_certificate"};
  if (std::find(outcomes.begin(), outcomes.end(), p.test_outcome) == outcomes.end())
    return error_html(data, "invalid_authorize_request",
                      "mynasim_outcome=" + p.test_outcome +
                          " は使えません（consent, refuse, cancel_link, wrong_pin, lock_card, expired_certificate, "
                          "revoked_certificate のいずれかです）。");
  return render(data, auth, auth.begin(p));
}

}  // namespace

void register_web_routes(router& r, const data_source& source, authorization& auth) {
  r.add_sync("GET", paths::terms, [](http_request&) {
    auto res = http_response::html(200, terms_page());
    add_page_headers(res);
    return res;
  });
  r.add_sync("GET", paths::authorize,
             [&source, &auth](http_request& req) { return authorize(*source.get(), auth, req); });
  r.add_sync("POST", paths::consent, [&source, &auth](http_request& req) {
    const auto snapshot = source.get();
    const auto& data = *snapshot;
    auto f = read_form(req.body);
    bool agree = f["action"] == "agree";
    if (agree && f["terms"] != "on") {
      auto s = auth.session(f["session"]);
      const auto* service = s ? data.find_service(s->client_id) : nullptr;
      if (!service) return error_html(data, "session_expired");
      return http_response::html(200, consent_page(data, *service, f["session"], "利用規約に同意してください。"));
    }
    return render(data, auth, auth.consent(f["session"], agree));
  });
  r.add_sync("POST", paths::auth, [&source, &auth](http_request& req) {
    const auto snapshot = source.get();
    const auto& data = *snapshot;
    auto f = read_form(req.body);
    if (f["action"] == "cancel") return render(data, auth, auth.cancel_authentication(f["session"]));
    auto serial = f["card_serial"].empty() ? f["card_select"] : f["card_serial"];
    auto step = auth.authenticate(f["session"], serial, f["pin"]);
    bool card_failed = step.error_key == "card_locked" || step.error_key == "certificate_expired" ||
                       step.error_key == "certificate_revoked";
    if (step.next == flow_step::redirect && card_failed && data.errors.count(step.error_key))
      return card_failure(data, step);
    return render(data, auth, step, serial);
  });
  r.add_sync("POST", paths::link, [&source, &auth](http_request& req) {
    const auto snapshot = source.get();
    const auto& data = *snapshot;
    auto f = read_form(req.body);
    return render(data, auth, auth.link(f["session"], f["action"] == "confirm"));
  });
}

}  // namespace mynasim
