// SPDX-License-Identifier: Apache-2.0
#include "conformance/lint.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/http.hpp"
#include "portal/web_routes.hpp"

namespace mynasim {
namespace {

enum rule_index {
  polling_before_notification,
  polling_storm,
  retry_before_reopening,
  notification_failing,
  notification_not_acknowledged,
  notification_slow,
  result_never_fetched,
  result_fetched_after_expiry,
  telegram_id_reused,
  telegram_id_malformed,
  result_telegram_mismatch,
  code_reused,
  token_redirect_mismatch,
  authorize_without_state,
  query_method_not_registered,
  malformed_inquiry,
  no_pkce,
};

std::string json_string(std::string_view text, std::string_view key) {
  return compact_json_string(text, key, 128);
}

std::string form_value(const std::string& form, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!parse_form(form, pairs)) return "";
  for (auto& [k, v] : pairs)
    if (k == key) return v;
  return "";
}

bool is_any(const std::string& path, std::initializer_list<const char*> paths) {
  return std::any_of(paths.begin(), paths.end(), [&](const char* p) { return path == p; });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// TL-<8 digits>-<12 digits>-<4 digits>, the 8 digits being the client's provider digits.
bool well_formed_telegram_id(const std::string& id, const std::string& client_id) {
  std::string_view v(id);
  if (v.size() != 29 || !v.starts_with("TL-") || v[11] != '-' || v[24] != '-') return false;
  if (!all_digits(v.substr(3, 8)) || !all_digits(v.substr(12, 12)) || !all_digits(v.substr(25, 4))) return false;
  return client_id.size() < 10 || v.substr(3, 8) == std::string_view(client_id).substr(2, 8);
}

class linter {
 public:
  linter(const std::string& client_id, const world_data& data, const lint_settings& s)
      : client_id_(client_id), data_(data), settings_(s) {}

  void read(const journal_entry& e);
  void finish();
  std::vector<lint_finding> findings() const;

 private:
  std::string code_of(const std::string& key) const {
    auto it = data_.errors.find(key);
    return it == data_.errors.end() ? "" : it->second.code;
  }
  // One occurrence of rule `r`, shown by `e`; the first occurrence's detail (Japanese, English)
  // stands for all.
  void flag(rule_index r, const journal_entry& e, std::string ja, std::string en) {
    auto& f = found_[r];
    if (f.detail_en.empty()) {
      f.detail_ja = std::move(ja);
      f.detail_en = std::move(en);
    }
    if (f.evidence.size() < lint_report::max_evidence) f.evidence.push_back(e);
    ++counts_[r];
  }
  void authorize(const journal_entry& e);
  void token(const journal_entry& e);
  void request(const journal_entry& e, const std::string& error);
  void result(const journal_entry& e, const std::string& error);
  void notification(const journal_entry& e);
  void note_outage(const journal_entry& e, const std::string& error);
  void storm(const journal_entry& e, const std::string& process);

  std::string client_id_;
  const world_data& data_;
  lint_settings settings_;
  std::map<int, lint_finding> found_;
  std::map<int, std::size_t> counts_;
  std::set<std::string> codes_seen_;
  std::set<std::string> telegrams_sent_;
  std::map<std::string, std::string> telegram_of_process_;  // from IF001-04 answers
  std::map<std::string, int> polls_;                        // MPE3008 answers per process
  std::map<std::string, journal_entry> notified_;           // delivered notifications by process
  std::set<std::string> fetched_;                           // processes whose result was read
  std::optional<instant> closed_until_;                     // after an outage answer
};

void linter::read(const journal_entry& e) {
  if (e.direction == "out") return notification(e);
  auto error = json_string(e.response_body, "errorCode");
  if (e.listener == "app" && e.path == paths::authorize) return authorize(e);
  if (e.listener != "sp") return;
  if (is_any(e.path, {paths::token, paths::stub_token})) return token(e);
  if (is_any(e.path, {paths::request, paths::stub_request})) return request(e, error);
  if (is_any(e.path, {paths::result, paths::stub_result})) return result(e, error);
}

void linter::authorize(const journal_entry& e) {
  auto query = e.url.substr(std::min(e.url.size(), e.url.find('?') + 1));
  if (e.url.find('?') == std::string::npos) query.clear();
  if (!form_value(query, "mynasim_persona").empty()) return;  // the test path, not the app's own flow
  if (form_value(query, "state").empty())
    flag(authorize_without_state, e, "state のない認可要求", "authorize without state");
  if (form_value(query, "code_challenge").empty())
    flag(no_pkce, e, "code_challenge のない認可要求", "authorize without code_challenge");
}

void linter::token(const journal_entry& e) {
  auto code = form_value(e.request_body, "code");
  if (!code.empty() && !codes_seen_.insert(code).second)
    flag(code_reused, e, "同じ認可コードを二度送信", "an authorization code sent twice");
  auto error = json_string(e.response_body, "errorCode");
  if (!error.empty() && error == code_of("redirect_uri_mismatch"))
    flag(token_redirect_mismatch, e, "認可要求と異なる redirect_uri でのトークン要求",
         "token request with a redirect_uri other than the authorize one");
}

void linter::request(const journal_entry& e, const std::string& error) {
  if (closed_until_ && e.at < *closed_until_) {
    auto until = format_instant(*closed_until_);
    flag(retry_before_reopening, e, until + " より前に IF001-04 を再送信", "IF001-04 sent again before " + until);
  }
  if (!e.telegram_id.empty() && !well_formed_telegram_id(e.telegram_id, client_id_))
    flag(telegram_id_malformed, e, "telegramId " + e.telegram_id + " の形式が不正", "telegramId " + e.telegram_id);
  if (error == code_of("duplicate_telegram_id"))
    flag(telegram_id_reused, e, "telegramId " + e.telegram_id + " を再利用", "telegramId " + e.telegram_id);
  if (error == code_of("query_method_not_allowed"))
    flag(query_method_not_registered, e, "登録していない照会方法での IF001-04（" + error + "）",
         "IF001-04 with a query method the service did not register (" + error + ")");
  if (error == code_of("invalid_inquiry_condition"))
    flag(malformed_inquiry, e, "不正な照会条件での IF001-04（" + error + "）",
         "IF001-04 with a malformed inquiryCondition (" + error + ")");
  note_outage(e, error);
  auto process = json_string(e.response_body, "processId");
  if (error.empty() && !process.empty()) telegram_of_process_[process] = e.telegram_id;
}

void linter::result(const journal_entry& e, const std::string& error) {
  const auto& process = e.process_id;
  if (auto it = telegram_of_process_.find(process); it != telegram_of_process_.end() && it->second != e.telegram_id)
    flag(result_telegram_mismatch, e, "IF001-06 の telegramId は " + e.telegram_id + "、IF001-04 では " + it->second,
         "IF001-06 with telegramId " + e.telegram_id + ", IF001-04 used " + it->second);
  if (error == code_of("still_processing")) {
    if (!notified_.count(process))
      flag(polling_before_notification, e, "通知の前に IF001-06", "IF001-06 before the notification");
    if (++polls_[process] == settings_.polling_storm) storm(e, process);
    return;
  }
  if (error == code_of("result_expired"))
    flag(result_fetched_after_expiry, e, "IF001-06 が " + error + "（保存期間切れ）と応答されました",
         "IF001-06 answered " + error + " (the result has expired)");
  if (!process.empty()) fetched_.insert(process);
  note_outage(e, error);  // a result that reports an outage closes the door too
}

// A polling storm, worded so that the threshold reads as what it is: polling_storm calls answered
// MPE3008 for one process make one, so one fewer is tolerated.
void linter::storm(const journal_entry& e, const std::string& process) {
  auto l = std::to_string(settings_.polling_storm), ok = std::to_string(std::max(settings_.polling_storm - 1, 0));
  flag(polling_storm, e,
       "処理番号 " + process + " の IF001-06 が " + l + " 回 MPE3008（処理中）と応答されました: 処理中の取得は " + ok +
           " 回まで、" + l + " 回以上でポーリング過多です（polling_storm = " + l + "）",
       "process " + process + ": " + l + " IF001-06 calls answered MPE3008 while still processing — " + l +
           " or more make a polling storm, at most " + ok + " are tolerated (polling_storm = " + l + ")");
}

// An answer naming an outage: no IF001-04 until its reopens_at (else for outage_retry_gap).
void linter::note_outage(const journal_entry& e, const std::string& error) {
  if (error.empty()) return;
  for (const char* key : {"system_outside_hours", "system_closed_day", "system_planned_outage", "system_forced_down"})
    if (error == code_of(key)) {
      auto reopens = parse_instant(json_string(e.response_body, "reopens_at"));
      closed_until_ = reopens ? *reopens : e.at + settings_.outage_retry_gap;
    }
}

void linter::notification(const journal_entry& e) {
  if (!e.faults.empty()) return;  // shaped by an injected fault: not the app's doing
  bool ok = e.status >= 200 && e.status < 300;
  if (!ok) {
    if (e.status == 0) {
      auto why = e.response_body.substr(0, 120);
      flag(notification_failing, e, "HTTP の応答なし: " + why, "no HTTP answer: " + why);
    } else {
      auto status = "HTTP " + std::to_string(e.status);
      flag(notification_failing, e, status + " で応答", status);
    }
    return;
  }
  notified_.emplace(e.process_id, e);
  if (e.response_body.find("IFA0302-S01") == std::string::npos)
    flag(notification_not_acknowledged, e, "telegramType IFA0302-S01 のない応答",
         "answered without telegramType IFA0302-S01");
  if (e.latency_ms > static_cast<double>(settings_.slow_notification.count())) {
    auto ms = std::to_string(static_cast<long>(e.latency_ms)),
         limit = std::to_string(settings_.slow_notification.count());
    flag(notification_slow, e, ms + " ms で応答（slow_notification " + limit + " ms を超過）",
         "answered in " + ms + " ms (over slow_notification, " + limit + " ms)");
  }
}

void linter::finish() {
  for (const auto& [process, e] : notified_)
    if (!fetched_.count(process))
      flag(result_never_fetched, e, "処理番号 " + process + " は通知されましたが、結果を取得していません",
           "process " + process + " notified, result not read");
}

std::vector<lint_finding> linter::findings() const {
  std::vector<lint_finding> out;
  for (const auto& [index, f] : found_) {
    auto copy = f;
    copy.rule = &lint_rules()[static_cast<std::size_t>(index)];
    const auto count = counts_.at(index);
    if (count > 1) {
      copy.detail_ja += "（計 " + std::to_string(count) + " 回）";
      copy.detail_en += " (" + std::to_string(count) + " times)";
    }
    copy.evidence_omitted = count - copy.evidence.size();
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

const char* to_string(lint_severity s) {
  switch (s) {
    case lint_severity::error:
      return "error";
    case lint_severity::warning:
      return "warning";
    case lint_severity::advice:
      return "advice";
  }
  return "?";
}

namespace {

// Every rule, in the order they are reported and documented: id, severity, what it means in
// Japanese and in English, the remedy in Japanese and in English.
using sev = lint_severity;
const lint_rule rule_table[] = {
    {"polling-before-notification", sev::warning, "結果通知の前に結果取得（IF001-06）を呼んでいます",
     "IF001-06 called before the IF001-05 notification",
     "通知を待ってください。ポーリングは回数を限った予備の手段に留めてください",
     "wait for the notification; poll only as a bounded fallback"},
    {"polling-storm", sev::error, "処理中の結果を繰り返し取得しています（ポーリング過多）",
     "IF001-06 polled again and again while still processing (MPE3008)",
     "通知ごとに一度だけ取得してください。ポーリングが必要なら間隔を空け（例: 5 "
     "秒から倍々に）、上限の回数で止めてください",
     "fetch once per notification; if you must poll, back off (e.g. 5 s, doubling) and stop after a limit"},
    {"retry-before-reopening", sev::error, "計画停止・運用時間外の間に、再開前に再要求しています",
     "IF001-04 retried during an outage, before the announced reopening",
     "reopens_at やメッセージを読んで再開後に再試行し、再開の時刻を利用者に案内してください",
     "read reopens_at / the message and retry after it; tell the user when the service reopens"},
    {"notification-failing", sev::error, "結果通知（IF001-05）を受け取れていません",
     "the IF001-05 notification endpoint fails or does not answer",
     "すぐに 200 で応答し、結果の処理は非同期に行ってください",
     "answer 200 quickly; process the result asynchronously"},
    {"notification-not-acknowledged", sev::warning, "結果通知に IFA0302-S01 で応答していません",
     "the notification is answered without an IFA0302-S01 telegram",
     "受け取った共通ヘッダーを返し、{\"commonHeader\": {…, \"telegramType\": \"IFA0302-S01\"}} で応答してください",
     "answer {\"commonHeader\": {…, \"telegramType\": \"IFA0302-S01\"}} echoing the header"},
    {"notification-slow", sev::warning, "結果通知への応答が遅すぎます", "the notification endpoint answers slowly",
     "先に応答し、その後で結果を取得・処理してください", "acknowledge first, then fetch and process the result"},
    {"result-never-fetched", sev::warning, "通知を受けた結果を取得していません",
     "a result was notified but never fetched", "通知のたびに結果を取得（IF001-06）してください",
     "fetch the result (IF001-06) after each notification"},
    {"result-fetched-after-expiry", sev::warning, "保存期間を過ぎた結果を取得しようとしています",
     "the result was fetched after it expired (MPE3009)", "通知の後すぐに結果を取得してください",
     "fetch results promptly after the notification"},
    {"telegram-id-reused", sev::error, "電文ID（telegramId）を再利用しています",
     "a telegramId was used twice (MPE3004)", "IF001-04 の要求ごとに新しい telegramId を生成してください",
     "generate a new telegramId for every IF001-04 request"},
    {"telegram-id-malformed", sev::error, "電文ID（telegramId）の形式が不正です",
     "a telegramId is not TL-<8 provider digits>-<YYMMDDhhmmss>-<4 digits>",
     "自社のサービス提供者番号の数字、日本時間の時刻、連番から組み立ててください",
     "build it from your own provider digits, a JST timestamp and a sequence"},
    {"result-telegram-mismatch", sev::error, "結果取得の telegramId が要求時と異なります",
     "IF001-06 sent with a telegramId other than its IF001-04 one",
     "processId とともに、IF001-04 の telegramId をそのまま送ってください",
     "repeat the IF001-04 telegramId together with its processId"},
    {"code-reused", sev::error, "認可コードを二度使っています", "an authorization code was exchanged twice",
     "認可コードは一度だけ交換し、失敗したら新たに認可を始めてください",
     "exchange each code once; start a new authorization when it fails"},
    {"token-redirect-mismatch", sev::error, "トークン要求の redirect_uri が認可要求と異なります",
     "the token request's redirect_uri is not the one used to authorize (MPE1002)",
     "認可要求と同じ redirect_uri をそのまま送ってください", "send exactly the redirect_uri of the authorize request"},
    {"authorize-without-state", sev::warning, "認可要求に state がありません（CSRF の危険）",
     "authorize sent without state (CSRF risk)", "推測できない state を送り、コールバックで照合してください",
     "send an unguessable state and check it on the callback"},
    {"query-method-not-registered", sev::error, "登録していない照会方法を使っています",
     "an inquiry method the service did not register (MPE3005)",
     "サービス情報設定シートに登録した照会方法だけを使ってください",
     "use only the query methods of your サービス情報設定シート"},
    {"malformed-inquiry", sev::error, "照会条件（inquiryCondition）が不正です",
     "a malformed inquiryCondition (MPE3006)",
     "Date=YYYYMMDD、Range=YYYYMMDD-YYYYMMDD、Latest のいずれかにしてください",
     "Date=YYYYMMDD, Range=YYYYMMDD-YYYYMMDD or Latest"},
    {"no-pkce", sev::advice, "PKCE（code_challenge）を使っていません", "authorize without PKCE (code_challenge)",
     "code_challenge（S256）と code_verifier を送ってください", "send code_challenge (S256) and code_verifier"},
};

}  // namespace

const std::vector<lint_rule>& lint_rules() {
  static const std::vector<lint_rule> rules(std::begin(rule_table), std::end(rule_table));
  return rules;
}

lint_report run_lint(const std::string& client_id, std::vector<journal_entry> entries, const world_data& data,
                     const lint_settings& settings) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  linter l(client_id, data, settings);
  for (const auto& e : entries) l.read(e);
  l.finish();
  lint_report r;
  r.client_id = client_id;
  r.entries_read = entries.size();
  r.findings = l.findings();
  return r;
}

nlohmann::json lint_report::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : findings) {
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto& e : f.evidence) {
      auto j = journal_json(e);
      j.erase("request_body");
      j.erase("response_body");
      evidence.push_back(std::move(j));
    }
    list.push_back({{"rule", f.rule->id},
                    {"severity", to_string(f.rule->severity)},
                    {"title_ja", f.rule->title_ja},
                    {"title_en", f.rule->title_en},
                    {"remedy", f.rule->remedy_en},
                    {"remedy_ja", f.rule->remedy_ja},
                    {"remedy_en", f.rule->remedy_en},
                    {"detail", f.detail_en},
                    {"detail_ja", f.detail_ja},
                    {"detail_en", f.detail_en},
                    {"evidence", std::move(evidence)},
                    {"evidence_omitted", f.evidence_omitted}});
  }
  return {{"client_id", client_id},
          {"entries_read", entries_read},
          {"rules", lint_rules().size()},
          {"findings", std::move(list)}};
}

std::string lint_rules_markdown() {
  std::string out = "| rule | severity | 説明 | what it means | 対処 | remedy |\n|---|---|---|---|---|---|\n";
  for (const auto& r : lint_rules())
    out += std::string("| `") + r.id + "` | " + to_string(r.severity) + " | " + r.title_ja + " | " + r.title_en +
           " | " + r.remedy_ja + " | " + r.remedy_en + " |\n";
  return out;
}

}  // namespace mynasim
