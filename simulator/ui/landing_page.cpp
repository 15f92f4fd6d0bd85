// SPDX-License-Identifier: Apache-2.0
#include "ui/landing_page.hpp"

#include <algorithm>

#include "core/http.hpp"
#include "portal/pages.hpp"
#include "portal/web_routes.hpp"

namespace mynasim {
namespace {

std::string authorize_url_to(const service_config& s, const std::string& redirect, const std::string& extra) {
  return std::string(paths::authorize) + "?response_type=code&client_id=" + percent_encode(s.client_id) +
         "&redirect_uri=" + percent_encode(redirect) + "&state=mynasim-landing" + extra;
}

std::string authorize_url(const service_config& s, const std::string& extra) {
  return authorize_url_to(s, s.redirect_uris.empty() ? "" : s.redirect_uris.front(), extra);
}

// A registered redirect URI that is mynasim's own callback page, if the service has one.
std::string sample_redirect(const service_config& s) {
  for (const auto& u : s.redirect_uris)
    if (u.size() > std::string_view(sample_callback_path).size() && u.ends_with(sample_callback_path)) return u;
  return "";
}

std::string persona_row(const world_data& data, const service_config& s, const persona& p, const landing_facts& f) {
  int tries = p.card.pin_tries_left;
  if (f.tries_left)
    if (auto t = f.tries_left(p.card.serial)) tries = *t;
  auto traits = persona_traits(p, tries);
  std::string browser = authorize_url(s, "");
  auto sample = sample_redirect(s);
  std::string direct =
      f.app_origin + authorize_url(s, "&mynasim_persona=" + percent_encode(p.id) + "&mynasim_outcome=consent");
  std::string row =
      "<tr data-testid=\"persona-row\" data-persona=\"" + html_escape(p.id) + "\"><td><strong>" + html_escape(p.name) +
      "</strong><br><small>" + html_escape(p.note) + "</small></td><td>" +
      (traits.empty() ? "<span class=\"tag ok\">有効</span>"
                      : "<span class=\"tag warn\" data-testid=\"persona-traits\">" + html_escape(traits) + "</span>") +
      "</td><td><small class=\"label-m\">カード </small><code data-testid=\"card-serial\">" +
      html_escape(p.card.serial) +
      "</code></td><td><small class=\"label-m\">暗証番号 </small><code data-testid=\"card-pin\">" +
      html_escape(p.card.pin) + "</code></td><td><a class=\"button primary\" data-testid=\"authorize-link\" href=\"" +
      html_escape(browser) + "\">画面で連携</a>" +
      (sample.empty() || sample == s.redirect_uris.front()
           ? ""
           : " <a class=\"button secondary\" data-testid=\"authorize-without-app\" href=\"" +
                 html_escape(authorize_url_to(s, sample, "")) +
                 "\" title=\"mynasim の受け取りページに戻ります\">アプリなしで試す</a>") +
      "</td></tr>";
  if (data.portal.allow_test_overrides)
    row +=
        "<tr class=\"direct\"><td colspan=\"5\"><small>画面なし（テスト用）:</small> <code class=\"url\" "
        "data-testid=\"direct-url\">" +
        html_escape(direct) + "</code></td></tr>";
  return row;
}

std::string service_section(const world_data& data, const service_config& s, const landing_facts& f, bool open) {
  std::string items;
  for (const auto& code : s.items)
    if (const auto* item = data.find_item(code)) items += (items.empty() ? "" : "、") + html_escape(item->name);
  std::string out = std::string("<details class=\"service\" data-testid=\"service\" data-client-id=\"") +
                    html_escape(s.client_id) + "\"" + (open ? " open" : "") + "><summary><strong>" +
                    html_escape(s.name) + "</strong> <code>" + html_escape(s.client_id) + "</code></summary><p>" +
                    html_escape(s.provider_name) + " — " + html_escape(s.purpose) +
                    "<br><small>取得する情報: " + items + "</small><br><small>redirect_uri: <code>" +
                    html_escape(s.redirect_uris.empty() ? "(なし)" : s.redirect_uris.front()) +
                    "</code></small></p><div class=\"scroll\"><table><thead><tr><th>ペルソナ</th><th>状態</th>"
                    "<th>カード</th><th>暗証番号</th><th></th></tr></thead><tbody>";
  std::size_t n = 0;
  for (const auto& p : data.personas) {
    if (n++ == f.max_personas) break;
    out += persona_row(data, s, p, f);
  }
  out += "</tbody></table></div>";
  if (data.personas.size() > f.max_personas)
    out += "<p><small>ほか " + std::to_string(data.personas.size() - f.max_personas) +
           " 人（一覧: /__admin/personas）</small></p>";
  return out + "</details>";
}

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
         title +
         "</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" "
         "href=\"/online-authorization-web/assets/portal.css\">"
         "</head><body class=\"landing\"><header class=\"portal\"><p class=\"brand\">mynasim <small>"
         "マイナポータル自己情報取得API シミュレータ</small></p></header><main>" +
         body + "</main></body></html>\n";
}

}  // namespace

std::string sample_callback_page(const world_data& data, const callback_facts& f) {
  std::string code, state, error, error_code, description;
  for (const auto& [k, v] : f.query) {
    if (k == "code")
      code = v;
    else if (k == "state")
      state = v;
    else if (k == "error")
      error = v;
    else if (k == "error_code")
      error_code = v;
    else if (k == "error_description")
      description = v;
  }
  std::string rows;
  for (const auto& [k, v] : f.query)
    rows += "<tr><th>" + html_escape(k) + "</th><td><code data-testid=\"callback-" + html_escape(k) + "\">" +
            html_escape(v) + "</code></td></tr>";
  std::string body =
      "<h1>サービスの受け取りページ（mynasim）</h1><p>マイナポータルからサービスに戻ってきました。実際のアプリなら、"
      "ここで state を確かめ、code をトークンに交換します。</p><table>" +
      rows + "</table>";
  if (!error.empty()) {
    body += "<p class=\"error\" data-testid=\"callback-error\">エラーで戻りました: " +
            html_escape(error_code.empty() ? error : error_code) +
            (description.empty() ? "" : " — " + html_escape(description)) + "</p>";
  } else if (!code.empty()) {
    std::string client_id;
    for (const auto& s : data.services)
      if (std::find(s.redirect_uris.begin(), s.redirect_uris.end(), f.redirect_uri) != s.redirect_uris.end()) {
        client_id = s.client_id;
        break;
      }
    std::string curl = "curl -sk " + f.sp_origin + std::string(paths::token) +
                       " -d \"grant_type=authorization_code&code=" + code + "&redirect_uri=" + f.redirect_uri +
                       (client_id.empty() ? "" : "&client_id=" + client_id) + "\"";
    body +=
        "<h2>IF001-03（トークン）</h2><p>この code は一度だけ、短い時間だけ使えます。API利用者のサーバからは:</p>"
        "<pre class=\"scroll\"><code data-testid=\"callback-token-call\">" +
        html_escape(curl) + "</code></pre>";
  }
  body += "<p><a href=\"/\">mynasim のトップへ</a></p>";
  return page("受け取りページ | mynasim", body);
}

std::string persona_traits(const persona& p, int tries_left) {
  std::string out;
  auto add = [&](const char* t) { out += (out.empty() ? "" : "・") + std::string(t); };
  if (p.card.certificate == certificate_state::expired) add("証明書期限切れ");
  if (p.card.certificate == certificate_state::revoked) add("証明書失効");
  if (tries_left <= 0) add("暗証番号ロック");
  if (p.data.empty()) add("自己情報なし");
  return out;
}

std::string landing_page(const world_data& data, const landing_facts& f) {
  std::string services;
  bool first = true;
  for (const auto& s : data.services) {
    services += service_section(data, s, f, first);
    first = false;
  }
  std::string admin =
      f.admin_url.empty()
          ? "<li>コントロールルーム: このプロセスでは管理リスナーが無効です。</li>"
          : "<li><a data-testid=\"control-room-link\" href=\"" + html_escape(f.admin_url) +
                "\">コントロールルーム</a> — 仮想時計、稼働状況、障害注入、フロー、カード（管理リスナー）</li>";
  return "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>mynasim</title>"
         "<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" "
         "href=\"/online-authorization-web/assets/portal.css\"></head><body class=\"landing\">"
         "<header class=\"portal\"><p class=\"brand\">mynasim <small>マイナポータル自己情報取得API シミュレータ</small>"
         "</p></header><main><h1 data-testid=\"landing-title\">" +
         html_escape(f.world_name) +
         "</"
         "h1><p>マイナポータルの自己情報取得API（IF001-01〜06）と、その後ろの情報提供ネットワークシステム・住基ネット・"
         "中間サーバを、稼働時間・計画停止・祝日ごと手元で再現します。下のリンクから、テスト用カードで連携画面を試せま"
         "す。</p><ul>" +
         admin + "<li>API: <code>" + html_escape(std::string(paths::authorize)) +
         "</code>（このホスト）、トークン・要求・結果は sp リスナー。docs/api.md を参照。</li></ul>"
         "<h2>サービス × ペルソナ</h2>" +
         services + "</main></body></html>\n";
}

}  // namespace mynasim
