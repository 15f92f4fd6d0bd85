// SPDX-License-Identifier: Apache-2.0
#include "portal/api_routes.hpp"

#include "core/json_util.hpp"
#include "portal/web_routes.hpp"

namespace mynasim {
namespace {

// The header fields a telegram carries, read leniently so that errors can echo them.
struct common_header {
  std::string telegram_id, telegram_type, mode, process_id;
  bool present = false;
};

common_header read_header(const nlohmann::json& body) {
  common_header h;
  if (!body.contains("commonHeader") || !body["commonHeader"].is_object()) return h;
  const auto& c = body["commonHeader"];
  auto str = [&](const char* k) { return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string(); };
  h.present = true;
  h.telegram_id = str("telegramId");
  h.telegram_type = str("telegramType");
  h.mode = str("mode");
  h.process_id = str("processId");
  return h;
}

nlohmann::json header_json(const common_header& h, const std::string& type, const std::string& process_id,
                           const std::string& error_code) {
  nlohmann::json out = nlohmann::json::object();
  out["telegramId"] = h.telegram_id;
  out["telegramType"] = type;
  out["mode"] = h.mode;
  out["processId"] = process_id;
  out["errorCode"] = error_code;
  return out;
}

// The one mapper from a catalogue key to a telegram error response. `detail` — one Japanese
// sentence naming the field, the value sent and what is expected — follows the message.
http_response telegram_error(const world_data& data, const std::string& key, const common_header& h,
                             const std::string& response_type, const std::string& detail = "") {
  const auto& e = data.errors.at(key);
  auto res = json_response(e.status, {{"commonHeader", header_json(h, response_type, h.process_id, e.code)},
                                      {"errorMessage", e.message + detail}});
  if (e.status == 401) res.set("www-authenticate", "Bearer error=\"invalid_token\"");
  return res;
}

http_response token_error(const world_data& data, const std::string& key) {
  const auto& e = data.errors.at(key);
  static const std::map<std::string, std::string> oauth = {{"invalid_token_request", "invalid_request"},
                                                           {"unknown_client", "invalid_client"},
                                                           {"client_not_authenticated", "invalid_client"},
                                                           {"invalid_grant", "invalid_grant"},
                                                           {"code_reused", "invalid_grant"}};
  auto it = oauth.find(key);
  auto res = json_response(e.status, {{"error", it == oauth.end() ? "invalid_request" : it->second},
                                      {"error_description", e.message},
                                      {"errorCode", e.code}});
  res.set("cache-control", "no-store");
  return res;
}

client_identity identity_of(const http_request& req) {
  return {req.client_cert_sha256, req.client_cert_subject, req.remote_address};
}

http_response token(api_context& ctx, http_request& req) {
  std::vector<std::pair<std::string, std::string>> form;
  if (!parse_form(req.body, form)) return token_error(*ctx.data->get(), "invalid_token_request");
  auto grant = ctx.auth->exchange(form, identity_of(req), ctx.mutual_tls);
  if (!grant.error_key.empty()) return token_error(*ctx.data->get(), grant.error_key);
  auto res = json_response(
      200, {{"access_token", grant.access_token}, {"token_type", "Bearer"}, {"expires_in", grant.expires_in}});
  res.set("cache-control", "no-store");
  return res;
}

// Bearer token → its grant, or the error key.
std::optional<token_info> bearer(api_context& ctx, const http_request& req) {
  const auto* auth = req.header("authorization");
  if (!auth || auth->size() < 8 || auth->compare(0, 7, "Bearer ") != 0) return std::nullopt;
  return ctx.auth->check_token(auth->substr(7));
}

// A kiosk token only works while the same card is in the terminal.
bool card_matches(const token_info& t, const http_request& req) {
  if (t.card_fingerprint.empty()) return true;
  const auto* card = req.header("x-kiosk-card-sha256");
  return card && *card == t.card_fingerprint;
}

// What IF001-04 and IF001-06 check first: body, header, token, card and client.
struct telegram_call {
  const nlohmann::json* body = nullptr;  // the request's, parsed once
  common_header h;
  token_info grant;
};

std::optional<http_response> open_telegram(api_context& ctx, http_request& req, const std::string& type,
                                           telegram_call& call) {
  const auto snapshot = ctx.data->get();
  const auto& data = *snapshot;
  std::string error;
  const auto* body = request_json_object(req, error);
  call.h = body ? read_header(*body) : common_header{};
  auto grant = bearer(ctx, req);
  if (!grant) return telegram_error(data, "invalid_token", call.h, type);
  // A token of a service removed since (admin API, reload) is no longer valid.
  if (!data.find_service(grant->client_id)) return telegram_error(data, "invalid_token", call.h, type);
  if (!card_matches(*grant, req)) return telegram_error(data, "kiosk_card_mismatch", call.h, type);
  if (!body)
    return telegram_error(data, "malformed_json", call.h, type,
                          req.body.empty() ? "本文が空です。" : "本文は JSON のオブジェクト {…} です。");
  if (!ctx.auth->client_allowed(grant->client_id, identity_of(req), ctx.mutual_tls))
    return telegram_error(data, "client_not_authenticated", call.h, type);
  call.body = body;
  call.grant = *grant;
  return std::nullopt;
}

// What an error message says it received: the value, or 空.
std::string received(const std::string& v) {
  return "（" + (v.empty() ? std::string("空") : v) + " を受け取りました）。";
}

// IF001-04's commonHeader: present, a telegramId of the form the guideline gives with the
// provider's digits, the request's telegramType.
std::optional<http_response> check_request_header(const world_data& data, const common_header& h,
                                                  const std::string& type, const std::string& digits) {
  if (!h.present) return telegram_error(data, "invalid_telegram", h, type, "commonHeader がありません。");
  if (!is_telegram_id(h.telegram_id))
    return telegram_error(
        data, "invalid_telegram", h, type,
        "telegramId は TL-" + digits + "-<YYMMDDhhmmss>-<連番4桁> の形式です" + received(h.telegram_id));
  if (h.telegram_id.substr(3, 8) != digits)
    return telegram_error(
        data, "invalid_telegram", h, type,
        "telegramId にはサービス提供者IDの数字 " + digits + " を含めてください" + received(h.telegram_id));
  if (h.telegram_type != "IFA0301-R01")
    return telegram_error(data, "invalid_telegram", h, type,
                          "telegramType は IFA0301-R01 です" + received(h.telegram_type));
  return std::nullopt;
}

http_response self_info_request(api_context& ctx, http_request& req) {
  const auto snapshot = ctx.data->get();
  const auto& data = *snapshot;
  const auto& type = data.portal.request_response_type;
  telegram_call call;
  if (auto refused = open_telegram(ctx, req, type, call)) return std::move(*refused);
  const auto& h = call.h;
  const auto* grant = &call.grant;
  const auto* body = call.body;
  // open_telegram checked the service in its own snapshot: one removed since is as unknown here.
  const auto* service = data.find_service(grant->client_id);
  if (!service) return telegram_error(data, "invalid_token", h, type);
  if (auto refused = check_request_header(data, h, type, service->provider_id.substr(2))) return std::move(*refused);
  const auto& info =
      body->contains("selfProvisionDataReqInfo") ? (*body)["selfProvisionDataReqInfo"] : nlohmann::json();
  if (!info.is_object() || !info.contains("inquiryCondition") || !info["inquiryCondition"].is_string())
    return telegram_error(data, "invalid_inquiry_condition", h, type,
                          "selfProvisionDataReqInfo.inquiryCondition がありません。");
  const auto condition = info["inquiryCondition"].get<std::string>();
  auto q = parse_inquiry(condition, data.portal);
  if (!q)
    return telegram_error(data, "invalid_inquiry_condition", h, type,
                          "inquiryCondition は Date=YYYYMMDD、" + data.portal.range_prefix + "YYYYMMDD-YYYYMMDD、" +
                              data.portal.latest_condition + " のいずれかです" + received(condition.substr(0, 64)));
  if (std::find(service->query_methods.begin(), service->query_methods.end(), q->method) ==
      service->query_methods.end()) {
    std::string registered;
    for (auto m : service->query_methods) registered += (registered.empty() ? "" : ", ") + std::string(to_string(m));
    return telegram_error(data, "query_method_not_allowed", h, type,
                          "このサービスに登録された照会方法は " + registered + " です（" + to_string(q->method) +
                              " を受け取りました）。");
  }
  if (q->method == query_method::latest)
    for (const auto& code : service->items)
      if (const auto* item = data.find_item(code); item && !item->has_dates())
        return telegram_error(data, "query_method_not_allowed", h, type,
                              "最新情報指定は日付を持たない情報（" + item->name + "、" + code + "）には使えません。");
  auto process_id = ctx.processes->start(grant->client_id, grant->persona_id, h.telegram_id, h.mode, *q);
  if (!process_id)
    return telegram_error(data, "duplicate_telegram_id", h, type,
                          "telegramId " + h.telegram_id + " はこのサービスで既に使われています。");
  req.process_id = *process_id;  // its journal entry is filed under the process it created
  return json_response(200, {{"commonHeader", header_json(h, type, *process_id, "")}});
}

http_response self_info_result(api_context& ctx, http_request& req) {
  const auto snapshot = ctx.data->get();
  const auto& data = *snapshot;
  const auto& type = data.portal.result_response_type;
  telegram_call call;
  if (auto refused = open_telegram(ctx, req, type, call)) return std::move(*refused);
  const auto& h = call.h;
  const auto* grant = &call.grant;
  if (!h.present || h.telegram_type != "IFA0303-R01" || h.process_id.empty())
    return telegram_error(
        data, "invalid_telegram", h, type,
        "commonHeader の telegramType は IFA0303-R01、processId は IF001-04 の応答の値です（telegramType=" +
            h.telegram_type + "、processId=" + h.process_id + " を受け取りました）。");
  auto p = ctx.processes->find(h.process_id);
  if (!p || p->client_id != grant->client_id || p->persona_id != grant->persona_id)
    return telegram_error(data, "unknown_process", h, type);
  if (p->telegram_id != h.telegram_id)
    return telegram_error(
        data, "invalid_telegram", h, type,
        "telegramId は IF001-04 の要求と同じ " + p->telegram_id + " です（" + h.telegram_id + " を受け取りました）。");
  if (!p->ready) return telegram_error(data, "still_processing", h, type);
  if (ctx.processes->expired(*p)) return telegram_error(data, "result_expired", h, type);
  std::string code = !p->error_code.empty() ? p->error_code
                     : p->error_key.empty() ? ""
                                            : data.errors.at(p->error_key).code;
  // Written as dump_json would write the document (members in order), the result's parts
  // as they were serialised when the process completed.
  const auto& result = *p->result;
  std::string out;
  out.reserve(result.data_text.size() + result.provider_status_text.size() + p->error_message.size() + 512);
  out += R"({"commonHeader":)";
  append_json(out, header_json(h, type, p->process_id, code));
  if (!p->error_message.empty()) {
    out += R"(,"errorMessage":)";
    append_json_string(out, p->error_message);
  }
  out += R"(,"selfPersonalDataProvisionInfo":{"providerStatus":)";
  out += result.provider_status_text;
  out += R"(,"selfPersonalData":)";
  append_json_string(out, result.data_text);
  out += "}}";
  return http_response::json(200, std::move(out));
}

}  // namespace

void register_api_routes(router& r, api_context ctx) {
  auto shared = std::make_shared<api_context>(ctx);
  for (const char* path : {paths::token, paths::stub_token})
    r.add_sync("POST", path, [shared](http_request& req) { return token(*shared, req); });
  for (const char* path : {paths::request, paths::stub_request})
    r.add_sync("POST", path, [shared](http_request& req) { return self_info_request(*shared, req); });
  for (const char* path : {paths::result, paths::stub_result})
    r.add_sync("POST", path, [shared](http_request& req) { return self_info_result(*shared, req); });
}

}  // namespace mynasim
