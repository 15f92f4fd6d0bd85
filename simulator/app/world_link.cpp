// SPDX-License-Identifier: Apache-2.0
#include "app/world_link.hpp"

#include "core/json_util.hpp"
#include "core/router.hpp"
#include "faults/decision_wire.hpp"
#include "net/http_client.hpp"

namespace mynasim {

namespace {
constexpr std::size_t max_entries_per_post = 500;
constexpr std::chrono::milliseconds first_sheets_retry{1000}, last_sheets_retry{30000};

// GET /__admin/changes?full=1 with every change at its largest: the owner's budget plus the
// envelope ({"changes":[…],"version":…}, a comma per change) fits what a follower reads.
static_assert(max_change_list_bytes + 10'000'000 < world_link::max_answer_bytes,
              "a follower must be able to read the owner's whole change list");

// The owner's runtime changes from GET /__admin/changes?full=1; nullopt and `why` otherwise.
std::optional<std::vector<sheet_change>> read_changes(const client_result& c, std::string& why) {
  const std::string what = "GET /__admin/changes?full=1";
  if (c.status == 0) {
    why = what + ": " + c.error;
    return std::nullopt;
  }
  if (c.status != 200) {
    why = what + " answered " + std::to_string(c.status);
    return std::nullopt;
  }
  std::string error;
  auto list = parse_json_object(c.body, error);
  if (!list || !list->contains("changes") || !(*list)["changes"].is_array()) {
    why = what + ": a malformed answer" + (error.empty() ? "" : ": " + error);
    return std::nullopt;
  }
  std::vector<sheet_change> changes;
  for (const auto& j : (*list)["changes"]) {
    auto change = sheet_change_from_json(j);
    if (!change) {
      why = what + ": a change this process cannot read";
      return std::nullopt;
    }
    changes.push_back(std::move(*change));
  }
  return changes;
}
}  // namespace

world_link::world_link(std::string owner_url, std::string token, std::string node, http_client& client,
                       link_callbacks cb)
    : owner_(std::move(owner_url)),
      token_(std::move(token)),
      node_(std::move(node)),
      client_(&client),
      cb_(std::move(cb)) {
  while (!owner_.empty() && owner_.back() == '/') owner_.pop_back();
}

client_request world_link::owner_request(std::string method, const std::string& target, std::string body) const {
  client_request r;
  r.method = std::move(method);
  r.url = owner_ + target;
  r.body = std::move(body);
  r.timeout = std::chrono::seconds(5);
  r.body_limit = max_answer_bytes;
  r.headers = {{"content-type", "application/json"}};
  if (!token_.empty()) r.headers.push_back({"authorization", "Bearer " + token_});
  return r;
}

void world_link::set_connected(bool up, const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    last_error_ = up ? "" : why;
    if (up) last_answer_ = std::chrono::steady_clock::now();
  }
  if (connected_.exchange(up) != up && cb_.log)
    cb_.log(up ? "world_owner_reachable" : "world_owner_unreachable", {{"owner", owner_}, {"detail", why}});
}

void world_link::decide(const http_request& req, const std::string& prefix, std::function<void(owner_verdict)> done) {
  nlohmann::json facts{{"system", req.system},           {"listener", req.listener},
                       {"method", req.method},           {"path", req.path},
                       {"client_id", req.client_id},     {"persona", req.persona},
                       {"telegram_id", req.telegram_id}, {"process_id", req.process_id}};
  client_->send(owner_request("POST", prefix + "/__admin/world/decide", facts.dump()),
                [this, done = std::move(done)](const client_result& r) {
                  owner_verdict v;
                  if (r.status == 404 && r.body.find("\"unknown_world\"") != std::string::npos) {
                    set_connected(true, "");
                    v.unknown_world = true;
                    v.error = "the world owner " + owner_ + " holds no such world";
                    return done(std::move(v));
                  }
                  std::string error;
                  auto body = r.status == 200 ? parse_json_object(r.body, error) : std::nullopt;
                  auto clock = body && body->contains("clock") ? clock_state_from_json((*body)["clock"]) : std::nullopt;
                  auto d = body && body->contains("decision") ? decision_from_json((*body)["decision"]) : std::nullopt;
                  if (!clock || !d) {
                    auto why = !r.error.empty()  ? r.error
                               : r.status != 200 ? "the owner answered " + std::to_string(r.status)
                                                 : "the owner's answer is malformed";
                    set_connected(false, why);
                    v.error = "the world owner " + owner_ + " did not answer: " + why;
                    return done(std::move(v));
                  }
                  v.clock = clock;
                  v.decision = std::move(d);
                  if (body->contains("sheets_version") && (*body)["sheets_version"].is_number_unsigned())
                    v.sheets_version = (*body)["sheets_version"].get<std::uint64_t>();
                  set_connected(true, "");
                  done(std::move(v));
                });
}

void world_link::world_info(const std::string& id, std::function<void(int, nlohmann::json, std::string)> done) {
  client_->send(owner_request("GET", "/__admin/worlds/" + id, ""),
                [this, done = std::move(done)](const client_result& r) {
                  if (r.status == 0) {
                    set_connected(false, r.error);
                    return done(0, nullptr, "the world owner " + owner_ + " did not answer: " + r.error);
                  }
                  std::string error;
                  auto body = parse_json_object(r.body, error);
                  if (r.status != 200 || !body)
                    return done(r.status == 200 ? 502 : r.status, nullptr,
                                "GET /__admin/worlds answered " + std::to_string(r.status));
                  done(200, std::move(*body), "");
                });
}

void world_link::world_changes(const std::string& prefix, changes_fn done) {
  client_->send(owner_request("GET", prefix + "/__admin/changes?full=1", ""),
                [done = std::move(done)](const client_result& c) {
                  std::string why;
                  auto changes = read_changes(c, why);
                  done(std::move(changes), why);
                });
}

void world_link::forward(const http_request& req, respond_fn respond, bool callers_credentials) {
  auto target = req.target.empty() ? req.path : req.target;
  auto call = owner_request(req.method, target, req.body);
  if (callers_credentials) {
    std::erase_if(call.headers, [](const http_header& h) { return h.name == "authorization"; });
    if (const auto* a = req.header("authorization")) call.headers.push_back({"authorization", *a});
  }
  client_->send(std::move(call), [this, respond = std::move(respond)](client_result r) {
    if (r.status == 0) {
      set_connected(false, r.error);
      return respond(
          json_error(503, "world_owner_unreachable",
                     "this process follows the world owner " + owner_ + ", which did not answer: " + r.error));
    }
    http_response res(r.status, {}, std::move(r.body));
    for (const char* name : {"content-type", "www-authenticate", "location", "retry-after", "cache-control"})
      if (const auto* value = r.header(name)) res.set(name, *value);
    respond(std::move(res));
  });
}

void world_link::record(journal_entry e, std::string world) {
  e.node = node_;
  std::lock_guard lock(mutex_);
  queue_.emplace_back(std::move(world), std::move(e));
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
      auto j = journal_json(queue_.front().second);
      if (!queue_.front().first.empty()) j["world"] = queue_.front().first;
      entries.push_back(std::move(j));
      queue_.pop_front();
    }
  }
  if (entries.empty()) {
    flushing_ = false;
    return;
  }
  auto batch = std::make_shared<nlohmann::json>(std::move(entries));
  client_->send(owner_request("POST", "/__admin/world/journal", nlohmann::json{{"entries", *batch}}.dump()),
                [this, batch](const client_result& r) {
                  if (r.status != 200) {  // put them back, oldest first; the bound still holds
                    std::lock_guard lock(mutex_);
                    for (auto it = batch->rbegin(); it != batch->rend(); ++it)
                      if (auto e = journal_entry_from_json(*it)) {
                        auto world = it->contains("world") && (*it)["world"].is_string()
                                         ? (*it)["world"].get<std::string>()
                                         : std::string();
                        queue_.emplace_front(std::move(world), std::move(*e));
                      }
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
  client_->send(owner_request("GET", "/__admin/world/state", ""), [this](const client_result& r) {
    std::string error;
    auto body = r.status == 200 ? parse_json_object(r.body, error) : std::nullopt;
    auto clock = body && body->contains("clock") ? clock_state_from_json((*body)["clock"]) : std::nullopt;
    if (!clock) {
      set_connected(false,
                    !r.error.empty() ? r.error : "GET /__admin/world/state answered " + std::to_string(r.status));
      syncing_ = false;
      return;
    }
    set_connected(true, "");
    if (cb_.clock) cb_.clock(*clock);
    auto version = body->contains("sheets_version") && (*body)["sheets_version"].is_number_unsigned()
                       ? (*body)["sheets_version"].get<std::uint64_t>()
                       : 0;
    bool wait = false;
    {
      std::lock_guard lock(mutex_);
      wait = std::chrono::steady_clock::now() < next_sheets_attempt_;
    }
    if (version == sheets_version_.load() || wait) {
      syncing_ = false;
      return;
    }
    fetch_sheets(version);
  });
}

// The owner's whole change list, adopted over this process's files; syncing_ is held until done.
void world_link::fetch_sheets(std::uint64_t version) {
  client_->send(owner_request("GET", "/__admin/changes?full=1", ""), [this, version](const client_result& c) {
    std::string why;
    auto changes = read_changes(c, why);
    if (!changes) {
      sheets_failed(why);
      syncing_ = false;
      return;
    }
    if (!cb_.sheets) {
      sheets_adopted(version);
      syncing_ = false;
      return;
    }
    cb_.sheets(std::move(*changes), [this, version](bool ok, const std::string& refused) {
      if (ok)
        sheets_adopted(version);
      else
        sheets_failed("the owner's sheets were refused here: " + refused);
      syncing_ = false;
    });
  });
}

void world_link::sheets_failed(const std::string& why) {
  bool was_in_sync = false;
  std::chrono::milliseconds wait{};
  {
    std::lock_guard lock(mutex_);
    was_in_sync = sheets_error_.empty();
    sheets_error_ = why;
    sheets_backoff_ = was_in_sync ? first_sheets_retry : std::min(sheets_backoff_ * 2, last_sheets_retry);
    wait = sheets_backoff_;
    next_sheets_attempt_ = std::chrono::steady_clock::now() + wait;
  }
  if (was_in_sync && cb_.log)
    cb_.log("world_sheets_out_of_sync", {{"owner", owner_}, {"detail", why}, {"retry_in_ms", wait.count()}});
}

void world_link::sheets_adopted(std::uint64_t version) {
  sheets_version_ = version;
  bool was_out = false;
  {
    std::lock_guard lock(mutex_);
    was_out = !sheets_error_.empty();
    sheets_error_.clear();
    sheets_backoff_ = std::chrono::milliseconds{0};
    next_sheets_attempt_ = {};
  }
  if (was_out && cb_.log) cb_.log("world_sheets_in_sync", {{"owner", owner_}, {"sheets_version", version}});
}

std::string world_link::not_ready_reason() const {
  std::lock_guard lock(mutex_);
  if (!connected_.load()) return "the world owner " + owner_ + " is not reachable: " + last_error_;
  auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_answer_);
  if (silent > silence_limit)
    return "the world owner " + owner_ + " has not answered for " + std::to_string(silent.count()) + " ms";
  if (!sheets_error_.empty()) return "the sheets of the world owner " + owner_ + " are not adopted: " + sheets_error_;
  if (sheets_version_.load() == 0) return "waiting for the sheets of the world owner " + owner_;
  return "";
}

nlohmann::json world_link::status() const {
  std::lock_guard lock(mutex_);
  return {{"owner", owner_},
          {"connected", connected_.load()},
          {"last_error", last_error_},
          {"journal_queued", queue_.size()},
          {"journal_dropped", dropped_},
          {"sheets_version", sheets_version_.load()},
          {"sheets_error", sheets_error_}};
}

}  // namespace mynasim
