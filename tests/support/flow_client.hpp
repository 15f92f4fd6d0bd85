// SPDX-License-Identifier: Apache-2.0
// Plays the API user against a running test_server: authorize (test path or screens),
// token, request, result — and receives IF001-05 notifications on its own endpoint.
#pragma once

#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/server.hpp"
#include "test_server.hpp"

namespace mynasim::test {

// The API user's notification endpoint: records every POST, answers as configured.
class notification_receiver {
 public:
  // tls: HTTPS with the test certificates (an API user's endpoint as in production);
  // idle: how long it keeps an idle keep-alive connection open; keep: how many notifications
  // (and processIds) it remembers, the oldest forgotten first — a soak's receiver must not
  // grow, or the process it measures does.
  explicit notification_receiver(int status = 200, bool tls = false,
                                 std::chrono::milliseconds idle = std::chrono::milliseconds(15000),
                                 std::size_t keep = std::numeric_limits<std::size_t>::max());
  ~notification_receiver();
  std::string url() const;
  std::vector<nlohmann::json> received();
  // Waits until at least n notifications arrived (false on timeout).
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout);
  // Waits for the notification of one process (woken by its arrival, not polling).
  bool wait_for_process(const std::string& process_id, std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::set<std::string> notified_;  // processIds seen
  std::deque<std::string> notified_order_;
  std::vector<nlohmann::json> received_;
  int status_;
  std::size_t keep_;
  std::unique_ptr<http_server> server_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
};

struct flow_client {
  test_server* server;
  std::string client_id = "SP00000086_AA0003";
  std::string redirect_uri = "http://localhost:3000/callback";
  tls_options tls{};
  std::map<std::string, std::string> extra_headers{};  // e.g. X-Kiosk-Card-Sha256
  // A mynasim in another process or network namespace: its address and ports (server may be null).
  std::string host{};
  std::uint16_t app_port = 0, sp_port = 0;
  std::uint16_t port_of(const std::string& listener) const;
  // true: one kept TLS connection per listener, as a real API user's HTTP client keeps them.
  bool keep_alive = false;
  // A named world's path prefix ("/worlds/{id}"), put before every target; "" = the default world.
  std::string prefix{};
  std::map<std::string, std::shared_ptr<connection>> kept{};
  client_response send(const std::string& listener, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers);

  // GET authorize; returns the Location header (or "" when no redirect) and the response.
  client_response authorize(const std::string& extra_query);
  std::string authorize_code(const std::string& persona, const std::string& outcome = "consent");
  client_response token(const std::string& code, const std::string& override_redirect = "");
  std::string access_token(const std::string& persona);
  client_response request(const std::string& token, const std::string& telegram_id, const std::string& condition,
                          const std::string& path = "/online-resource-web/request");
  client_response result(const std::string& token, const std::string& telegram_id, const std::string& process_id,
                         const std::string& path = "/online-resource-web/result");
  // Polls the result until it is no longer "still processing".
  client_response wait_result(const std::string& token, const std::string& telegram_id, const std::string& process_id);
  // The whole flow; returns the result telegram.
  nlohmann::json run(const std::string& persona, const std::string& condition);

  std::string next_telegram_id();
  int sequence = 0;
};

std::string query_value(const std::string& url, const std::string& key);
nlohmann::json parse(const client_response& r);

}  // namespace mynasim::test
