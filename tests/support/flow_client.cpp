// SPDX-License-Identifier: Apache-2.0
#include "flow_client.hpp"

#include <condition_variable>
#include <thread>

#include "contract_log.hpp"
#include "core/json_util.hpp"

namespace mynasim::test {

notification_receiver::notification_receiver(int status, bool tls, std::chrono::milliseconds idle, std::size_t keep)
    : status_(status), keep_(keep), tls_(tls) {
  server_settings settings;
  settings.read_timeout = idle;
  server_ = std::make_unique<http_server>(settings, [this](http_request& req, respond_fn respond) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    nlohmann::json header =
        body.is_object() && body.contains("commonHeader") ? body["commonHeader"] : nlohmann::json::object();
    {
      std::lock_guard lock(mutex_);
      received_.push_back(body);
      if (received_.size() > keep_) received_.erase(received_.begin());
      if (header.contains("processId") && header["processId"].is_string() &&
          notified_.insert(header["processId"].get<std::string>()).second) {
        notified_order_.push_back(header["processId"].get<std::string>());
        if (notified_order_.size() > keep_) {
          notified_.erase(notified_order_.front());
          notified_order_.pop_front();
        }
      }
    }
    arrived_.notify_all();
    if (req.method == "POST") record_notification(req.path, req.body, status_);
    header["telegramType"] = "IFA0302-S01";
    respond(json_response(status_, {{"commonHeader", header}}));
  });
  listen_settings l;
  l.name = "receiver";
  if (tls) {
    l.tls = true;
    l.cert_file = test_certs_dir() + "/app.crt";
    l.key_file = test_certs_dir() + "/app.key";
  }
  port_ = server_->listen(l);
  server_->start();
}

notification_receiver::~notification_receiver() {
  server_->shutdown();
  server_->join();
}

std::string notification_receiver::url() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + "/myna/notify";
}

std::vector<nlohmann::json> notification_receiver::received() {
  std::lock_guard lock(mutex_);
  return received_;
}

bool notification_receiver::wait_for_process(const std::string& process_id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return notified_.count(process_id) > 0; });
}

bool notification_receiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (received().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::string query_value(const std::string& url, const std::string& key) {
  auto q = url.find('?');
  if (q == std::string::npos) return "";
  std::vector<std::pair<std::string, std::string>> pairs;
  parse_form(url.substr(q + 1), pairs);
  for (auto& [k, v] : pairs)
    if (k == key) return v;
  return "";
}

nlohmann::json parse(const client_response& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

client_response flow_client::send(const std::string& listener, const std::string& method, const std::string& target,
                                  const std::string& body, const std::map<std::string, std::string>& headers) {
  if (!prefix.empty() && target.rfind(prefix + "/", 0) != 0)
    return send(listener, method, prefix + target, body, headers);
  if (!keep_alive) return test::request_to(host, port_of(listener), true, method, target, body, headers, tls);
  auto& c = kept[listener];
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!c || !c->connected()) c = connection::open_between("", host, port_of(listener), true, tls);
    if (c->send(build_request(method, target, body, headers)))
      if (auto res = c->read_response()) {
        if (res->header("connection") == "close") c.reset();
        return *res;
      }
    c.reset();  // the server closed an idle connection: once more on a new one
  }
  return {};
}

std::uint16_t flow_client::port_of(const std::string& listener) const {
  if (listener == "app" && app_port) return app_port;
  if (listener == "sp" && sp_port) return sp_port;
  return server->port(listener);
}

client_response flow_client::authorize(const std::string& extra_query) {
  std::string target = "/online-authorization-web/oauth/authorize?response_type=code&client_id=" + client_id +
                       "&redirect_uri=" + percent_encode(redirect_uri) + "&state=st-" + std::to_string(++sequence) +
                       "&login_type=0" + extra_query;
  return send("app", "GET", target, "", {});
}

std::string flow_client::authorize_code(const std::string& persona, const std::string& outcome) {
  auto r = authorize("&mynasim_persona=" + persona + "&mynasim_outcome=" + outcome);
  return query_value(r.header("location"), "code");
}

client_response flow_client::token(const std::string& code, const std::string& override_redirect) {
  std::string form = "grant_type=authorization_code&code=" + percent_encode(code) +
                     "&redirect_uri=" + percent_encode(override_redirect.empty() ? redirect_uri : override_redirect) +
                     "&client_id=" + client_id;
  return send("sp", "POST", "/online-authorization-web/oauth/token", form,
              {{"Content-Type", "application/x-www-form-urlencoded"}});
}

std::string flow_client::access_token(const std::string& persona) {
  auto t = parse(token(authorize_code(persona)));
  return t.is_object() ? t.value("access_token", "") : "";
}

std::string flow_client::next_telegram_id() {
  // Every 10 000 ids the timestamp part moves one second on from 2026-11-27 12:00:00, so
  // every id stays unique (and the first 9 999 keep 261127120000).
  char buf[48];
  long n = ++sequence, secs = 12 * 3600 + n / 10000;
  std::snprintf(buf, sizeof buf, "TL-%s-2611%02ld%02ld%02ld%02ld-%04ld", client_id.substr(2, 8).c_str(),
                27 - secs / 86400 % 27, secs / 3600 % 24, secs / 60 % 60, secs % 60, n % 10000);
  return buf;
}

client_response flow_client::request(const std::string& token, const std::string& telegram_id,
                                     const std::string& condition, const std::string& path) {
  nlohmann::json body{{"commonHeader",
                       {{"telegramId", telegram_id},
                        {"telegramType", "IFA0301-R01"},
                        {"mode", "1"},
                        {"processId", ""},
                        {"errorCode", ""}}},
                      {"selfProvisionDataReqInfo", {{"inquiryCondition", condition}}}};
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token},
                                             {"Content-Type", "application/json"}};
  headers.insert(extra_headers.begin(), extra_headers.end());
  return send("sp", "POST", path, body.dump(), headers);
}

client_response flow_client::result(const std::string& token, const std::string& telegram_id,
                                    const std::string& process_id, const std::string& path) {
  nlohmann::json body{{"commonHeader",
                       {{"telegramId", telegram_id},
                        {"telegramType", "IFA0303-R01"},
                        {"mode", "1"},
                        {"processId", process_id},
                        {"errorCode", ""}}}};
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token},
                                             {"Content-Type", "application/json"}};
  headers.insert(extra_headers.begin(), extra_headers.end());
  return send("sp", "POST", path, body.dump(), headers);
}

client_response flow_client::wait_result(const std::string& token, const std::string& telegram_id,
                                         const std::string& process_id) {
  auto still = server ? server->runtime().data.get()->errors.at("still_processing").code : std::string("MPE3008");
  for (int i = 0; i < 400; ++i) {
    auto r = result(token, telegram_id, process_id);
    auto j = parse(r);
    if (!j.is_object() || j["commonHeader"].value("errorCode", "") != still) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

nlohmann::json flow_client::run(const std::string& persona, const std::string& condition) {
  auto token_value = access_token(persona);
  auto telegram = next_telegram_id();
  auto accepted = parse(request(token_value, telegram, condition));
  if (!accepted.is_object() || !accepted.contains("commonHeader")) return accepted;
  auto pid = accepted["commonHeader"].value("processId", "");
  return parse(wait_result(token_value, telegram, pid));
}

}  // namespace mynasim::test
