// SPDX-License-Identifier: Apache-2.0
#include "conformance/plan.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "core/http.hpp"
#include "portal/web_routes.hpp"

namespace mynasim {
namespace {

std::string json_string(std::string_view text, std::string_view key) {
  return compact_json_string(text, key, 128);
}

bool is_sp(const journal_entry& e, const char* full, const char* alias) {
  return e.direction == "in" && e.listener == "sp" && (e.path == full || e.path == alias);
}
bool is_request(const journal_entry& e) {
  return is_sp(e, paths::request, paths::stub_request);
}
bool is_result(const journal_entry& e) {
  return is_sp(e, paths::result, paths::stub_result);
}
bool is_token(const journal_entry& e) {
  return is_sp(e, paths::token, paths::stub_token);
}
bool is_authorize(const journal_entry& e) {
  return e.direction == "in" && e.listener == "app" && e.path == paths::authorize;
}
bool is_notification(const journal_entry& e) {
  return e.direction == "out";
}
bool acknowledged(const journal_entry& e) {
  return e.status >= 200 && e.status < 300;
}

class reader {
 public:
  explicit reader(const judge_input& in) : in_(in) {}
  std::string code(const char* key) const {
    auto it = in_.data->errors.find(key);
    return it == in_.data->errors.end() ? "" : it->second.code;
  }
  bool is_outage(const std::string& error) const {
    for (const char* k : {"system_outside_hours", "system_closed_day", "system_planned_outage", "system_forced_down"})
      if (!error.empty() && error == code(k)) return true;
    return false;
  }
  // An IF001-06 answer with the result (or its failure), not "still processing".
  bool fetched(const journal_entry& e) const {
    return is_result(e) && e.status == 200 && e.error_code != code("still_processing");
  }
  // A successful IF001-04: the process it started, or "".
  static std::string started(const journal_entry& e) {
    if (!is_request(e) || e.status != 200 || !e.error_code.empty()) return "";
    return json_string(e.response_body, "processId");
  }

 private:
  const judge_input& in_;
};

judgement pending() {
  return {};
}
// A final verdict; `seen`: how many entries showed it, when more than `evidence` holds.
judgement final_verdict(test_verdict v, bilingual detail, std::vector<journal_entry> evidence = {},
                        std::size_t seen = 0) {
  judgement j;
  j.verdict = v;
  j.decisive = true;
  j.complete = true;
  j.detail_ja = std::move(detail.ja);
  j.detail = std::move(detail.en);
  seen = std::max(seen, evidence.size());
  if (evidence.size() > max_test_evidence)
    evidence.erase(evidence.begin() + static_cast<std::ptrdiff_t>(max_test_evidence), evidence.end());
  j.evidence_omitted = seen - evidence.size();
  j.evidence = std::move(evidence);
  return j;
}
judgement settling(test_verdict v, bilingual detail, std::vector<journal_entry> evidence = {}, std::size_t seen = 0) {
  auto j = final_verdict(v, std::move(detail), std::move(evidence), seen);
  j.decisive = false;
  return j;
}

// What the flow got to, for a test that timed out, after `ja` / `en`.
bilingual seen_summary(std::span<const journal_entry> entries, const std::string& ja, const std::string& en) {
  int authorize = 0, token = 0, request = 0, result = 0, notified = 0;
  for (const auto& e : entries) {
    authorize += is_authorize(e);
    token += is_token(e);
    request += is_request(e);
    result += is_result(e);
    notified += is_notification(e);
  }
  auto n = [](int count) { return std::to_string(count); };
  return {ja + "。確認できた呼び出し: 認可 " + n(authorize) + "、トークン " + n(token) + "、IF001-04 " + n(request) +
              "、IF001-05 " + n(notified) + "、IF001-06 " + n(result),
          en + "; seen: " + n(authorize) + " authorize, " + n(token) + " token, " + n(request) + " IF001-04, " +
              n(notified) + " IF001-05, " + n(result) + " IF001-06"};
}

std::string condition_kind(const journal_entry& e) {
  auto condition = json_string(e.request_body, "inquiryCondition");
  if (condition.rfind("Date=", 0) == 0) return "date";
  if (condition.find('-') != std::string::npos && condition.find('=') != std::string::npos) return "range";
  if (!condition.empty() && condition.find('=') == std::string::npos) return "latest";
  return condition.empty() ? "none" : "other";
}

// A polling storm, worded so that the threshold reads as what it is: `limit` IF001-06 calls
// answered MPE3008 for one process make a storm, so at most limit - 1 are tolerated.
bilingual polling_storm_detail(int polls, int limit) {
  auto n = std::to_string(polls), l = std::to_string(limit), ok = std::to_string(std::max(limit - 1, 0));
  return {"通知の前に IF001-06 を " + n +
              " 回呼び、MPE3008（処理中）と応答されました: ポーリング過多です（処理中の取得は " + ok + " 回まで、" + l +
              " 回以上で過多。polling_storm = " + l + "）",
          n + " IF001-06 calls answered MPE3008 before the notification: a polling storm (" + l +
              " or more while processing make one; at most " + ok + " are tolerated; polling_storm = " + l + ")"};
}

// An IF001-04 that must not be: answered with an error, or asked with another query method.
std::optional<judgement> wrong_request(const judge_input& in, const journal_entry& e) {
  if (!e.error_code.empty() || e.status != 200) {
    auto answer = e.error_code + " (HTTP " + std::to_string(e.status) + ")";
    return final_verdict(test_verdict::fail,
                         {"IF001-04 が " + answer + " と応答されました", "IF001-04 answered " + answer}, {e});
  }
  auto kind = condition_kind(e);
  const auto& method = in.test->query_method;
  if (method.empty() || kind == method) return std::nullopt;
  return final_verdict(test_verdict::fail,
                       {"IF001-04 の照会条件（inquiryCondition）の種類が '" + kind + "' でした。このテストは " +
                            method + " のためのものです",
                        "IF001-04 asked with inquiryCondition of kind '" + kind + "'; this test is for " + method},
                       {e});
}

judgement happy_path(const judge_input& in, const reader& r) {
  std::map<std::string, int> polls;  // MPE3008 answers per process before its notification
  std::set<std::string> notified, started;
  std::vector<journal_entry> early;
  std::size_t early_seen = 0;
  for (const auto& e : in.entries) {
    if (is_request(e)) {
      if (auto wrong = wrong_request(in, e)) return *wrong;
      started.insert(reader::started(e));
    }
    if (is_notification(e)) notified.insert(e.process_id);
    if (is_result(e) && e.error_code == r.code("still_processing") && !notified.count(e.process_id)) {
      ++early_seen;
      if (early.size() < max_test_evidence) early.push_back(e);
      if (++polls[e.process_id] >= in.settings->polling_storm)
        return final_verdict(test_verdict::fail, polling_storm_detail(polls[e.process_id], in.settings->polling_storm),
                             early, early_seen);
    }
    if (r.fetched(e) && started.count(e.process_id)) {
      if (!early.empty()) {
        auto n = std::to_string(polls[e.process_id]);
        return settling(test_verdict::warning,
                        {"結果は取得しましたが、通知の前に IF001-06 を " + n + " 回呼んでいます",
                         "result fetched, but IF001-06 was polled " + n + " time(s) before the notification"},
                        early, early_seen);
      }
      return settling(test_verdict::pass,
                      {"認可 → トークン → IF001-04 → IF001-05 → IF001-06 まで完了しました",
                       "authorize → token → IF001-04 → IF001-05 → IF001-06 completed"},
                      {e});
    }
  }
  if (in.timed_out)
    return final_verdict(test_verdict::fail, seen_summary(in.entries, "時間内に一連の流れが完了しませんでした",
                                                          "no complete flow in time"));
  return pending();
}

// The portal ended the authorization with an error: the app must stop there.
judgement portal_error(const judge_input& in, const char* key, const reader& r) {
  auto expected = r.code(key);
  const journal_entry* error = nullptr;
  int authorizes_after = 0;
  for (const auto& e : in.entries) {
    if (!error) {
      if (e.listener == "app" && e.error_code == expected) error = &e;
      continue;
    }
    if (is_token(e) || is_request(e))
      return final_verdict(test_verdict::fail,
                           {std::string(is_token(e) ? "トークン交換" : "IF001-04 の要求") + "が、ポータルの " +
                                expected + " の後に行われました: エラーのリダイレクトで流れを終えてください",
                            std::string(is_token(e) ? "a token exchange" : "an IF001-04 request") +
                                " after the portal answered " + expected + ": the error redirect must end the flow"},
                           {*error, e});
    if (is_authorize(e) && ++authorizes_after >= 3)
      return final_verdict(test_verdict::fail,
                           {expected + " の後に認可要求を何度も送っています（ループ）",
                            "authorize sent again and again after " + expected + " (a loop)"},
                           {*error, e});
  }
  if (error)
    return settling(test_verdict::pass,
                    {"ポータルの " + expected + " で流れが終わり、その後は何もありません",
                     "the flow ended at the portal's " + expected + "; nothing followed"},
                    {*error});
  if (in.timed_out)
    return final_verdict(test_verdict::fail,
                         seen_summary(in.entries, "ポータルが " + expected + " と応答するところまで進みませんでした",
                                      "the portal never answered " + expected));
  return pending();
}

judgement state_forged(const judge_input& in) {
  if (in.forged_failed)
    return final_verdict(test_verdict::fail, {"偽のコールバックを届けられませんでした: " + in.forged_answer,
                                              "the forged callback could not be delivered: " + in.forged_answer});
  for (const auto& e : in.entries)
    if (is_token(e) && !in.forged_code.empty() && e.request_body.find("code=" + in.forged_code) != std::string::npos)
      return final_verdict(
          test_verdict::fail,
          {"発行していない state "
           "とともに届いた認可コードを、アプリがトークンに交換しました（CSRF）。コールバックへの応答: " +
               in.forged_answer,
           "the app exchanged a code that arrived with a state it never issued (CSRF); the callback was answered " +
               in.forged_answer},
          {e});
  if (in.forged_answer.empty()) return pending();
  return settling(test_verdict::pass,
                  {"偽のコールバック（応答: " + in.forged_answer + "）の後、トークン交換はありません",
                   "the forged callback (answered " + in.forged_answer + ") led to no token exchange"});
}

judgement year_end(const judge_input& in, const reader& r) {
  const journal_entry* outage = nullptr;
  std::optional<instant> reopens;
  for (const auto& e : in.entries) {
    if (outage && is_request(e) && (!reopens || e.at < *reopens)) {
      auto at = reopens ? format_instant(*reopens) : std::string();
      return final_verdict(
          test_verdict::fail,
          {"停止中に IF001-04 を再送信しました" + (reopens ? "（再開は " + at + "）" : std::string()),
           "IF001-04 sent again during the stop" + (reopens ? " (it reopens at " + at + ")" : std::string())},
          {*outage, e});
    }
    if (!outage && (is_request(e) || is_result(e)) && r.is_outage(e.error_code)) {
      outage = &e;
      reopens = parse_instant(json_string(e.response_body, "reopens_at"));
    }
  }
  if (outage)
    return settling(test_verdict::pass,
                    {outage->error_code + " と応答され、再開前の再要求はありません",
                     "answered " + outage->error_code + "; no retry before the reopening"},
                    {*outage});
  if (in.timed_out)
    return final_verdict(test_verdict::fail, seen_summary(in.entries, "停止中の応答を受けた IF001-04 がありません",
                                                          "no IF001-04 was answered with the stop"));
  return pending();
}

judgement partial(const judge_input& in, const reader& r) {
  if (!in.arranged->not_applicable.empty())
    return final_verdict(test_verdict::not_applicable, {in.arranged->not_applicable_ja, in.arranged->not_applicable});
  const journal_entry* partial = nullptr;
  for (const auto& e : in.entries) {
    if (partial && is_request(e))
      return final_verdict(test_verdict::fail,
                           {"一部の結果（MPE5001）の後に IF001-04 を再送信しました: 一部の結果を失敗として扱っています",
                            "IF001-04 sent again after a partial result (MPE5001): it was treated as a failure"},
                           {*partial, e});
    if (!partial && r.fetched(e) && e.error_code == r.code("partial_result")) partial = &e;
  }
  if (partial)
    return settling(test_verdict::pass,
                    {"一部の結果を取得し、再要求していません", "the partial result was fetched and not asked again"},
                    {*partial});
  const auto& holder = in.arranged->failing_holder;
  if (in.timed_out)
    return final_verdict(
        test_verdict::fail,
        seen_summary(in.entries,
                     "一部の結果を取得していません（" + holder + " と他の情報保有機関の項目を要求してください）",
                     "no partial result was fetched (request items of " + holder + " and of another holder)"));
  return pending();
}

bilingual late_fetch(const std::string& after, const std::string& within) {
  return {"結果の取得は要求の " + after + " ms 後で、" + within + " ms より遅れました",
          "the result was fetched " + after + " ms after the request, later than " + within + " ms"};
}

judgement notification_lost(const judge_input& in, const reader& r) {
  std::map<std::string, long> started_at;
  for (std::size_t i = 0; i < in.entries.size(); ++i) {
    const auto& e = in.entries[i];
    if (auto p = reader::started(e); !p.empty()) started_at.emplace(p, in.seen_ms[i]);
    auto it = started_at.find(e.process_id);
    if (r.fetched(e) && it != started_at.end()) {
      auto after = std::to_string(in.seen_ms[i] - it->second);
      auto within = std::to_string(in.settings->fallback_within.count());
      if (in.seen_ms[i] - it->second > in.settings->fallback_within.count())
        return final_verdict(test_verdict::fail, late_fetch(after, within), {e});
      return final_verdict(test_verdict::pass,
                           {"通知なしで、要求の " + after + " ms 後に結果を取得しました",
                            "without a notification, the result was fetched " + after + " ms after the request"},
                           {e});
    }
  }
  if (in.timed_out)
    return final_verdict(test_verdict::fail, started_at.empty()
                                                 ? seen_summary(in.entries, "IF001-04 がありません", "no IF001-04")
                                                 : bilingual{"通知が届かないまま、結果を取得しませんでした",
                                                             "the result was never fetched without its notification"});
  return pending();
}

judgement notification_duplicated(const judge_input& in, const reader& r) {
  std::string process;
  std::vector<journal_entry> fetches;
  int notifications = 0;
  for (const auto& e : in.entries) {
    if (process.empty()) process = reader::started(e);
    if (process.empty() || e.process_id != process) continue;
    if (is_notification(e) && acknowledged(e)) ++notifications;
    if (r.fetched(e)) fetches.push_back(e);
  }
  if (fetches.size() > 1) {
    auto n = std::to_string(fetches.size());
    return final_verdict(
        test_verdict::fail,
        {"処理番号 " + process + " の結果を " + n + " 回取得しました（通知が二度届いても、取得は処理ごとに一度です）",
         n + " result fetches for process " + process + " (the notification came twice; fetch once per process)"},
        fetches);
  }
  if (notifications >= 2 && fetches.size() == 1)
    return settling(test_verdict::pass, {"通知 2 回、結果の取得 1 回", "two notifications, one result fetch"}, fetches);
  if (in.timed_out)
    return final_verdict(test_verdict::fail, seen_summary(in.entries, "通知 2 回と結果の取得まで進みませんでした",
                                                          "the flow did not reach two notifications and a fetch"));
  return pending();
}

bilingual slow_acknowledgement(const std::string& ms, const std::string& limit) {
  return {"応答に " + ms + " ms かかりました（遅い: slow_notification " + limit + " ms を超過）",
          "acknowledged in " + ms + " ms (slow: over slow_notification, " + limit + " ms)"};
}

judgement notification_ack(const judge_input& in) {
  for (const auto& e : in.entries) {
    if (!is_notification(e)) continue;
    if (!acknowledged(e)) {
      auto status = std::to_string(e.status);
      return final_verdict(
          test_verdict::fail,
          e.status == 0 ? bilingual{"結果通知に HTTP の応答がありませんでした", "the notification got no HTTP answer"}
                        : bilingual{"結果通知への応答が HTTP " + status + " でした",
                                    "the notification was answered HTTP " + status},
          {e});
    }
    if (e.response_body.find("IFA0302-S01") == std::string::npos)
      return final_verdict(test_verdict::fail,
                           {"結果通知への応答に IFA0302-S01 の電文がありません",
                            "the notification was answered without an IFA0302-S01 telegram"},
                           {e});
    auto slow = in.settings->slow_notification.count();
    if (e.latency_ms > static_cast<double>(slow)) {
      auto ms = std::to_string(static_cast<long>(e.latency_ms)), limit = std::to_string(slow);
      return final_verdict(test_verdict::warning, slow_acknowledgement(ms, limit), {e});
    }
    return final_verdict(test_verdict::pass, {"IFA0302-S01 で応答しました", "acknowledged with IFA0302-S01"}, {e});
  }
  if (in.timed_out)
    return final_verdict(test_verdict::fail,
                         seen_summary(in.entries, "結果通知が送られていません", "no notification was sent"));
  return pending();
}

judgement token_expired(const judge_input& in, const reader& r) {
  const journal_entry* refused = nullptr;
  for (const auto& e : in.entries) {
    if (!refused) {
      if (is_request(e) && e.error_code == r.code("invalid_token")) refused = &e;
      continue;
    }
    if (is_token(e))
      return final_verdict(test_verdict::fail,
                           {"MPE3001 の後、新たな認可なしに認可コードを交換しました",
                            "after MPE3001 the app exchanged a code without a new authorization"},
                           {*refused, e});
    if (is_request(e))
      return final_verdict(
          test_verdict::fail,
          {"拒否されたアクセストークンで IF001-04 を再送信しました", "IF001-04 retried with the refused token"},
          {*refused, e});
    if (is_authorize(e))
      return final_verdict(test_verdict::pass,
                           {"MPE3001 の後、新たな認可が行われました", "a new authorization followed MPE3001"},
                           {*refused, e});
  }
  if (in.timed_out)
    return final_verdict(test_verdict::fail,
                         refused
                             ? bilingual{"MPE3001 の後、新たな認可がありません", "no new authorization after MPE3001"}
                             : seen_summary(in.entries, "MPE3001 で拒否された IF001-04 がありません",
                                            "no IF001-04 was refused with MPE3001"));
  return pending();
}

judgement result_expired(const judge_input& in, const reader& r) {
  const journal_entry* expired = nullptr;
  for (const auto& e : in.entries) {
    if (expired && is_result(e) && e.process_id == expired->process_id)
      return final_verdict(test_verdict::fail,
                           {"保存期間切れ（MPE3009）の結果を再び IF001-06 で要求しました",
                            "IF001-06 asked again for an expired result (MPE3009)"},
                           {*expired, e});
    if (!expired && is_result(e) && e.error_code == r.code("result_expired")) expired = &e;
  }
  if (expired)
    return settling(test_verdict::pass,
                    {"MPE3009 でその結果の待機を終えました", "MPE3009 ended the wait for that result"}, {*expired});
  if (in.timed_out)
    return final_verdict(test_verdict::fail, seen_summary(in.entries, "MPE3009 と応答された IF001-06 がありません",
                                                          "no IF001-06 was answered MPE3009"));
  return pending();
}

}  // namespace

const char* to_string(test_verdict v) {
  switch (v) {
    case test_verdict::pending:
      return "pending";
    case test_verdict::pass:
      return "pass";
    case test_verdict::warning:
      return "warning";
    case test_verdict::fail:
      return "fail";
    case test_verdict::not_applicable:
      return "not_applicable";
  }
  return "?";
}

namespace {

// Every test, in the order a plan runs them: id, titles, what it arranges and what passes (each
// in Japanese, then English), the instruction, the remedy in Japanese and in English, the e2e
// driver's action.
const conformance_test test_table[] = {
    {"happy-path", "正常系（照会方法ごと）", "the complete flow, once per query method the service registered",
     "結果の作成に2秒かかる（情報提供NWSに遅延を入れる。実際のポータルでも数秒から数分かかる）",
     "results take 2 s (a latency on the 情報提供NWS, as the real portal takes seconds to minutes)",
     "authorize → トークン → テストの照会方法で IF001-04 → IF001-05 の通知を待つ → IF001-06。"
     "IF001-04 のエラー、テストと異なる照会方法、過剰なポーリング（通知より前に MPE3008 の応答を "
     "polling_storm 回（既定 10 回）以上受けること。それより少なければ可）で不合格。"
     "通知より前に IF001-06 を呼ぶと警告",
     "authorize → token → IF001-04 with the test's query method → wait for IF001-05 → IF001-06; fails on an "
     "IF001-04 error, another query method, or a polling storm (polling_storm — default 10 — or more MPE3008 "
     "answers before the notification; one fewer is tolerated); a warning when IF001-06 was polled before the "
     "notification",
     "表示された照会方法を選び、同意・本人確認・サービス連携まで進めてください。",
     "IF001-05 の通知を待って一度だけ取得してください。ポーリングは回数を限った予備の手段に留めてください",
     "wait for IF001-05 and fetch once; poll only as a bounded fallback", "consent"},
    {"consent-refused", "同意しない", "the person refuses consent", "準備なし。本人が「連携をやめる」を押す",
     "nothing; the person presses 連携をやめる",
     "エラーを返すリダイレクト（MPE1101）でフローを終えること。トークン交換、IF001-04、authorize "
     "の繰り返しのいずれも行わないこと",
     "the error redirect (MPE1101) ends the flow: no token exchange, no IF001-04, no authorize loop",
     "同意画面で「連携をやめる」を押してください。",
     "コールバックの error= を確認して理由を表示し、自動で再試行しないでください",
     "check error= on the callback and show the reason; do not retry by yourself", "refuse"},
    {"card-locked", "暗証番号ロック", "the card is locked",
     "このサービスの認可はすべてカードの段階で MPE1103 になる（カードのデータは変更しない）",
     "every authorization of the service ends at the card step with MPE1103 (no card is changed)",
     "エラーを返すリダイレクトでフローを終えること。トークン交換、IF001-04、authorize "
     "の繰り返しのいずれも行わないこと",
     "the error redirect ends the flow: no token exchange, no IF001-04, no authorize loop",
     "同意し、カードを選んで暗証番号を入力し、「サービスに戻る」を押してください。",
     "暗証番号がロックされていることと、解除できる場所（市区町村窓口）を案内してください",
     "show that the PIN is locked and where to unlock it (市区町村窓口)", "consent"},
    {"certificate-expired", "電子証明書の期限切れ", "the card's certificate has expired",
     "このサービスの認可はすべてカードの段階で MPE1104 になる",
     "every authorization of the service ends at the card step with MPE1104",
     "エラーを返すリダイレクトでフローを終えること。トークン交換、IF001-04、authorize "
     "の繰り返しのいずれも行わないこと",
     "the error redirect ends the flow: no token exchange, no IF001-04, no authorize loop",
     "同意し、カードを選んで暗証番号を入力し、「サービスに戻る」を押してください。",
     "電子証明書の更新を案内してください", "tell the person to renew the certificate", "consent"},
    {"certificate-revoked", "電子証明書の失効", "the card's certificate is revoked",
     "このサービスの認可はすべてカードの段階で MPE1105 になる",
     "every authorization of the service ends at the card step with MPE1105",
     "エラーを返すリダイレクトでフローを終えること。トークン交換、IF001-04、authorize "
     "の繰り返しのいずれも行わないこと",
     "the error redirect ends the flow: no token exchange, no IF001-04, no authorize loop",
     "同意し、カードを選んで暗証番号を入力し、「サービスに戻る」を押してください。",
     "電子証明書が失効していることを案内してください", "tell the person the certificate is revoked", "consent"},
    {"state-forged", "state の検証（CSRF）", "a callback with a state the app never issued",
     "mynasim がペルソナとしてこのサービスを認可し、そのコードに自分で作った state を付けてアプリのリダイレクト URI "
     "に送る（攻撃者が仕込むリンクと同様に）",
     "mynasim authorizes the service for a persona itself and sends that code to the app's redirect URI with "
     "a state of its own, as an attacker's link would",
     "アプリがそのコールバックを拒むこと（そのコードがトークンに交換されないこと）",
     "the app refuses the callback: that code is never exchanged",
     "操作は不要です（mynasim がコールバックを送ります）。",
     "state を利用者のセッションに保存し、トークン交換の前に照合してください",
     "keep the state in the user's session and compare it before the token exchange", "none"},
    {"juki-year-end", "住基ネット年末年始停止中の要求", "a request during 住基ネット's year-end stop",
     "仮想時計を住基ネットの年末年始の計画停止期間中の時刻へ移す（ワールドで共有：テストの間はすべての呼び出し元に"
     "停止中と応答する。終了後に元に戻す）",
     "the virtual clock moves into the year-end planned outage (shared: every caller sees it while the test "
     "runs; put back afterwards)",
     "停止の応答（MPE4001〜MPE4004）の後、reopens_at まで IF001-04 を送らないこと",
     "after the outage answer (MPE4001–MPE4004) no IF001-04 before reopens_at",
     "同意・本人確認・サービス連携まで進めてください（停止中の案内が出れば正しい動きです）。",
     "reopens_at やメッセージを読んで再開の時刻を案内し、それより前に再試行しないでください",
     "read reopens_at / the message, tell the person when to come back, do not retry before it", "consent"},
    {"partial-result", "一部の情報保有機関が応答しない", "one holder fails, the others answer",
     "このサービスの情報を持つ中間サーバの一つが、このサービスにだけ 503 を返す",
     "one 中間サーバ holding the service's items answers 503 for this service",
     "一部の結果（MPE5001）を取得して表示すること。その後に新しい IF001-04 を送らないこと",
     "the partial result (MPE5001) is fetched and shown; no new IF001-04 after it",
     "同意・本人確認・サービス連携まで進めてください（一部の情報のみ表示されれば正しい動きです）。",
     "届いた情報を表示し、応答しなかった情報保有機関を providerStatus から示してください",
     "show what arrived and name the holders in providerStatus that did not answer", "consent"},
    {"notification-lost", "結果通知が届かない", "the IF001-05 notification is lost",
     "このサービスへの次の通知を送らない", "the next notification to the service is not sent",
     "要求から fallback_within 以内に、アプリが自分で結果を取得すること",
     "the app still fetches the result, within fallback_within of the request",
     "同意・本人確認・サービス連携まで進めてください。",
     "通知を待った後は、間隔を空けつつ回数を限って IF001-06 で取得してください",
     "after waiting for the notification, fall back to IF001-06 with a bounded back-off", "consent"},
    {"notification-duplicated", "結果通知の重複", "the IF001-05 notification arrives twice",
     "このサービスへの次の通知を2回送る", "the next notification to the service is sent twice",
     "一つの処理（processId）につき結果の取得は1回", "one result fetch per process",
     "同意・本人確認・サービス連携まで進めてください。",
     "取得済みの processId を記録し、重複した通知は無視してください",
     "remember which processIds were fetched; ignore a repeated notification", "consent"},
    {"notification-ack", "結果通知への応答", "the notification endpoint acknowledges", "準備なし", "nothing",
     "IF001-05 に 2xx と IFA0302-S01 の電文で応答すること（slow_notification より遅いと警告）",
     "IF001-05 answered 2xx with an IFA0302-S01 telegram (a warning when slower than slow_notification)",
     "同意・本人確認・サービス連携まで進めてください。",
     "{\"commonHeader\": {…, \"telegramType\": \"IFA0302-S01\"}} ですぐに応答し、その後で取得してください",
     "answer {\"commonHeader\": {…, \"telegramType\": \"IFA0302-S01\"}} at once, then fetch", "consent"},
    {"token-expired", "アクセストークンの期限切れ", "the access token has expired",
     "このサービスの次の IF001-04 に 401 MPE3001 を返す", "the service's next IF001-04 is answered 401 MPE3001",
     "新たな認可に進むこと。同じトークンでの再試行も、認可を経ないコード交換も行わないこと",
     "a new authorization follows; no retry with the same token, no code exchange without authorizing",
     "同意・本人確認・サービス連携まで進めてください（再度の同意画面が出れば正しい動きです）。",
     "MPE3001 を受けたら、改めて認可（authorize）から進めてもらってください",
     "on MPE3001 send the person through authorize again", "consent"},
    {"result-expired", "結果の保存期間切れ", "the result has expired",
     "このサービスの次の IF001-06 に 410 MPE3009 を返す", "the service's next IF001-06 is answered 410 MPE3009",
     "その処理の IF001-06 を再度呼ばないこと（新しい IF001-04 は構わない）",
     "IF001-06 is not asked again for that process (a new IF001-04 is fine)",
     "同意・本人確認・サービス連携まで進めてください。",
     "通知の後すぐに取得してください。MPE3009 の場合は再要求を案内してください",
     "fetch promptly after the notification; on MPE3009 offer to request again", "consent"},
};

}  // namespace

const std::vector<conformance_test>& conformance_tests() {
  static const std::vector<conformance_test> tests(std::begin(test_table), std::end(test_table));
  return tests;
}

const conformance_test* find_conformance_test(std::string_view id) {
  for (const auto& t : conformance_tests())
    if (id == t.id) return &t;
  return nullptr;
}

std::string conformance_tests_markdown() {
  std::string out =
      "| test | テスト | 準備 | what it arranges | 合格条件 | what passes | 対処 | remedy |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const auto& t : conformance_tests())
    out += std::string("| `") + t.id + "` | " + t.title_ja + " | " + t.arranges_ja + " | " + t.arranges + " | " +
           t.expects_ja + " | " + t.expects + " | " + t.remedy_ja + " | " + t.remedy_en + " |\n";
  return out;
}

std::string planned_test::name() const {
  return query_method.empty() ? std::string(test->id) : std::string(test->id) + "[" + query_method + "]";
}

namespace {

// The test names a plan stands for: every test, the basic three, or the ones it lists.
std::vector<std::string> names_in_plan(const std::string& spec) {
  std::vector<std::string> names;
  if (spec.empty() || spec == "all") {
    for (const auto& t : conformance_tests()) names.push_back(t.id);
  } else if (spec == "basic") {
    names = {"happy-path", "consent-refused", "notification-ack"};
  } else {
    std::stringstream in(spec);
    for (std::string name; std::getline(in, name, ',');)
      if (!name.empty()) names.push_back(name);
  }
  return names;
}

// happy-path once per query method the service registered (all three when it registered none),
// or only for `wanted`; false and `error` when the service did not register that one.
bool plan_happy_path(const conformance_test* t, const std::optional<std::string>& wanted, const service_config& service,
                     std::vector<planned_test>& plan, std::string& error) {
  auto methods = service.query_methods;
  if (methods.empty()) methods = {query_method::date, query_method::range, query_method::latest};
  if (!wanted) {
    for (auto m : methods) plan.push_back({t, to_string(m)});
    return true;
  }
  bool allowed = std::any_of(methods.begin(), methods.end(), [&](auto m) { return *wanted == to_string(m); });
  if (!allowed) {
    error = "happy-path:" + *wanted + ": " + service.client_id + " did not register that query method";
    return false;
  }
  plan.push_back({t, *wanted});
  return true;
}

// The tests one name of a plan stands for ("consent-refused", "happy-path", "happy-path:date");
// false and `error` for an unknown test or a query method where none is taken.
bool plan_test(const std::string& name, const service_config& service, std::vector<planned_test>& plan,
               std::string& error) {
  auto colon = name.find(':');
  const auto* t = find_conformance_test(name.substr(0, colon));
  if (!t) {
    error = "unknown test '" + name + "' (tests: `mynasim conformance tests`; plans: all, basic)";
    return false;
  }
  std::optional<std::string> method;
  if (colon != std::string::npos) method = name.substr(colon + 1);
  if (std::string_view(t->id) == "happy-path") return plan_happy_path(t, method, service, plan, error);
  if (method) {
    error = "only happy-path takes a query method (" + name + ")";
    return false;
  }
  plan.push_back({t, ""});
  return true;
}

}  // namespace

std::optional<std::vector<planned_test>> expand_plan(const std::string& spec, const service_config& service,
                                                     std::string& error) {
  if (spec.size() > 4096) {
    error = "a plan is at most 4096 characters";
    return std::nullopt;
  }
  auto names = names_in_plan(spec);
  if (names.empty() || names.size() > 100) {
    error = "a plan names 1 to 100 tests";
    return std::nullopt;
  }
  std::vector<planned_test> plan;
  for (const auto& name : names)
    if (!plan_test(name, service, plan, error)) return std::nullopt;
  return plan;
}

namespace {

// The 中間サーバ holding the service's items, in the order of its items.
std::vector<std::string> holders_of(const service_config& service, const world_data& data) {
  std::vector<std::string> holders;
  for (const auto& item : service.items)
    if (const auto* def = data.find_item(item))
      for (const auto& h : def->holders)
        if (std::find(holders.begin(), holders.end(), h) == holders.end()) holders.push_back(h);
  return holders;
}

// The 中間サーバ holding records of `who` for the service's items.
std::set<std::string> holders_of(const persona& who, const service_config& service, const world_data& data) {
  std::set<std::string> holders;
  for (const auto& d : who.data) {
    if (std::find(service.items.begin(), service.items.end(), d.item) == service.items.end()) continue;
    const auto* def = data.find_item(d.item);
    if (!d.holder.empty())
      holders.insert(d.holder);
    else if (def && !def->holders.empty())
      holders.insert(def->holders.front());
  }
  return holders;
}

// partial-result: the holder made to fail must leave the persona data from another holder, or the
// "partial" result is empty. First choice: one that holds some of the persona's data too (so
// something is really missing); else one that holds none of it. Without a persona, the first.
void arrange_partial(arrangement& a, const service_config& service, const world_data& data, const persona* who) {
  auto holders = holders_of(service, data);
  if (holders.size() < 2) {
    a.not_applicable = "every item of " + service.client_id + " is held by one 中間サーバ only";
    a.not_applicable_ja = service.client_id + " の項目はすべて一つの中間サーバだけが保有しています";
    return;
  }
  if (!who) {
    a.failing_holder = holders.front();
    return;
  }
  auto with_data = holders_of(*who, service, data);
  if (with_data.empty()) {
    a.not_applicable = "persona " + who->id + " has no records of " + service.client_id + "'s items";
    a.not_applicable_ja = "ペルソナ " + who->id + " には " + service.client_id + " の項目の記録がありません";
    return;
  }
  for (bool holding : {true, false})
    for (const auto& h : holders) {
      bool holds = with_data.count(h) > 0;
      if (holds == holding && with_data.size() > (holds ? 1u : 0u)) {
        a.failing_holder = h;
        return;
      }
    }
}

}  // namespace

arrangement arrange(const planned_test& t, const service_config& service, const world_data& data,
                    const std::string& network, const persona* who) {
  arrangement a;
  std::string id = t.test->id;
  auto fault = [&](nlohmann::json spec) {
    spec["client_id"] = service.client_id;
    a.faults.push_back(std::move(spec));
  };
  auto code = [&](const char* key) { return data.errors.at(key).code; };
  if (id == "happy-path") fault({{"kind", "latency"}, {"target", network}, {"latency_ms", 2000}});
  if (id == "card-locked") a.portal_outcome = "lock_card";
  if (id == "certificate-expired") a.portal_outcome = "expired_certificate";
  if (id == "certificate-revoked") a.portal_outcome = "revoked_certificate";
  if (id == "state-forged") a.forge_callback = true;
  if (id == "juki-year-end") a.year_end = true;
  if (id == "notification-lost") fault({{"kind", "notification_drop"}, {"target", "sp"}, {"count", 1}});
  if (id == "notification-duplicated") fault({{"kind", "notification_duplicate"}, {"target", "sp"}, {"count", 1}});
  if (id == "token-expired")
    fault({{"kind", "http_error"},
           {"target", "sp"},
           {"endpoint", paths::request},
           {"count", 1},
           {"status", 401},
           {"error_code", code("invalid_token")},
           {"message", "アクセストークンの有効期限が切れています。"}});
  if (id == "result-expired")
    fault({{"kind", "http_error"},
           {"target", "sp"},
           {"endpoint", paths::result},
           {"count", 1},
           {"status", 410},
           {"error_code", code("result_expired")},
           {"message", data.errors.at("result_expired").message}});
  if (id == "partial-result") {
    arrange_partial(a, service, data, who);
    if (!a.failing_holder.empty())
      fault({{"kind", "http_error"},
             {"target", a.failing_holder},
             {"status", 503},
             {"message", "適合性テスト partial-result のための障害です（この機関だけが応答しません）"}});
  }
  return a;
}

judgement judge(const judge_input& in) {
  reader r(in);
  std::string id = in.test->test->id;
  if (id == "happy-path") return happy_path(in, r);
  if (id == "consent-refused") return portal_error(in, "consent_refused", r);
  if (id == "card-locked") return portal_error(in, "card_locked", r);
  if (id == "certificate-expired") return portal_error(in, "certificate_expired", r);
  if (id == "certificate-revoked") return portal_error(in, "certificate_revoked", r);
  if (id == "state-forged") return state_forged(in);
  if (id == "juki-year-end") return year_end(in, r);
  if (id == "partial-result") return partial(in, r);
  if (id == "notification-lost") return notification_lost(in, r);
  if (id == "notification-duplicated") return notification_duplicated(in, r);
  if (id == "notification-ack") return notification_ack(in);
  if (id == "token-expired") return token_expired(in, r);
  if (id == "result-expired") return result_expired(in, r);
  return final_verdict(test_verdict::fail, {id + " の判定がありません", "no judge for " + id});
}

}  // namespace mynasim
