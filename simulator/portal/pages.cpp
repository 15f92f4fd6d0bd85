// SPDX-License-Identifier: Apache-2.0
#include "portal/pages.hpp"

namespace mynasim {
namespace {

constexpr const char* base_path = "/online-authorization-web";

// The portal's frame: header (phrases kept whole so a narrow screen breaks only between
// them), the step indicator, and the shared style sheet (no inline styles: the CSP forbids them).
std::string layout(const std::string& title, int step, const std::string& body) {
  static const char* steps[] = {"連携内容", "本人確認", "サービス連携"};
  std::string indicator;
  if (step > 0) {
    indicator = "<ol class=\"steps\" data-testid=\"steps\">";
    for (int i = 1; i <= 3; ++i)
      indicator += std::string("<li class=\"") +
                   (i < step    ? "done"
                    : i == step ? "current"
                                : "todo") +
                   "\"" + (i == step ? " aria-current=\"step\"" : "") + "><span class=\"n\">" + std::to_string(i) +
                   "</span>" + steps[i - 1] + "</li>";
    indicator += "</ol>";
  }
  return "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         title +
         " | マイナポータル（mynasim）</title>"
         "<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"" +
         std::string(base_path) +
         "/assets/portal.css\"></head><body>"
         "<header class=\"portal\"><p class=\"brand\"><span class=\"phrase\">マイナポータル</span> "
         "<span class=\"phrase\">外部サービスとの連携</span> <small class=\"phrase\">(mynasim シミュレータ)</small></p>"
         "</header><main>" +
         indicator + body + "</main></body></html>\n";
}

std::string hidden_session(const std::string& id) {
  return "<input type=\"hidden\" name=\"session\" value=\"" + html_escape(id) + "\">";
}

}  // namespace

void add_page_headers(http_response& res) {
  res.set("content-security-policy", page_csp);
  res.set("x-content-type-options", "nosniff");
  res.set("x-frame-options", "DENY");
  res.set("referrer-policy", "no-referrer");
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string consent_page(const world_data& data, const service_config& service, const std::string& session_id,
                         const std::string& message) {
  std::string items, details;
  for (const auto& code : service.items) {
    const auto* item = data.find_item(code);
    if (!item) continue;
    items += "<li>" + html_escape(item->name) + "</li>";
    details += "<li>" + html_escape(item->name) + "（" + html_escape(item->category) + " / " +
               html_escape(item->field) + "）: ";
    for (std::size_t i = 0; i < item->fields.size(); ++i) details += (i ? "、" : "") + html_escape(item->fields[i]);
    details += "</li>";
  }
  std::string body =
      "<h1>サービス連携</h1><p>マイナポータルと利用中のサービスを連携します。連携内容と規約へ確認同意のうえ、"
      "まずは本人確認を行ってください。</p><h2>連携内容</h2><p data-testid=\"consent-summary\">" +
      html_escape(service.name) + "が" + html_escape(service.purpose) +
      "のためにマイナポータルを通じて、以下の情報を取得します。</p><ul data-testid=\"consent-items\">" + items +
      "</ul><details data-testid=\"consent-details\"><summary>詳細の項目</summary><ul>" + details + "</ul></details>" +
      (message.empty() ? "" : "<p class=\"error\" data-testid=\"consent-error\">" + html_escape(message) + "</p>") +
      "<form method=\"post\" action=\"" + base_path + "/consent\">" + hidden_session(session_id) +
      "<p class=\"note\"><label><input type=\"checkbox\" name=\"terms\" value=\"on\" data-testid=\"consent-terms\">"
      " <a href=\"" +
      base_path +
      "/terms\" target=\"_blank\" rel=\"noopener\" data-testid=\"terms-link\">利用規約</a>"
      "に同意する</label></p><div class=\"actions\">"
      "<button type=\"submit\" class=\"primary\" name=\"action\" value=\"agree\" "
      "data-testid=\"consent-agree\">同意する</button>"
      "<button type=\"submit\" class=\"secondary\" name=\"action\" value=\"cancel\" "
      "data-testid=\"consent-cancel\">連携をやめる</button>"
      "</div></form>";
  return layout("サービス連携", 1, body);
}

std::string auth_page(const world_data& data, const std::string& session_id, const std::string& message,
                      const std::string& chosen_serial) {
  constexpr std::size_t max_options = 200;  // a generated world lists its first cards; any serial can be typed
  std::string options = "<option value=\"\">（カードを選択）</option>";
  bool chosen_listed = false;
  std::size_t n = 0;
  for (const auto& p : data.personas) {
    if (n++ == max_options) break;
    bool chosen = p.card.serial == chosen_serial;
    chosen_listed = chosen_listed || chosen;
    options += "<option value=\"" + html_escape(p.card.serial) + "\"" + (chosen ? " selected" : "") + ">" +
               html_escape(p.name) + "（" + html_escape(p.card.serial) + "）</option>";
  }
  std::string typed = chosen_listed ? "" : chosen_serial;
  std::string body =
      "<h1>本人確認</"
      "h1><p>マイナンバーカードを読み取り、利用者証明用電子証明書の暗証番号（数字4桁）を入力してください。</p>"
      "<p class=\"note\">シミュレータ: テスト用のカードを選ぶか、カードのシリアル番号を入力してください。"
      "暗証番号は <a href=\"/\" target=\"_blank\" rel=\"noopener\" "
      "data-testid=\"cards-list-link\">テスト用カードの一覧</a> にあります。</p>" +
      (message.empty()
           ? ""
           : "<p class=\"error\" role=\"alert\" data-testid=\"auth-error\">" + html_escape(message) + "</p>") +
      "<form method=\"post\" action=\"" + base_path + "/auth\">" + hidden_session(session_id) +
      "<p><label>テスト用カード <select name=\"card_select\" data-testid=\"card-select\">" + options +
      "</select></label></p><p><label>シリアル番号 <input type=\"text\" name=\"card_serial\" value=\"" +
      html_escape(typed) +
      "\" data-testid=\"card-serial\"></label></p><p><label>暗証番号（4桁）"
      "<input type=\"password\" name=\"pin\" inputmode=\"numeric\" maxlength=\"4\" autocomplete=\"off\" "
      "data-testid=\"pin-input\"></label></p><div class=\"actions\">"
      "<button type=\"submit\" class=\"primary\" name=\"action\" value=\"verify\" "
      "data-testid=\"auth-submit\">本人確認する</button>"
      "<button type=\"submit\" class=\"secondary\" name=\"action\" value=\"cancel\" formnovalidate "
      "data-testid=\"auth-cancel\">やめてサービスに戻る</button></div></form>";
  return layout("本人確認", 2, body);
}

std::string link_page(const service_config& service, const std::string& session_id) {
  std::string body =
      "<h1>サービス連携</h1><p>本人確認が完了しました。マイナポータルと利用中のサービスを連携してください。</p>"
      "<p>連携先: " +
      html_escape(service.name) + "</p><form method=\"post\" action=\"" + base_path + "/link\">" +
      hidden_session(session_id) +
      "<div class=\"actions\"><button type=\"submit\" class=\"primary\" name=\"action\" value=\"confirm\" "
      "data-testid=\"link-confirm\">サービス連携</button>"
      "<button type=\"submit\" class=\"secondary\" name=\"action\" value=\"cancel\" "
      "data-testid=\"link-cancel\">連携をやめる</button></div></form>";
  return layout("サービス連携", 3, body);
}

std::string error_page(const error_entry& error, const std::string& detail) {
  std::string body = "<h1>エラー</h1><p class=\"error\" data-testid=\"error-message\">" + html_escape(error.message) +
                     "</p><p>エラーコード: <span data-testid=\"error-code\">" + html_escape(error.code) +
                     "</span></p>" + (detail.empty() ? "" : "<p>" + html_escape(detail) + "</p>");
  return layout("エラー", 0, body);
}

std::string card_failure_page(const error_entry& error, const std::string& back_to_service) {
  std::string body =
      "<h1>本人確認できませんでした</h1><p class=\"error\" role=\"alert\" data-testid=\"card-failure\">" +
      html_escape(error.message) + "</p><p>エラーコード: <span data-testid=\"error-code\">" + html_escape(error.code) +
      "</span></p><p>連携を続けられません。サービスに戻ってください。</p>"
      "<div class=\"actions\"><a class=\"button primary\" data-testid=\"back-to-service\" href=\"" +
      html_escape(back_to_service) + "\">サービスに戻る</a></div>";
  return layout("本人確認", 2, body);
}

std::string terms_page() {
  std::string body =
      "<h1>利用規約（シミュレータ）</h1><p data-testid=\"terms\">これは mynasim が表示する試験用の利用規約です。実際の"
      "マイナポータル利用規約ではありません。連携に同意すると、サービスは同意画面に示した情報をマイナポータルを通じて"
      "取得します。</p><p>このページは閉じて、連携画面に戻ってください。</p>";
  return layout("利用規約", 0, body);
}

}  // namespace mynasim
