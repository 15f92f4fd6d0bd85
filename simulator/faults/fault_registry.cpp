// SPDX-License-Identifier: Apache-2.0
#include "faults/fault_registry.hpp"

#include <cmath>

#include "core/json_util.hpp"

namespace mynasim {

fault_registry::fault_registry(world_runtime& rt) : rt_(&rt) {}

std::optional<std::string> fault_registry::add(fault f, std::string& error) {
  return insert(std::move(f), false, error);
}

std::optional<std::string> fault_registry::add_for_request(fault f, std::string& error) {
  return insert(std::move(f), true, error);
}

std::optional<std::string> fault_registry::insert(fault f, bool per_request, std::string& error) {
  bool listener = f.target == "app" || f.target == "sp";
  if (!listener && !rt_->world.find_system(f.target)) {
    error = "unknown target '" + f.target + "' (a system id, or app / sp)";
    return std::nullopt;
  }
  if (f.kind == fault_kind::down) {
    if (listener || !f.endpoint.empty() || !f.client_id.empty() || !f.persona.empty() || f.probability < 1 ||
        f.remaining) {
      error = "down applies to a whole system for a time: give a system id and optionally for/until only";
      return std::nullopt;
    }
  }
  if (!f.client_id.empty() && !rt_->data.get()->find_service(f.client_id)) {
    error = "unknown client_id '" + f.client_id + "'";
    return std::nullopt;
  }
  if (!f.persona.empty() && !rt_->data.get()->find_persona(f.persona)) {
    error = "unknown persona '" + f.persona + "'";
    return std::nullopt;
  }
  if (is_notification_fault(f.kind) && f.target != "portal" && f.target != "sp") {
    error = "notification faults target the portal (target: portal)";
    return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  expire_locked(rt_->clock.now());
  if (per_request) {
    while (request_faults_.size() >= max_request_faults) evict_request_fault_locked();
    f.id = "request-" + std::to_string(next_request_id_++);
  } else if (admin_faults_ >= rt_->world.qa.max_faults) {
    error =
        "too many active faults (qa.max_faults = " + std::to_string(rt_->world.qa.max_faults) + "): remove some first";
    return std::nullopt;
  }
  if (f.id.empty()) f.id = "fault-" + std::to_string(next_id_++);
  if (faults_.count(f.id)) {
    error = "a fault with id '" + f.id + "' exists already";
    return std::nullopt;
  }
  auto id = f.id;
  const bool down = f.kind == fault_kind::down;
  const auto target = f.target;
  active a{std::move(f), std::mt19937_64(0), {}, 0, per_request, {}};
  if (per_request) {
    a.in_pool = request_faults_.insert(request_faults_.end(), id);
    ++request_owners_[a.spec.client_id];
  } else {
    ++admin_faults_;
  }
  a.rng.seed(a.spec.seed);
  faults_.emplace(id, std::move(a));
  if (down) refresh_forced_locked(target);
  return id;
}

void fault_registry::refresh_forced_locked(const std::string& target) {
  const active* longest = nullptr;
  for (const auto& [id, a] : faults_) {
    if (a.spec.kind != fault_kind::down || a.spec.target != target) continue;
    if (!longest || (longest->spec.until && (!a.spec.until || *a.spec.until > *longest->spec.until))) longest = &a;
  }
  if (longest)
    rt_->availability.force_down(target, longest->spec.until, "fault " + longest->spec.id);
  else
    rt_->availability.clear_forced(target);
}

void fault_registry::drop_locked(std::map<std::string, active>::iterator it) {
  auto& a = it->second;
  const bool down = a.spec.kind == fault_kind::down;
  const auto target = a.spec.target;
  if (a.per_request) {
    request_faults_.erase(a.in_pool);
    if (auto o = request_owners_.find(a.spec.client_id); o != request_owners_.end() && --o->second == 0)
      request_owners_.erase(o);
  } else {
    --admin_faults_;
  }
  faults_.erase(it);
  if (down) refresh_forced_locked(target);  // another down fault on it may still hold it
}

void fault_registry::evict_request_fault_locked() {
  auto largest = request_owners_.begin();
  for (auto o = request_owners_.begin(); o != request_owners_.end(); ++o)
    if (o->second > largest->second) largest = o;
  for (const auto& id : request_faults_)
    if (auto it = faults_.find(id); it != faults_.end() && it->second.spec.client_id == largest->first)
      return drop_locked(it);
  if (auto it = faults_.find(request_faults_.front()); it != faults_.end()) return drop_locked(it);
  request_faults_.pop_front();  // cannot happen: every id in the pool is a live fault
}

bool fault_registry::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(id);
  if (it == faults_.end()) return false;
  drop_locked(it);
  return true;
}

void fault_registry::clear() {
  std::lock_guard lock(mutex_);
  while (!faults_.empty()) drop_locked(faults_.begin());
  next_id_ = next_request_id_ = 1;
}

void fault_registry::expire_locked(instant now) {
  for (auto it = faults_.begin(); it != faults_.end();) {
    auto next = std::next(it);
    const auto& f = it->second.spec;
    if ((f.until && now >= *f.until) || (f.remaining && *f.remaining <= 0)) drop_locked(it);
    it = next;
  }
}

bool fault_registry::any_active_locked(instant now) {
  if (faults_.empty()) return false;
  expire_locked(now);
  return !faults_.empty();
}

std::vector<fault> fault_registry::list() {
  std::lock_guard lock(mutex_);
  expire_locked(rt_->clock.now());
  std::vector<fault> out;
  for (auto& [id, a] : faults_) out.push_back(a.spec);
  return out;
}

bool fault_registry::matches(const fault& f, const http_request& req) const {
  bool target = f.target == req.system || (req.system == "portal" && f.target == req.listener);
  if (!target) return false;
  if (!f.endpoint.empty() && req.path.rfind(f.endpoint, 0) != 0) return false;
  if (!f.client_id.empty() && f.client_id != req.client_id) return false;
  if (!f.persona.empty() && f.persona != req.persona) return false;
  if (!f.telegram_id.empty() && f.telegram_id != req.telegram_id) return false;
  return true;
}

bool fault_registry::fires_locked(active& a) {
  if (a.spec.probability < 1.0) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (u(a.rng) >= a.spec.probability) return false;
  }
  if (a.spec.remaining) --*a.spec.remaining;
  return true;
}

fault_decision fault_registry::decide(const http_request& req) {
  std::vector<fault> fired;
  auto d = decide_and_collect(req, fired);
  report(fired);
  return d;
}

bool fault_registry::quota_exceeded_locked(active& a, instant now) {
  if (now - a.window_start >= a.spec.window) {
    a.window_start = now;
    a.window_count = 0;
  }
  return ++a.window_count > a.spec.limit && fires_locked(a);
}

millis fault_registry::draw_latency_locked(active& a) {
  const auto& f = a.spec;
  if (f.distribution == "uniform") {
    std::uniform_int_distribution<long> u(f.latency.count(), f.latency_max.count());
    return millis{u(a.rng)};
  }
  if (f.distribution == "lognormal") {
    std::normal_distribution<double> n(0.0, 1.0);
    return millis{static_cast<long>(static_cast<double>(f.latency.count()) * std::exp(f.sigma * n(a.rng)))};
  }
  return f.latency;
}

namespace {

// The answer of an http_error or quota fault, in the shape of an error and of a telegram.
http_response injected_error(const std::string& id, const fault& f, const http_request& req) {
  std::string code =
      f.error_code.empty() ? (f.kind == fault_kind::quota ? "quota_exceeded" : "injected_error") : f.error_code;
  std::string message = f.message.empty() ? "fault " + id + " (" + to_string(f.kind) + ")" : f.message;
  // What the fault declared travels in `reason`, so that the portal can hand exactly
  // that to the API user (a telegram endpoint reshapes this answer into its telegram).
  nlohmann::json reason{{"code", "injected"}, {"fault", id}, {"kind", to_string(f.kind)}};
  if (!f.error_code.empty()) reason["errorCode"] = f.error_code;
  // A reason always says itself in words (as an outage's does), in Japanese for the person.
  reason["message"] =
      f.message.empty() ? "テスト用に注入された障害です（" + id + "、" + to_string(f.kind) + "）" : f.message;
  return json_response(
      f.status,
      {{"error", code},
       {"error_description", message},
       {"reason", reason},
       {"commonHeader", {{"telegramId", req.telegram_id}, {"processId", req.process_id}, {"errorCode", code}}},
       {"errorMessage", message}});
}

// What a fault that acts on the connection or the body does to the transport.
void apply_transport_fault(const fault& f, transport_fault& t) {
  switch (f.kind) {
    case fault_kind::hang:
      t.what = transport_fault::action::hang;
      break;
    case fault_kind::reset:
      t.what = transport_fault::action::reset;
      break;
    case fault_kind::empty_response:
      t.what = transport_fault::action::empty;
      break;
    case fault_kind::malformed_body:
      t.what = transport_fault::action::malformed;
      break;
    case fault_kind::truncated_body:
      t.what = transport_fault::action::truncate;
      break;
    case fault_kind::slow_body:
      t.what = transport_fault::action::slow;
      t.pause = f.delay.count() ? f.delay : millis{100};
      t.chunk = f.chunk;
      break;
    default:
      break;
  }
}

}  // namespace

void fault_registry::apply_locked(const std::string& id, active& a, const http_request& req, instant now,
                                  fault_decision& d) {
  const auto& f = a.spec;
  switch (f.kind) {
    case fault_kind::latency:
      d.transport.delay += draw_latency_locked(a);
      break;
    case fault_kind::http_error:
    case fault_kind::quota: {
      auto res = injected_error(id, f, req);
      if (f.kind == fault_kind::quota)
        res.set("retry-after",
                std::to_string(std::max<long>(
                    1, std::chrono::ceil<std::chrono::seconds>(a.window_start + f.window - now).count())));
      if (!d.response) d.response = std::move(res);
      break;
    }
    default:
      apply_transport_fault(f, d.transport);
      break;
  }
}

fault_decision fault_registry::decide_and_collect(const http_request& req, std::vector<fault>& fired) {
  fault_decision d;
  std::lock_guard lock(mutex_);
  auto now = rt_->clock.now();
  if (!any_active_locked(now)) return d;
  for (auto& [id, a] : faults_) {
    const auto& f = a.spec;
    if (f.kind == fault_kind::down || is_notification_fault(f.kind) || !matches(f, req)) continue;
    if (f.kind == fault_kind::quota ? !quota_exceeded_locked(a, now) : !fires_locked(a)) continue;
    d.fired.push_back(id);
    if (on_fire_) fired.push_back(f);
    apply_locked(id, a, req, now, d);
  }
  expire_locked(now);
  return d;
}

notification_decision fault_registry::decide_notification(const std::string& client_id, const std::string& persona) {
  notification_decision d;
  std::vector<fault> fired;
  {
    std::lock_guard lock(mutex_);
    auto now = rt_->clock.now();
    if (!any_active_locked(now)) return d;
    for (auto& [id, a] : faults_) {
      const auto& f = a.spec;
      if (!is_notification_fault(f.kind)) continue;
      if ((!f.client_id.empty() && f.client_id != client_id) || (!f.persona.empty() && f.persona != persona)) continue;
      if (!fires_locked(a)) continue;
      d.fired.push_back(id);
      if (on_fire_) fired.push_back(f);
      if (f.kind == fault_kind::notification_drop) d.drop = true;
      if (f.kind == fault_kind::notification_delay) d.delay += f.delay;
      if (f.kind == fault_kind::notification_duplicate) d.copies = 2;
    }
    expire_locked(now);
  }
  report(fired);
  return d;
}

}  // namespace mynasim
