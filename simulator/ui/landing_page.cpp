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

// The service's item names, the first max_items of them.
std::string item_names(const world_data& data, const service_config& s, const landing_facts& f) {
  std::string items;
  std::size_t n = 0;
  for (const auto& code : s.items) {
    if (n == f.max_items) {
      items += " ほか " + std::to_string(s.items.size() - n) + " 件";
      break;
    }
    if (const auto* item = data.find_item(code)) items += (items.empty() ? "" : "、") + html_escape(item->name);
    ++n;
  }
  return items;
}

std::string landing_link(const std::string& filter, std::size_t page) {
  std::string q = filter.empty() ? "" : "service=" + percent_encode(filter);
  if (page > 1) q += (q.empty() ? "" : "&") + std::string("page=") + std::to_string(page);
  return q.empty() ? "/" : "/?" + q;
}

std::string service_section(const world_data& data, const service_config& s, const landing_facts& f, bool open,
                            std::size_t max_personas) {
  const auto items = item_names(data, s, f);
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
    if (n++ == max_personas) break;
    out += persona_row(data, s, p, f);
  }
  out += "</tbody></table></div>";
  if (data.personas.size() > max_personas) {
    out += "<p><small data-testid=\"personas-hidden\">ほか " + std::to_string(data.personas.size() - max_personas) +
           " 人（";
    if (max_personas < f.max_personas)
      out += "<a href=\"" + html_escape(landing_link(s.client_id, 1)) + "\">このサービスだけを表示</a>、";
    out += "一覧: /__admin/personas）</small></p>";
  }
  return out + "</details>";
}

// Which services the page shows: those matching the filter, one page of them.
struct service_page {
  std::vector<const service_config*> shown;
  std::size_t matching = 0, first = 0, pages = 1, page = 1;
};

service_page page_of_services(const world_data& data, const landing_facts& f) {
  service_page out;
  const std::size_t per_page = std::max<std::size_t>(1, f.services_per_page);
  std::vector<const service_config*> matching;
  for (const auto& s : data.services)
    if (f.filter.empty() || s.client_id.find(f.filter) != std::string::npos ||
        s.name.find(f.filter) != std::string::npos)
      matching.push_back(&s);
  out.matching = matching.size();
  out.pages = std::max<std::size_t>(1, (matching.size() + per_page - 1) / per_page);
  out.page = std::clamp<std::size_t>(f.page, 1, out.pages);
  out.first = (out.page - 1) * per_page;
  for (std::size_t i = out.first; i < matching.size() && out.shown.size() < per_page; ++i)
    out.shown.push_back(matching[i]);
  return out;
}

// How many services there are, which are shown, how many are not, and the way to the others.
std::string services_navigation(const world_data& data, const landing_facts& f, const service_page& p) {
  const std::size_t hidden = data.services.size() - p.shown.size();
  std::string out = "<form method=\"get\" action=\"/\" class=\"filter\"><p data-testid=\"services-count\">サービス " +
                    std::to_string(data.services.size()) + " 件";
  if (!f.filter.empty()) out += "、「" + html_escape(f.filter) + "」を含むもの " + std::to_string(p.matching) + " 件";
  if (!p.shown.empty())
    out += "のうち " + std::to_string(p.first + 1) + "〜" + std::to_string(p.first + p.shown.size()) + " 件目";
  out += "を表示";
  if (hidden > 0)
    out += "（<span data-testid=\"services-hidden\">" + std::to_string(hidden) + "</span> 件は表示していません）";
  out += "</p><p>";
  if (p.page > 1)
    out += "<a data-testid=\"services-previous\" href=\"" + html_escape(landing_link(f.filter, p.page - 1)) +
           "\">前の " + std::to_string(f.services_per_page) + " 件</a> ";
  if (p.page < p.pages)
    out += "<a data-testid=\"services-next\" href=\"" + html_escape(landing_link(f.filter, p.page + 1)) + "\">次の " +
           std::to_string(f.services_per_page) + " 件</a> ";
  out += "<input name=\"service\" data-testid=\"services-filter\" maxlength=\"" + std::to_string(max_filter_bytes) +
         "\" placeholder=\"client_id・サービス名で絞り込む\" value=\"" + html_escape(f.filter) +
         "\"> <button class=\"button secondary\" type=\"submit\">絞り込む</button></p></form>";
  return out;
}

// `text` cut to at most `max_bytes` bytes without splitting a UTF-8 character.
std::string_view bounded_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
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

void read_landing_query(std::string_view query, landing_facts& facts) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (query.size() > 32 * max_filter_bytes || !parse_form(query, pairs)) return;  // a long one: page 1
  for (const auto& [k, v] : pairs) {
    if (k == "service" && facts.filter.empty()) facts.filter = std::string(bounded_text(v, max_filter_bytes));
    if (k == "page" && !v.empty() && v.size() <= 6 &&
        std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      facts.page = std::max<std::size_t>(1, std::stoul(v));
  }
}

std::string landing_page(const world_data& data, const landing_facts& f) {
  const auto p = page_of_services(data, f);
  // Persona rows share one budget: a page of many services lists fewer personas for each.
  const std::size_t per_service =
      p.shown.empty() ? f.max_personas : std::clamp<std::size_t>(f.max_rows / p.shown.size(), 1, f.max_personas);
  std::string services = services_navigation(data, f, p);
  bool first = true;
  for (const auto* s : p.shown) {
    services += service_section(data, *s, f, first, per_service);
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
