// SPDX-License-Identifier: Apache-2.0
#include "app/admin_guard.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>

#include "core/router.hpp"
#include "jpki/jpki.hpp"

namespace mynasim {

// A name that can only mean this machine: an IP literal of the loopback interface — an IPv4
// dotted quad in 127.0.0.0/8 exactly as inet_pton reads it (four decimal parts; no 127.1, no
// 0x7f.0.0.1), ::1, or an IPv4-mapped ::ffff:127.x.y.z — or `localhost` in any case. Anything
// else is a DNS name whose answer someone else controls (127.attacker.example,
// 127.0.0.1.nip.io, localhost., *.localhost): not loopback, whatever its spelling starts with.
bool is_loopback(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  const std::string text(name);
  unsigned char v4[4];
  if (::inet_pton(AF_INET, text.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, text.c_str(), v6) == 1) {
    static constexpr unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::equal(v6, v6 + 16, loopback) || (std::equal(v6, v6 + 12, mapped) && v6[12] == 127);
  }
  return text.size() == 9 && std::equal(text.begin(), text.end(), "localhost", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// RFC 9110: uri-host [":" port]; an IPv6 literal only in brackets, the port decimal digits.
bool is_loopback_host(std::string_view host) {
  std::string_view name = host, port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(1, close - 1);
    auto rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    if (name.find(':') == std::string_view::npos) return false;  // [127.0.0.1] is no IPv6 literal
  } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return is_loopback(name);
}

// Compares secrets without leaking where they first differ (only whether the lengths do).
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

namespace {

// The token a request presents: Bearer's, or Basic's password (user name ignored).
std::optional<std::string> presented_token(const http_request& req, bool& basic) {
  const auto* given = req.header("authorization");
  basic = false;
  if (!given || given->size() > 1024) return std::nullopt;
  if (given->rfind("Bearer ", 0) == 0) return given->substr(7);
  if (given->rfind("Basic ", 0) != 0) return std::nullopt;
  auto decoded = base64_decode(given->substr(6));
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  basic = true;
  return decoded->substr(colon + 1);
}

// What world tokens look like: 64 lower-case hex digits (app/worlds.cpp makes them).
bool is_world_token_shape(std::string_view t) {
  return t.size() == 64 &&
         std::all_of(t.begin(), t.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_page(const std::string& path) {
  return path == "/" || path.rfind("/__admin/ui", 0) == 0 ||
         (path.rfind("/worlds/", 0) == 0 && path.find("/__admin/ui") != std::string::npos);
}

// The only paths a world token reaches: its world's admin plane and control room.
bool in_world_scope(const std::string& path, const std::string& world) {
  const auto base = "/worlds/" + world + "/__admin";
  return path == base || path.rfind(base + "/", 0) == 0;
}

std::optional<http_response> cross_origin(const http_request& req) {
  const auto* origin = req.header("origin");
  const auto* host = req.header("host");
  if (origin && (!host || (*origin != "http://" + *host && *origin != "https://" + *host)))
    return json_error(403, "cross_origin", "the admin API answers only same-origin browser requests");
  return std::nullopt;
}

}  // namespace

std::optional<http_response> admin_refusal(const http_request& req, const admin_tokens& tokens,
                                           std::string& world_scope) {
  world_scope.clear();
  if (req.path == "/healthz" || req.path == "/readyz") return std::nullopt;
  bool basic = false;
  auto given = presented_token(req, basic);
  const bool global = given && !tokens.global.empty() && constant_time_equal(*given, tokens.global);
  if (!global && given && tokens.world_of)
    if (auto world = tokens.world_of(*given)) {
      if (!in_world_scope(req.path, *world))
        return json_error(403, "outside_world",
                          "a world token reaches only its own world's /worlds/" + *world + "/__admin/…");
      world_scope = *world;
      return basic ? cross_origin(req) : std::nullopt;
    }
  if (!tokens.global.empty()) {
    // Bearer for programs; Basic for a browser, which then sends it with every call of the
    // control room — and, unasked, with another origin's page's calls: refused by Origin.
    if (!global) {
      auto res = json_error(401, "unauthorized", "the admin API needs Authorization: Bearer <token>");
      res.set("www-authenticate", is_page(req.path) ? "Basic realm=\"mynasim admin\", charset=\"UTF-8\"" : "Bearer");
      return res;
    }
    return basic ? cross_origin(req) : std::nullopt;
  }
  // A world token no world holds (deleted, expired — or one a split world's follower passed on
  // for its owner to judge) is refused, never let through by the loopback rule: a follower
  // reaching its owner over loopback must not make a stranger's made-up token a local caller.
  if (given && is_world_token_shape(*given))
    return json_error(401, "unknown_world_token", "no world holds this world token (deleted, or expired?)");
  if (auto refused = cross_origin(req)) return refused;
  const auto* host = req.header("host");
  if (host && !is_loopback_host(*host))
    return json_error(403, "bad_host", "without a token the admin API answers only requests to a loopback host name");
  return std::nullopt;
}

}  // namespace mynasim
