// SPDX-License-Identifier: Apache-2.0
// Plain HTTP messages shared by every handler. The transport (net/) converts Beast messages
// to and from these, so handlers and their tests never see Beast or Asio.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mynasim {

struct http_header {
  std::string name;  // lower-case
  std::string value;
};

// What the transport does to a response, decided by fault injection (faults/).
struct transport_fault {
  enum class action : std::uint8_t { none, hang, reset, empty, truncate, malformed, slow };
  action what = action::none;
  std::chrono::milliseconds delay{0};  // before answering
  std::chrono::milliseconds pause{0};  // slow: between chunks
  std::size_t chunk = 8;               // slow: bytes per write
};

struct http_request {
  std::string method;
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path
  std::string query;   // raw query string, without '?'
  std::vector<http_header> headers;
  std::string body;
  // Set by the transport:
  std::string listener;  // app, sp, admin, systems
  std::string remote_address;
  std::string client_cert_sha256;  // hex, empty without a client certificate
  std::string client_cert_subject;
  std::string request_id;
  // Set by the router:
  std::map<std::string, std::string> params;
  std::string route;  // the matched pattern (bounded: a metrics label); empty when none matched
  // Set by the application before routing (journal, fault narrowing):
  std::string system, client_id, persona, telegram_id, process_id;
  // The named world the request is for ("" for the default world); `path` is then the path
  // inside it, without its /worlds/{id} prefix.
  std::string world;
  // When the exchange began, set as it enters its world (the journal orders exchanges by it):
  // the world's virtual now, and the world journal's start ticket, which orders the exchanges
  // that began at the same virtual instant (a frozen clock). Zero when never dispatched.
  std::chrono::sys_time<std::chrono::milliseconds> started{};
  std::uint64_t start_seq = 0;
  // The body as a JSON object, parsed once by whoever read it first (request_json_object).
  std::shared_ptr<const nlohmann::json> json_body;

  const std::string* header(std::string_view name) const;  // name in lower case
  std::optional<std::string> query_param(std::string_view name) const;
};

struct http_response {
  http_response() = default;
  http_response(int status_code, std::vector<http_header> hs, std::string b, bool close_after = false)
      : status(status_code), headers(std::move(hs)), body(std::move(b)), close(close_after) {}

  int status = 200;
  std::vector<http_header> headers;
  std::string body;
  bool close = false;  // close the connection after this response
  transport_fault fault;

  http_response& set(std::string name, std::string value);
  const std::string* header(std::string_view name) const;

  static http_response json(int status, std::string body);
  static http_response text(int status, std::string body);
  static http_response html(int status, std::string body);
};

// Completes one request; may be called later and from any thread, exactly once.
using respond_fn = std::function<void(http_response)>;
// A handler answers at once (respond inside the call) or later (keep respond).
using handler_fn = std::function<void(http_request&, respond_fn)>;
// A handler that always answers at once.
using sync_handler_fn = std::function<http_response(http_request&)>;

// The string value of the first "key": "…" in JSON, however it is spaced (the text may be
// clipped: an API user's body as the journal keeps it), without parsing; "" when absent or
// longer than max_length.
std::string compact_json_string(std::string_view text, std::string_view key, std::size_t max_length = 64);

// The errorCode a response carries: X-Mynasim-Error-Code, a telegram's commonHeader.errorCode,
// or an OAuth/JSON error's "error" — found without parsing the body; "" when none.
std::string error_code_of(const http_response& res);

// application/x-www-form-urlencoded and query strings → ordered pairs; false on bad escapes.
bool parse_form(std::string_view text, std::vector<std::pair<std::string, std::string>>& out);
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);
// The decoded path of a request target's path part, or nullopt unless it is canonical:
// starts with '/', no empty, "." or ".." segments and no encoded '/' (one trailing '/' is
// allowed). Every listener refuses other spellings, so authorisation and routing agree.
std::optional<std::string> canonical_path(std::string_view raw);
std::string percent_encode(std::string_view in);
const char* status_reason(int status);

}  // namespace mynasim
