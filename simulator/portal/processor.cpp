// SPDX-License-Identifier: Apache-2.0
#include "portal/processor.hpp"

#include "core/json_util.hpp"
#include "net/http_client.hpp"
#include "net/server.hpp"
#include "portal/provision_answer.hpp"

namespace mynasim {

std::shared_ptr<const process_result> process_record::empty_result() {
  static const auto empty = std::make_shared<const process_result>();
  return empty;
}

namespace {
// A result as it is kept: its provider status also serialised, once.
std::shared_ptr<const process_result> sealed(std::shared_ptr<process_result> r) {
  r->provider_status_text = dump_json(r->provider_status);
  return r;
}

// What one IF001-05 attempt, begun now, will report; its answer fills in the rest.
notification_report attempt_report(const client_request& req, int attempt, const std::vector<std::string>& fired,
                                   instant began, std::uint64_t start_seq) {
  notification_report r;
  r.url = req.url;
  r.sent_body = req.body;
  r.attempt = attempt;
  r.fired = fired;
  r.started = began;
  r.start_seq = start_seq;
  return r;
}
}  // namespace

processor::processor(world_runtime& rt, http_server& server, http_client& client, url_fn url_of, id_generator& ids)
    : rt_(&rt),
      server_(&server),
      client_(&client),
      url_of_(std::move(url_of)),
      ids_(&ids),
      // Kept twice as long as results live, so that an expired result is told apart from an unknown one.
      processes_(rt.data.get()->portal.max_processes, rt.data.get()->portal.result_lifetime * 2),
      telegram_ids_(rt.data.get()->portal.max_processes * 2, rt.data.get()->portal.result_lifetime * 2) {}

void processor::reset() {
  processes_.clear();
  telegram_ids_.clear();
  std::lock_guard lock(access_mutex_);
  access_.clear();
}

std::optional<std::string> processor::start(const std::string& client_id, const std::string& persona_id,
                                            const std::string& telegram_id, const std::string& mode, const inquiry& q) {
  const auto data = rt_->data.get();
  const auto* service = data->find_service(client_id);
  if (!service) return std::nullopt;  // removed since the token was checked
  auto now = rt_->clock.now();
  if (!telegram_ids_.put(client_id + "/" + telegram_id, true, now, client_id)) return std::nullopt;
  process_record p;
  p.process_id = ids_->digits(20);
  p.client_id = client_id;
  p.persona_id = persona_id;
  p.telegram_id = telegram_id;
  p.mode = mode;
  p.query = q;
  p.items = std::make_shared<const std::vector<std::string>>(service->items);
  p.created = now;
  auto id = p.process_id;
  processes_.put(id, std::move(p), now, client_id);
  server_->schedule(data->portal.processing_delay, [this, id, hold = keep_alive_()] { run(id); });
  return id;
}

std::optional<process_record> processor::find(const std::string& id) {
  return processes_.get(id, rt_->clock.now());
}

processor::counts_t processor::counts() {
  counts_t c;
  processes_.for_each(rt_->clock.now(), [&](const std::string&, const process_record& p) {
    if (!p.ready)
      ++c.pending;
    else if (expired(p))
      ++c.expired;
    else
      ++c.ready;
  });
  return c;
}

std::vector<process_record> processor::recent(std::size_t limit) {
  std::deque<process_record> newest;
  processes_.for_each(rt_->clock.now(), [&](const std::string&, const process_record& p) {
    newest.push_back(p);
    if (newest.size() > limit) newest.pop_front();
  });
  return {std::make_move_iterator(newest.rbegin()), std::make_move_iterator(newest.rend())};
}

bool processor::expired(const process_record& p) const {
  const auto data = rt_->data.get();
  return p.ready && rt_->clock.now() - p.ready_at > data->portal.result_lifetime;
}

std::string processor::failure_key(const nlohmann::json& failure) const {
  auto code = failure.contains("reason") ? string_member(failure["reason"], "code") : std::string();
  if (code == "outside_hours") return "system_outside_hours";
  if (code == "closed_weekday" || code == "closed_holiday") return "system_closed_day";
  if (code == "planned_outage") return "system_planned_outage";
  if (code == "forced_down") return "system_forced_down";
  return "system_error";
}

namespace {
// The `reason` of an injected fault's answer (an outage's reason is not a declaration).
const nlohmann::json* injected_reason(const nlohmann::json& failure) {
  if (!failure.is_object() || !failure.contains("reason") || !failure["reason"].is_object()) return nullptr;
  const auto& r = failure["reason"];
  return string_member(r, "code") == "injected" ? &r : nullptr;
}
}  // namespace

std::string processor::declared_code(const nlohmann::json& failure) {
  const auto* r = injected_reason(failure);
  return r ? string_member(*r, "errorCode") : "";
}

std::string processor::outage_message(const std::string& key, const nlohmann::json& failure) const {
  // A fault or scenario that declared a message: that is what the user reads.
  if (const auto* r = injected_reason(failure))
    if (auto declared = string_member(*r, "message"); !declared.empty()) return declared;
  const auto data = rt_->data.get();
  std::string msg = data->errors.at(key).message;
  auto replace = [&](const std::string& what, const std::string& with) {
    for (auto pos = msg.find(what); pos != std::string::npos; pos = msg.find(what, pos + with.size()))
      msg.replace(pos, what.size(), with);
  };
  std::string detail;
  if (failure.contains("reason") && failure["reason"].is_object())
    detail = string_member(failure["reason"], "detail", string_member(failure["reason"], "message"));
  std::string reopens;
  if (failure.contains("reopens_at") && failure["reopens_at"].is_string())
    reopens = failure["reopens_at"].get<std::string>() + "に再開予定です。";
  replace("{system}", string_member(failure, "name", string_member(failure, "system")));
  replace("{detail}", detail);
  replace("{reopens}", reopens);
  return msg;
}

namespace {

const system_config* network_system(const world_config& world) {
  const system_config* network = nullptr;
  for (const auto& s : world.systems)
    if (s.kind == system_kind::network) network = &s;
  return network;
}

// A failed provision as the network answered it, naming the network unless the answer names a system.
nlohmann::json network_failure(const system_config& network, const nlohmann::json& body) {
  nlohmann::json failure = body.is_object() ? body : nlohmann::json::object();
  if (!failure.contains("system") || !failure["system"].is_string()) failure["system"] = network.id;
  if (!failure.contains("name") || !failure["name"].is_string()) failure["name"] = network.name;
  return failure;
}

// How the holders of a provision answered: how many failed, and the first that did.
struct holder_failures {
  std::size_t count = 0;
  const nlohmann::json* first = nullptr;
};

// Adds each holder's provider status to the result; a failed holder's says why.
holder_failures add_provider_statuses(const provision_answer& answer, process_result& result) {
  holder_failures failed;
  for (const auto& h : answer.holders) {
    nlohmann::json status = nlohmann::json::object();
    status["system"] = string_member(h, "system");
    status["name"] = string_member(h, "name");
    status["status"] = string_member(h, "status", "error");
    if (status["status"] != "ok") {
      ++failed.count;
      if (!failed.first) failed.first = &h;
      for (const char* k : {"reason", "reopens_at", "detail"})
        if (h.contains(k)) status[k] = h[k];
    }
    result.provider_status.push_back(std::move(status));
  }
  return failed;
}

}  // namespace

void processor::run(const std::string& id) {
  const auto data = rt_->data.get();
  client_request req;
  nlohmann::json ask = nlohmann::json::object();
  bool found = processes_.with(id, rt_->clock.now(), [&](const process_record& p) {
    const auto* persona = data->find_persona(p.persona_id);
    req.headers = {{"content-type", "application/json"},
                   {"x-mynasim-client-id", p.client_id},
                   {"x-mynasim-persona", p.persona_id},
                   {"x-mynasim-process-id", id},
                   {"x-mynasim-telegram-id", p.telegram_id},
                   {hop_seal_header, rt_->hops.seal({p.client_id, p.persona_id, id, p.telegram_id})}};
    ask["process_id"] = id;
    ask["card_serial"] = persona ? persona->card.serial : "";
    ask["items"] = *p.items;
    ask["inquiry"] = inquiry_json(p.query);
  });
  if (!found) return;
  const auto* network = network_system(rt_->world);
  req.url = url_of_(network->id) + "/provision";
  req.timeout = data->portal.hop_timeout * 3;
  req.body = dump_json(ask);
  client_->send(std::move(req), [this, id, network, hold = keep_alive_()](const client_result& r) {
    on_provision_answer(id, *network, r);
  });
}

void processor::on_provision_answer(const std::string& id, const system_config& network, const client_result& r) {
  // The network may run in another process: its answer is checked for shape as it is read,
  // and one of the wrong shape is that system's failure, not ours.
  std::optional<provision_answer> answer;
  nlohmann::json body;
  if (r.status == 200) {
    answer = read_provision_answer(r.body);
    if (!answer)
      body = {{"error", "malformed_answer"}, {"detail", "the answer of " + network.id + " is not a provision result"}};
  } else {
    std::string ignored;
    body = parse_json(r.body, ignored).value_or(nlohmann::json());
  }
  if (!answer) return finish_unprovided(id, network_failure(network, body));
  finish_provided(id, *answer);
}

void processor::finish_unprovided(const std::string& id, const nlohmann::json& failure) {
  auto key = failure_key(failure);
  auto message = outage_message(key, failure);
  auto declared = declared_code(failure);
  finish(id, [&](process_record& rec) {
    rec.error_key = key;
    rec.error_message = message;
    rec.error_code = declared;
    auto result = std::make_shared<process_result>();
    result->provider_status.push_back({{"system", failure["system"]},
                                       {"name", failure["name"]},
                                       {"status", "unavailable"},
                                       {"reason", failure.value("reason", nlohmann::json())},
                                       {"reopens_at", failure.value("reopens_at", nlohmann::json())}});
    rec.result = sealed(std::move(result));
  });
}

void processor::finish_provided(const std::string& id, const provision_answer& answer) {
  finish(id, [&](process_record& rec) {
    auto result = std::make_shared<process_result>();
    const auto failed = add_provider_statuses(answer, *result);
    // The records were grouped by 提供機関 and 情報名 as the answer was read.
    result->data_text = answer.personal_data_text();
    rec.result = sealed(std::move(result));
    const std::size_t holders = answer.holders.size(), records = answer.record_count;
    if (failed.count > 0 && failed.count == holders) {
      rec.error_key = failure_key(*failed.first);
      rec.error_message = outage_message(rec.error_key, *failed.first);
      rec.error_code = declared_code(*failed.first);
    } else if (failed.count > 0) {
      rec.error_key = "partial_result";
    } else if (records == 0) {
      rec.error_key = "no_data";
    }
    if (!rec.error_key.empty() && rec.error_message.empty())
      rec.error_message = rt_->data.get()->errors.at(rec.error_key).message;
  });
}

void processor::finish(const std::string& id, const std::function<void(process_record&)>& fill) {
  const auto data = rt_->data.get();
  std::string persona_id;
  access_record access;
  bool found = processes_.with(id, rt_->clock.now(), [&](process_record& p) {
    fill(p);
    p.ready = true;
    p.ready_at = rt_->clock.now();
    persona_id = p.persona_id;
    const auto* service = data->find_service(p.client_id);
    access = {p.ready_at,
              p.client_id,
              service ? service->name : "",
              p.process_id,
              p.error_key.empty() ? "provided" : p.error_key,
              p.items};
  });
  if (!found) return;
  record_access(persona_id, std::move(access));
  notify(id, 1);
}

void processor::notify(const std::string& id, int attempt) {
  const auto data = rt_->data.get();
  std::string client_id, persona_id;
  if (!processes_.with(id, rt_->clock.now(),
                       [&](const process_record& p) {
                         client_id = p.client_id;
                         persona_id = p.persona_id;
                       }) ||
      !data->find_connection(client_id))
    return;
  bool drop = false;
  millis delay{0};
  int copies = 1;
  std::vector<std::string> fired;
  if (hooks_.policy && attempt == 1) hooks_.policy(client_id, persona_id, drop, delay, copies, fired);
  if (drop) {
    auto p = find(id);
    if (hooks_.observed && p) {
      notification_report r;
      r.url = data->find_connection(client_id)->notification_url;
      r.answer = "dropped by fault";
      r.outcome = "dropped";
      r.fired = fired;
      r.started = rt_->clock.now();
      r.start_seq = hooks_.began ? hooks_.began() : 0;
      hooks_.observed(r, *p);
    }
    return;
  }
  for (int i = 0; i < copies; ++i) {
    if (delay.count() > 0)
      server_->schedule(delay,
                        [this, id, attempt, fired, hold = keep_alive_()] { send_notification(id, attempt, fired); });
    else
      send_notification(id, attempt, fired);
  }
}

void processor::send_notification(const std::string& id, int attempt, const std::vector<std::string>& fired) {
  const auto data = rt_->data.get();
  const auto& settings = data->portal;
  const connection_config* conn = nullptr;
  nlohmann::json header = nlohmann::json::object();
  if (!processes_.with(id, rt_->clock.now(), [&](const process_record& p) {
        conn = data->find_connection(p.client_id);
        header["telegramId"] = p.telegram_id;
        header["telegramType"] = settings.notification_type;
        header["mode"] = p.mode;
        header["processId"] = p.process_id;
        header["errorCode"] = !p.error_code.empty() ? p.error_code
                              : p.error_key.empty() ? std::string()
                                                    : data->errors.at(p.error_key).code;
      }))
    return;
  if (!conn) return;  // the connection was removed (admin API, reload): nobody to notify
  client_request req;
  req.url = conn->notification_url;
  req.headers = {{"content-type", "application/json"}};
  req.timeout = settings.notification_timeout;
  req.body_limit = std::size_t{64} * 1024;  // an acknowledgement is a commonHeader; nothing larger is read
  nlohmann::json body = nlohmann::json::object();
  body["commonHeader"] = std::move(header);
  req.body = dump_json(body);
  auto report = attempt_report(req, attempt, fired, rt_->clock.now(), hooks_.began ? hooks_.began() : 0);
  auto started = std::chrono::steady_clock::now();
  client_->send(std::move(req), [this, id, attempt, started, report = std::move(report),
                                 hold = keep_alive_()](const client_result& r) mutable {
    notification_attempt a{rt_->clock.now(), r.status, r.error, {}};
    std::string ignored;
    auto answer = parse_json_object(r.body, ignored).value_or(nlohmann::json::object());
    if (answer.contains("commonHeader")) a.telegram_type = string_member(answer["commonHeader"], "telegramType");
    bool ok = r.status >= 200 && r.status < 300;
    std::optional<process_record> snapshot;
    processes_.with(id, rt_->clock.now(), [&](process_record& rec) {
      rec.notifications.push_back(a);
      snapshot = rec;
    });
    const auto s = rt_->data.get()->portal;
    std::optional<millis> retry;
    if (!ok && attempt < s.notification_attempts) retry = s.notification_first_retry * (1 << std::min(attempt - 1, 10));
    if (hooks_.observed && snapshot) {
      report.answer = r.error.empty() ? r.body : r.error;
      report.status = r.status;
      report.latency = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - started);
      report.next_retry = retry;
      report.outcome = ok ? "delivered" : "failed";
      hooks_.observed(report, *snapshot);
    }
    if (retry)
      server_->schedule(*retry,
                        [this, id, attempt, fired = report.fired, hold] { send_notification(id, attempt + 1, fired); });
  });
}

void processor::record_access(const std::string& persona_id, access_record a) {
  const auto data = rt_->data.get();
  std::lock_guard lock(access_mutex_);
  auto& list = access_[persona_id];
  list.push_back(std::move(a));
  while (list.size() > data->portal.max_access_records) list.pop_front();
}

std::vector<access_record> processor::access_records(const std::string& persona_id) {
  std::lock_guard lock(access_mutex_);
  auto it = access_.find(persona_id);
  if (it == access_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace mynasim
