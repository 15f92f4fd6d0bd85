#include "app/world_link.hpp"

#include "app/world_editor.hpp"
#include "core/json_util.hpp"
#include "core/router.hpp"
#include "net/http_client.hpp"

namespace mynasim {

namespace {
using action = transport_fault::action;
constexpr std::pair<action, const char*> actions[] = {{action::none, "none"},         {action::hang, "hang"},
                                                      {action::reset, "reset"},       {action::empty, "empty"},
                                                      {action::truncate, "truncate"}, {action::malformed, "malformed"},
                                                      {action::slow, "slow"}};
constexpr std::size_t max_entries_per_post = 500;
}  // namespace

nlohmann::json decision_json(const fault_decision& d) {
  nlohmann::json j{{"fired", d.fired}};
  const char* what = "none";
  for (auto [a, name] : actions)
    if (a == d.transport.what) what = name;
  j["transport"] = {{"what", what},
                    {"delay_ms", d.transport.delay.count()},
                    {"pause_ms", d.transport.pause.count()},
                    {"chunk", d.transport.chunk}};
  if (d.response) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& h : d.response->headers) headers.push_back({h.name, h.value});
    j["response"] = {{"status", d.response->status}, {"headers", headers}, {"body", d.response->body},
                     {"close", d.response->close}};
  }
  return j;
}

std::optional<fault_decision> decision_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  fault_decision d;
  if (j.contains("fired") && j["fired"].is_array())
    for (const auto& f : j["fired"])
      if (f.is_string()) d.fired.push_back(f.get<std::string>());
  if (j.contains("transport") && j["transport"].is_object()) {
    const auto& t = j["transport"];
    auto what = string_member(t, "what", "none");
    for (auto [a, name] : actions)
      if (what == name) d.transport.what = a;
    auto ms = [&](const char* k) {
      return t.contains(k) && t[k].is_number_integer() ? std::clamp<long long>(t[k].get<long long>(), 0, 3'600'000) : 0;
    };
    d.transport.delay = std::chrono::milliseconds(ms("delay_ms"));
    d.transport.pause = std::chrono::milliseconds(ms("pause_ms"));
    if (t.contains("chunk") && t["chunk"].is_number_unsigned())
      d.transport.chunk = std::clamp<std::size_t>(t["chunk"].get<std::size_t>(), 1, 65536);
  }
  if (j.contains("response") && j["response"].is_object()) {
    const auto& r = j["response"];
    if (!r.contains("status") || !r["status"].is_number_integer()) return std::nullopt;
    http_response res;
    res.status = std::clamp(r["status"].get<int>(), 100, 599);
    res.body = string_member(r, "body");
    res.close = r.contains("close") && r["close"].is_boolean() && r["close"].get<bool>();
    if (r.contains("headers") && r["headers"].is_array())
      for (const auto& h : r["headers"])
        if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string())
          res.headers.push_back({h[0].get<std::string>(), h[1].get<std::string>()});
    d.response = std::move(res);
  }
  return d;
}

nlohmann::json clock_state_json(const clock_state& s) {
  return {{"now_ms", s.now.time_since_epoch().count()}, {"speed", s.speed}, {"frozen", s.frozen}};
}

std::optional<clock_state> clock_state_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("now_ms") || !j["now_ms"].is_number_integer() || !j.contains("speed") ||
      !j["speed"].is_number() || !j.contains("frozen") || !j["frozen"].is_boolean())
    return std::nullopt;
  clock_state s{instant(millis(j["now_ms"].get<long long>())), j["speed"].get<double>(), j["frozen"].get<bool>()};
  if (!in_supported_range(s.now) || s.speed < 0 || s.speed > 1e6) return std::nullopt;
  return s;
}

world_link::world_link(std::string owner_url, std::string token, std::string node, http_client& client,
                       link_callbacks cb)
    : owner_(std::move(owner_url)), token_(std::move(token)), node_(std::move(node)), client_(&client), cb_(std::move(cb)) {
  while (!owner_.empty() && owner_.back() == '/') owner_.pop_back();
}

client_request world_link::owner_request(std::string method, std::string target, std::string body) const {
  client_request r;
  r.method = std::move(method);
  r.url = owner_ + target;
  r.body = std::move(body);
  r.timeout = std::chrono::seconds(5);
  r.body_limit = 64 * 1024 * 1024;  // a whole journal page may come back through forward()
  r.headers = {{"content-type", "application/json"}};
  if (!token_.empty()) r.headers.push_back({"authorization", "Bearer " + token_});
  return r;
}

void world_link::set_connected(bool up, const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    last_error_ = up ? "" : why;
  }
  if (connected_.exchange(up) != up && cb_.log)
    cb_.log(up ? "world_owner_reachable" : "world_owner_unreachable", {{"owner", owner_}, {"detail", why}});
}

void world_link::decide(const http_request& req, std::function<void(std::optional<fault_decision>, std::string)> done) {
  nlohmann::json facts{{"system", req.system},       {"listener", req.listener},   {"method", req.method},
                       {"path", req.path},           {"client_id", req.client_id}, {"persona", req.persona},
                       {"telegram_id", req.telegram_id}, {"process_id", req.process_id}};
  client_->send(owner_request("POST", "/__admin/world/decide", facts.dump()),
                [this, done = std::move(done)](client_result r) {
                  std::string error;
                  auto body = r.status == 200 ? parse_json_object(r.body, error) : std::nullopt;
                  auto clock = body && body->contains("clock") ? clock_state_from_json((*body)["clock"]) : std::nullopt;
                  auto d = body && body->contains("decision") ? decision_from_json((*body)["decision"]) : std::nullopt;
                  if (!clock || !d) {
                    auto why = !r.error.empty()   ? r.error
                               : r.status != 200 ? "the owner answered " + std::to_string(r.status)
                                                  : "the owner's answer is malformed";
                    set_connected(false, why);
                    return done(std::nullopt, "the world owner " + owner_ + " did not answer: " + why);
                  }
                  set_connected(true, "");
                  if (cb_.clock) cb_.clock(*clock);
                  done(std::move(d), "");
                });
}

void world_link::forward(const http_request& req, respond_fn respond) {
  auto target = req.target.empty() ? req.path : req.target;
  client_->send(owner_request(req.method, target, req.body), [this, respond = std::move(respond)](client_result r) {
    if (r.status == 0) {
      set_connected(false, r.error);
      return respond(json_error(503, "world_owner_unreachable",
                                "this process follows the world owner " + owner_ + ", which did not answer: " + r.error));
    }
    http_response res(r.status, {}, std::move(r.body));
    if (const auto* ct = r.header("content-type")) res.set("content-type", *ct);
    if (const auto* auth = r.header("www-authenticate")) res.set("www-authenticate", *auth);
    respond(std::move(res));
  });
}

void world_link::record(journal_entry e) {
  e.node = node_;
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(e));
  while (queue_.size() > max_queued_entries) {
    queue_.pop_front();
    ++dropped_;
  }
}

void world_link::tick() {
  flush();
  if (ticks_++ % 5 == 0) sync();
}

void world_link::flush() {
  if (flushing_.exchange(true)) return;  // one batch in flight at a time
  nlohmann::json entries = nlohmann::json::array();
  {
    std::lock_guard lock(mutex_);
    while (!queue_.empty() && entries.size() < max_entries_per_post) {
      entries.push_back(journal_json(queue_.front()));
      queue_.pop_front();
    }
  }
  if (entries.empty()) {
    flushing_ = false;
    return;
  }
  auto batch = std::make_shared<nlohmann::json>(std::move(entries));
  client_->send(owner_request("POST", "/__admin/world/journal", nlohmann::json{{"entries", *batch}}.dump()),
                [this, batch](client_result r) {
                  if (r.status != 200) {  // put them back, oldest first; the bound still holds
                    std::lock_guard lock(mutex_);
                    for (auto it = batch->rbegin(); it != batch->rend(); ++it)
                      if (auto e = journal_entry_from_json(*it)) queue_.push_front(std::move(*e));
                    while (queue_.size() > max_queued_entries) {
                      queue_.pop_front();
                      ++dropped_;
                    }
                  }
                  flushing_ = false;
                });
}

void world_link::sync() {
  if (syncing_.exchange(true)) return;
  client_->send(owner_request("GET", "/__admin/world/state", ""), [this](client_result r) {
    std::string error;
    auto body = r.status == 200 ? parse_json_object(r.body, error) : std::nullopt;
    auto clock = body && body->contains("clock") ? clock_state_from_json((*body)["clock"]) : std::nullopt;
    if (!clock) {
      set_connected(false, !r.error.empty() ? r.error : "GET /__admin/world/state answered " + std::to_string(r.status));
      syncing_ = false;
      return;
    }
    set_connected(true, "");
    if (cb_.clock) cb_.clock(*clock);
    auto version = body->contains("sheets_version") && (*body)["sheets_version"].is_number_unsigned()
                       ? (*body)["sheets_version"].get<std::uint64_t>()
                       : 0;
    if (version == sheets_version_.load()) {
      syncing_ = false;
      return;
    }
    client_->send(owner_request("GET", "/__admin/changes?full=1", ""), [this, version](client_result c) {
      std::string err;
      auto list = c.status == 200 ? parse_json_object(c.body, err) : std::nullopt;
      if (list && list->contains("changes") && (*list)["changes"].is_array()) {
        std::vector<sheet_change> changes;
        bool ok = true;
        for (const auto& j : (*list)["changes"]) {
          auto change = sheet_change_from_json(j);
          ok = ok && change.has_value();
          if (change) changes.push_back(std::move(*change));
        }
        if (ok) {
          if (cb_.sheets) cb_.sheets(std::move(changes));
          sheets_version_ = version;
        }
      }
      syncing_ = false;
    });
  });
}

nlohmann::json world_link::status() const {
  std::lock_guard lock(mutex_);
  return {{"owner", owner_},
          {"connected", connected_.load()},
          {"last_error", last_error_},
          {"journal_queued", queue_.size()},
          {"journal_dropped", dropped_}};
}

}  // namespace mynasim
