#include "portal/pages.hpp"

namespace mynasim {
namespace {

constexpr const char* base_path = "/online-authorization-web";

std::string layout(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" + title + " | マイナポータル（mynasim）</title><style>"
         "body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1a1a1c}"
         "header{border-bottom:3px solid #0031d8;margin-bottom:1rem}"
         ".note{background:#f1f1f4;padding:.5rem 1rem}.error{color:#b00;font-weight:bold}"
         "button{font-size:1rem;padding:.5rem 1.5rem;margin:.5rem .5rem .5rem 0}"
         "</style></head><body><header><p>マイナポータル 外部サービスとの連携 <small>(mynasim シミュレータ)</small></p></header>" +
         body + "</body></html>\n";
}

std::string hidden_session(const std::string& id) {
  return "<input type=\"hidden\" name=\"session\" value=\"" + html_escape(id) + "\">";
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
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
    details += "<li>" + html_escape(item->name) + "（" + html_escape(item->category) + " / " + html_escape(item->field) +
               "）: ";
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
      " 利用規約に同意する</label></p>"
      "<button type=\"submit\" name=\"action\" value=\"agree\" data-testid=\"consent-agree\">同意する</button>"
      "<button type=\"submit\" name=\"action\" value=\"cancel\" data-testid=\"consent-cancel\">連携をやめる</button>"
      "</form>";
  return layout("サービス連携", body);
}

std::string auth_page(const world_data& data, const std::string& session_id, const std::string& message) {
  std::string options = "<option value=\"\">（カードを選択）</option>";
  for (const auto& p : data.personas)
    options += "<option value=\"" + html_escape(p.card.serial) + "\">" + html_escape(p.name) + "（" +
               html_escape(p.card.serial) + "）</option>";
  std::string body =
      "<h1>本人確認</h1><p>マイナンバーカードを読み取り、利用者証明用電子証明書の暗証番号（数字4桁）を入力してください。</p>"
      "<p class=\"note\">シミュレータ: テスト用のカードを選ぶか、カードのシリアル番号を入力してください。</p>" +
      (message.empty() ? "" : "<p class=\"error\" data-testid=\"auth-error\">" + html_escape(message) + "</p>") +
      "<form method=\"post\" action=\"" + base_path + "/auth\">" + hidden_session(session_id) +
      "<p><label>テスト用カード <select name=\"card_select\" data-testid=\"card-select\">" + options +
      "</select></label></p><p><label>シリアル番号 <input type=\"text\" name=\"card_serial\" data-testid=\"card-serial\">"
      "</label></p><p><label>暗証番号（4桁）<input type=\"password\" name=\"pin\" inputmode=\"numeric\" maxlength=\"4\" "
      "data-testid=\"pin-input\"></label></p>"
      "<button type=\"submit\" data-testid=\"auth-submit\">本人確認する</button></form>";
  return layout("本人確認", body);
}

std::string link_page(const service_config& service, const std::string& session_id) {
  std::string body = "<h1>サービス連携</h1><p>本人確認が完了しました。マイナポータルと利用中のサービスを連携してください。</p>"
                     "<p>連携先: " +
                     html_escape(service.name) + "</p><form method=\"post\" action=\"" + base_path + "/link\">" +
                     hidden_session(session_id) +
                     "<button type=\"submit\" name=\"action\" value=\"confirm\" data-testid=\"link-confirm\">サービス連携</button>"
                     "<button type=\"submit\" name=\"action\" value=\"cancel\" data-testid=\"link-cancel\">連携をやめる</button>"
                     "</form>";
  return layout("サービス連携", body);
}

std::string error_page(const error_entry& error, const std::string& detail) {
  std::string body = "<h1>エラー</h1><p class=\"error\" data-testid=\"error-message\">" + html_escape(error.message) +
                     "</p><p>エラーコード: <span data-testid=\"error-code\">" + html_escape(error.code) + "</span></p>" +
                     (detail.empty() ? "" : "<p>" + html_escape(detail) + "</p>");
  return layout("エラー", body);
}

}  // namespace mynasim
