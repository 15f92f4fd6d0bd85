// SPDX-License-Identifier: Apache-2.0
#include "data/world_data.hpp"

namespace mynasim {

const std::vector<nlohmann::json>& persona_data::records() const {
  static const std::vector<nlohmann::json> none;
  return shared_records ? *shared_records : none;
}

void persona_data::set_records(std::vector<nlohmann::json> records) {
  shared_records = std::make_shared<const std::vector<nlohmann::json>>(std::move(records));
}

const char* to_string(query_method m) {
  switch (m) {
    case query_method::date:
      return "date";
    case query_method::range:
      return "range";
    case query_method::latest:
      return "latest";
  }
  return "";
}

const char* to_string(certificate_state s) {
  switch (s) {
    case certificate_state::valid:
      return "valid";
    case certificate_state::expired:
      return "expired";
    case certificate_state::revoked:
      return "revoked";
  }
  return "";
}

namespace {
template <class T, class F>
const T* find_in(const std::vector<T>& v, F&& pred) {
  for (const auto& x : v)
    if (pred(x)) return &x;
  return nullptr;
}

// The indexed position when it still names the entry; else a scan.
template <class T, class Key>
const T* lookup(const std::vector<T>& v, const world_data::index_map* index, std::string_view key, Key&& key_of) {
  if (index) {
    auto it = index->find(key);
    if (it != index->end() && it->second < v.size() && key_of(v[it->second]) == key) return &v[it->second];
    if (it == index->end() && index->size() == v.size()) return nullptr;  // the index is whole: not there
  }
  return find_in(v, [&](const T& x) { return key_of(x) == key; });
}

template <class T, class Key>
world_data::index_map index_of(const std::vector<T>& v, Key&& key_of) {
  world_data::index_map out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out.emplace(key_of(v[i]), i);
  return out;
}

const std::string& item_key(const item_definition& i) {
  return i.code;
}
const std::string& service_key(const service_config& s) {
  return s.client_id;
}
const std::string& connection_key(const connection_config& c) {
  return c.client_id;
}
const std::string& persona_key(const persona& p) {
  return p.id;
}
const std::string& card_key(const persona& p) {
  return p.card.serial;
}
}  // namespace

void world_data::reindex() {
  auto ix = std::make_shared<indexes>();
  ix->items = index_of(items, item_key);
  ix->services = index_of(services, service_key);
  ix->connections = index_of(connections, connection_key);
  ix->personas = index_of(personas, persona_key);
  ix->cards = index_of(personas, card_key);
  index_.p = std::move(ix);
}

const item_definition* world_data::find_item(std::string_view code) const {
  return lookup(items, index_.p ? &index_.p->items : nullptr, code, item_key);
}
const service_config* world_data::find_service(std::string_view id) const {
  return lookup(services, index_.p ? &index_.p->services : nullptr, id, service_key);
}
const connection_config* world_data::find_connection(std::string_view id) const {
  return lookup(connections, index_.p ? &index_.p->connections : nullptr, id, connection_key);
}
const persona* world_data::find_persona(std::string_view id) const {
  return lookup(personas, index_.p ? &index_.p->personas : nullptr, id, persona_key);
}
const persona* world_data::find_persona_by_card(std::string_view serial) const {
  return lookup(personas, index_.p ? &index_.p->cards : nullptr, serial, card_key);
}

namespace {
bool digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}
}  // namespace

bool is_item_code(std::string_view s) {
  return s.size() == 16 && s.substr(0, 2) == "TM" && digits(s.substr(2));
}

bool is_client_id(std::string_view s) {
  return s.size() == 17 && s.substr(0, 2) == "SP" && digits(s.substr(2, 8)) && s[10] == '_' && s[11] >= 'A' &&
         s[11] <= 'Z' && s[12] >= 'A' && s[12] <= 'Z' && digits(s.substr(13));
}

bool is_telegram_id(std::string_view s) {
  return s.size() == 29 && s.substr(0, 3) == "TL-" && digits(s.substr(3, 8)) && s[11] == '-' &&
         digits(s.substr(12, 12)) && s[24] == '-' && digits(s.substr(25));
}

namespace {

// One row of the built-in error catalogue: its key and the entry's defaults.
struct error_catalogue_row {
  const char* key;
  const char* code;
  int status;
  const char* message;
  const char* when;
};

constexpr error_catalogue_row default_errors[] = {
    {"unknown_client", "MPE1001", 400, "クライアントIDが登録されていません。",
     "authorize/token: client_id is not a registered service"},
    {"redirect_uri_mismatch", "MPE1002", 400, "リダイレクトURIが登録内容と一致しません。",
     "authorize/token: redirect_uri differs from every registered one"},
    {"invalid_authorize_request", "MPE1003", 400, "認可要求のパラメータが不正です。",
     "authorize: response_type is not code, or a parameter is missing"},
    {"unknown_persona", "MPE1004", 400, "指定されたテスト利用者が存在しません。",
     "authorize (test path): mynasim_persona names no persona"},
    {"session_expired", "MPE1005", 400, "画面の有効期限が切れました。最初からやり直してください。",
     "consent/card pages: the session is unknown or expired"},
    {"consent_refused", "MPE1101", 302, "利用者が連携をやめました。",
     "the user pressed 連携をやめる on the consent screen"},
    {"link_cancelled", "MPE1107", 302, "利用者がサービス連携を取りやめました。",
     "the user pressed キャンセル on the link screen, after the card was verified"},
    {"wrong_pin", "MPE1102", 302, "暗証番号が正しくありません。", "a wrong PIN (the user gave up with tries left)"},
    {"card_locked", "MPE1103", 302, "暗証番号がロックされています。市区町村窓口でロック解除を行ってください。",
     "the third wrong PIN, or a card locked before"},
    {"certificate_expired", "MPE1104", 302, "利用者証明用電子証明書の有効期限が切れています。",
     "the card's certificate has expired"},
    {"certificate_revoked", "MPE1105", 302, "利用者証明用電子証明書が失効しています。",
     "the card's certificate is revoked"},
    {"unknown_card", "MPE1106", 302, "マイナンバーカードを読み取れませんでした。",
     "the serial entered matches no card"},
    {"invalid_token_request", "MPE2001", 400, "トークン要求のパラメータが不正です。",
     "token: grant_type/code/redirect_uri/client_id missing or malformed"},
    {"invalid_grant", "MPE2002", 400, "認可コードが無効または期限切れです。",
     "token: unknown or expired code, or issued to another client/redirect_uri"},
    {"code_reused", "MPE2003", 400, "認可コードは既に使用されています。発行済みのアクセストークンを無効化しました。",
     "token: second use of a code (its tokens are revoked)"},
    {"client_not_authenticated", "MPE2004", 401, "クライアント認証に失敗しました。",
     "sp: client certificate or source address not registered for the service"},
    {"invalid_token", "MPE3001", 401, "アクセストークンが無効です。",
     "request/result: missing, unknown, expired or revoked Bearer token"},
    {"malformed_json", "MPE3002", 400, "電文がJSONとして解析できません。",
     "request/result: the body is not a JSON object"},
    {"invalid_telegram", "MPE3003", 400, "電文の共通ヘッダが不正です。",
     "request/result: commonHeader missing or a field malformed"},
    {"duplicate_telegram_id", "MPE3004", 409, "電文IDが重複しています。",
     "request: telegramId already used by this service"},
    {"query_method_not_allowed", "MPE3005", 400, "指定された照会方法は利用できません。",
     "request: the service may not use this method, or 最新 for items without dates"},
    {"invalid_inquiry_condition", "MPE3006", 400, "照会条件が不正です。",
     "request: inquiryCondition is not Date=/Range=/Latest"},
    {"unknown_process", "MPE3007", 404, "処理IDが存在しません。", "result: processId unknown, or not this token's"},
    {"still_processing", "MPE3008", 200, "自己情報の取得処理中です。通知を受けてから再度要求してください。",
     "result: asked before the result is ready"},
    {"result_expired", "MPE3009", 410, "取得結果の保存期間が過ぎています。",
     "result: the result is older than result_lifetime"},
    {"system_outside_hours", "MPE4001", 503, "{system}の運用時間外です。{reopens}",
     "outside its daily hours: the portal itself refuses IF001-04/06 at once (503); any other system on the path, in "
     "the IF001-06 result (200)"},
    {"system_closed_day", "MPE4002", 503, "{system}の休業日です（{detail}）。{reopens}",
     "closed on a weekend/holiday: the portal at once (503); any other system, in the IF001-06 result (200)"},
    {"system_planned_outage", "MPE4003", 503, "{system}は計画停止中です（{detail}）。{reopens}",
     "in a planned outage (e.g. 住基ネット's year-end stop): the portal at once (503); any other system, in the "
     "IF001-06 result (200)"},
    {"system_forced_down", "MPE4004", 503, "{system}は停止しています（障害）。{reopens}",
     "forced down (a `down` fault): the portal at once (503); any other system, in the IF001-06 result (200)"},
    {"system_error", "MPE4005", 502, "{system}との通信でエラーが発生しました。",
     "a system on the path failed or did not answer"},
    {"partial_result", "MPE5001", 200, "一部の情報保有機関から情報を取得できませんでした。",
     "result: some holders failed; the others' data is included"},
    {"no_data", "MPE5002", 200, "該当する自己情報がありません。",
     "result: no holder had data for the condition (a normal outcome)"},
    {"kiosk_invalid_challenge", "MPE6001", 400, "チャレンジが無効、使用済み、または期限切れです。",
     "kiosk token: the challenge is unknown, used, expired or another service's"},
    {"kiosk_bad_certificate", "MPE6002", 400, "証明書を解析できません。",
     "kiosk token: the certificate is not PEM or base64 DER X.509"},
    {"kiosk_untrusted_certificate", "MPE6003", 401, "証明書の検証に失敗しました（発行元が不明です）。",
     "kiosk token: the certificate does not chain to the JPKI test CA"},
    {"kiosk_bad_signature", "MPE6004", 401, "署名の検証に失敗しました。",
     "kiosk token: the signature is malformed, truncated, or not over this challenge by this card"},
    {"kiosk_card_mismatch", "MPE6005", 401, "カードがアクセストークンと一致しません。",
     "kiosk request/result: X-Kiosk-Card-Sha256 names another card than the token's"},
};

}  // namespace

std::map<std::string, error_entry> default_error_catalogue() {
  std::map<std::string, error_entry> out;
  for (const auto& row : default_errors) out.emplace(row.key, error_entry{row.code, row.status, row.message, row.when});
  return out;
}

}  // namespace mynasim
