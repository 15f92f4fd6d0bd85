// SPDX-License-Identifier: Apache-2.0
#include "core/http.hpp"

#include <algorithm>

namespace mynasim {

const std::string* http_request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (h.name == name) return &h.value;
  return nullptr;
}

std::optional<std::string> http_request::query_param(std::string_view name) const {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!parse_form(query, pairs)) return std::nullopt;
  for (auto& [k, v] : pairs)
    if (k == name) return v;
  return std::nullopt;
}

http_response& http_response::set(std::string name, std::string value) {
  for (auto& h : headers)
    if (h.name == name) {
      h.value = std::move(value);
      return *this;
    }
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

const std::string* http_response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (h.name == name) return &h.value;
  return nullptr;
}

http_response http_response::json(int status, std::string body) {
  http_response r{status, {}, std::move(body)};
  r.set("content-type", "application/json; charset=utf-8");
  return r;
}

http_response http_response::text(int status, std::string body) {
  http_response r{status, {}, std::move(body)};
  r.set("content-type", "text/plain; charset=utf-8");
  return r;
}

http_response http_response::html(int status, std::string body) {
  http_response r{status, {}, std::move(body)};
  r.set("content-type", "text/html; charset=utf-8");
  return r;
}

std::string compact_json_string(std::string_view text, std::string_view key, std::size_t max_length) {
  // `"key"`, optional JSON whitespace, `:`, optional whitespace, then the string value — as any
  // JSON writer spaces it (Python's json.dumps writes `"key": "value"`).
  auto skip_space = [&](std::size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    return i;
  };
  const std::string name = "\"" + std::string(key) + "\"";
  for (auto at = text.find(name); at != std::string_view::npos; at = text.find(name, at + 1)) {
    auto i = skip_space(at + name.size());
    if (i >= text.size() || text[i] != ':') continue;  // the name as a value, not a key
    i = skip_space(i + 1);
    if (i >= text.size() || text[i] != '"') return "";
    auto end = text.find('"', i + 1);
    if (end == std::string_view::npos || end - i - 1 > max_length) return "";
    return std::string(text.substr(i + 1, end - i - 1));
  }
  return "";
}

std::string error_code_of(const http_response& res) {
  if (const auto* h = res.header("x-mynasim-error-code")) return *h;
  const auto* type = res.header("content-type");
  if (!type || type->find("json") == std::string::npos) return "";
  std::string_view body(res.body);
  if (auto code = compact_json_string(body.substr(0, 4096), "errorCode"); !code.empty()) return code;
  return res.status >= 400 ? compact_json_string(body.substr(0, 4096), "error") : "";
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::string percent_encode(std::string_view in) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

bool parse_form(std::string_view text, std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  while (!text.empty()) {
    auto amp = text.find('&');
    auto part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string key, value;
    if (!percent_decode(part.substr(0, eq), key, true)) return false;
    if (eq != std::string_view::npos && !percent_decode(part.substr(eq + 1), value, true)) return false;
    out.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

const char* status_reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// The request path as the router and the admin guard see it, or nullopt when the target is
// not a canonical origin-form path: every listener refuses empty ("//"), dot ("." and
// "..") and encoded-slash segments, so no spelling of a path reaches a route another
// spelling is refused from.
std::optional<std::string> canonical_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') return std::nullopt;
  std::string decoded;
  if (!percent_decode(raw, decoded, false)) return std::nullopt;
  if (decoded.find('\0') != std::string::npos || decoded.find('\\') != std::string::npos) return std::nullopt;
  // Segments are compared after decoding: %2F, %2E%2E and friends count as what they spell.
  std::size_t raw_slashes = static_cast<std::size_t>(std::count(raw.begin(), raw.end(), '/'));
  if (static_cast<std::size_t>(std::count(decoded.begin(), decoded.end(), '/')) != raw_slashes) return std::nullopt;
  for (std::size_t start = 1; start <= decoded.size();) {
    auto end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    auto seg = std::string_view(decoded).substr(start, end - start);
    bool last = end == decoded.size();
    if ((seg.empty() && !last) || seg == "." || seg == "..") return std::nullopt;
    start = end + 1;
  }
  return decoded;
}

}  // namespace mynasim
