// SPDX-License-Identifier: Apache-2.0
// The fault model: a closed set of kinds, each applied by the transport of the system it
// targets, narrowed by endpoint, service and persona, firing with a seeded probability, for
// the next N matching requests and/or until an instant on the virtual clock.
#pragma once

#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "clock/time.hpp"

namespace mynasim {

enum class fault_kind {
  latency,                 // delay the response (fixed, uniform or log-normal)
  http_error,              // answer with status, errorCode and message
  hang,                    // never answer; hold the connection until the caller gives up
  reset,                   // reset the connection (TCP RST)
  empty_response,          // close without a byte
  malformed_body,          // a response whose body is not what the content type says
  truncated_body,          // Content-Length promises more than is sent
  slow_body,               // dribble the response a few bytes at a time
  down,                    // the system is forced down: exactly like an outage, reason "forced"
  quota,                   // 429 after `limit` requests per `window`
  notification_drop,       // IF001-05 not sent
  notification_delay,      // IF001-05 sent after `delay`
  notification_duplicate,  // IF001-05 sent twice
};

const char* to_string(fault_kind k);
bool is_notification_fault(fault_kind k);

struct fault {
  std::string id;
  fault_kind kind = fault_kind::latency;
  std::string target;       // a system id, or "app" / "sp" for one Myna Portal listener
  std::string endpoint;     // path prefix; empty = any
  std::string client_id;    // empty = any service
  std::string persona;      // empty = any persona
  std::string telegram_id;  // empty = any; one IF001-04 request and the hops it causes
  double probability = 1.0;
  std::uint64_t seed = 1;
  std::optional<long> remaining;  // the next N matching requests
  std::optional<instant> until;   // reverts by itself when the virtual clock passes this
  // kind parameters
  std::string distribution = "fixed";  // latency: fixed | uniform | lognormal
  millis latency{0}, latency_max{0};
  double sigma = 0.5;  // lognormal: latency is the median
  int status = 503;
  std::string error_code, message;
  long limit = 10;        // quota
  millis window{60000};   // quota, on the virtual clock
  millis delay{0};        // notification_delay; slow_body: pause between chunks
  std::size_t chunk = 8;  // slow_body: bytes per write
};

// Parses and validates one fault (from the admin API, the header or a scenario). On error
// returns nullopt and a message naming the field. `now` resolves "for": ISO-8601 durations.
std::optional<fault> parse_fault(const nlohmann::json& j, instant now, std::string& error);
nlohmann::json fault_json(const fault& f);

}  // namespace mynasim
