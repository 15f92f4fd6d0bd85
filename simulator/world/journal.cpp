// SPDX-License-Identifier: Apache-2.0
#include "world/journal.hpp"

#include <nlohmann/json.hpp>

#include "core/json_util.hpp"

namespace mynasim {

std::size_t journal_entry::bytes() const {
  std::size_t n = sizeof(journal_entry);
  for (const auto* s : {&system, &listener, &method, &path, &url, &client_id, &claimed_client_id, &persona,
                        &telegram_id, &process_id, &request_id, &error_code, &request_body, &response_body})
    n += s->capacity();
  for (const auto& f : faults) n += f.capacity() + sizeof(std::string);
  return n;
}

bool journal_filter::matches(const journal_entry& e) const {
  return (system.empty() || e.system == system) && (path.empty() || e.path.rfind(path, 0) == 0) &&
         (client_id.empty() || e.client_id == client_id) && (telegram_id.empty() || e.telegram_id == telegram_id) &&
         (process_id.empty() || e.process_id == process_id) && (direction.empty() || e.direction == direction) &&
         (status == 0 || e.status == status);
}

std::string request_journal::clip(const std::string& body) const {
  if (body.size() <= body_bytes_) return body;
  // Cut on a UTF-8 boundary so the JSON view stays valid.
  std::size_t n = body_bytes_;
  while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
  return body.substr(0, n) + "…";
}

void request_journal::record(journal_entry e) {
  e.request_body = clip(e.request_body);
  e.response_body = clip(e.response_body);
  std::lock_guard lock(mutex_);
  e.seq = next_seq_++;
  bytes_ += e.bytes();
  entries_.push_back(std::move(e));
  while (!entries_.empty() && (entries_.size() > max_entries_ || bytes_ > max_bytes_)) {
    bytes_ -= entries_.front().bytes();
    entries_.pop_front();
    ++dropped_;
  }
}

std::vector<journal_entry> request_journal::query(const journal_filter& f) const {
  std::lock_guard lock(mutex_);
  std::vector<journal_entry> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < f.limit; ++it)
    if (f.matches(*it)) out.push_back(*it);
  std::reverse(out.begin(), out.end());
  return out;
}

std::size_t request_journal::count(const journal_filter& f) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& e : entries_) n += f.matches(e);
  return n;
}

std::vector<journal_entry> request_journal::since(const std::string& client_id, std::uint64_t after_seq,
                                                  std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<const journal_entry*> newest_first;
  for (auto it = entries_.rbegin(); it != entries_.rend() && it->seq > after_seq; ++it)
    if (it->client_id == client_id) newest_first.push_back(&*it);
  std::vector<journal_entry> out;
  auto n = std::min(limit, newest_first.size());
  for (std::size_t i = 0; i < n; ++i) out.push_back(*newest_first[newest_first.size() - 1 - i]);  // the oldest n
  return out;
}

std::uint64_t request_journal::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

void request_journal::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  bytes_ = 0;
}

nlohmann::json request_journal::stats() const {
  std::lock_guard lock(mutex_);
  return {{"entries", entries_.size()},
          {"bytes", bytes_},
          {"dropped", dropped_},
          {"max_entries", max_entries_},
          {"max_bytes", max_bytes_}};
}

nlohmann::json journal_json(const journal_entry& e) {
  nlohmann::json j{{"seq", e.seq},
                   {"at", format_instant(e.at)},
                   {"started", format_instant(e.started)},
                   {"start_seq", e.start_seq},
                   {"direction", e.direction},
                   {"system", e.system},
                   {"method", e.method},
                   {"path", e.path},
                   {"status", e.status},
                   {"latency_ms", e.latency_ms}};
  for (const auto& [k, v] : {std::pair{"listener", &e.listener},
                             {"url", &e.url},
                             {"client_id", &e.client_id},
                             {"claimed_client_id", &e.claimed_client_id},
                             {"persona", &e.persona},
                             {"telegram_id", &e.telegram_id},
                             {"process_id", &e.process_id},
                             {"request_id", &e.request_id},
                             {"error_code", &e.error_code},
                             {"request_body", &e.request_body},
                             {"response_body", &e.response_body},
                             {"node", &e.node}})
    if (!v->empty()) j[k] = *v;
  if (!e.faults.empty()) j["faults"] = e.faults;
  return j;
}

std::optional<journal_entry> journal_entry_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  journal_entry e;
  auto at = parse_instant(string_member(j, "at"));
  if (!at) return std::nullopt;
  e.at = *at;
  auto started = parse_instant(string_member(j, "started"));
  e.started = started ? *started : e.at;  // from a process that did not say: when it ended
  if (j.contains("start_seq") && j["start_seq"].is_number_unsigned()) e.start_seq = j["start_seq"].get<std::uint64_t>();
  e.direction = string_member(j, "direction", "in");
  for (auto [k, v] : {std::pair{"system", &e.system},
                      {"method", &e.method},
                      {"path", &e.path},
                      {"listener", &e.listener},
                      {"url", &e.url},
                      {"client_id", &e.client_id},
                      {"claimed_client_id", &e.claimed_client_id},
                      {"persona", &e.persona},
                      {"telegram_id", &e.telegram_id},
                      {"process_id", &e.process_id},
                      {"request_id", &e.request_id},
                      {"error_code", &e.error_code},
                      {"request_body", &e.request_body},
                      {"response_body", &e.response_body},
                      {"node", &e.node}})
    *v = string_member(j, k);
  if (j.contains("status") && j["status"].is_number_integer()) e.status = j["status"].get<int>();
  if (j.contains("latency_ms") && j["latency_ms"].is_number()) e.latency_ms = j["latency_ms"].get<double>();
  if (j.contains("faults") && j["faults"].is_array())
    for (const auto& f : j["faults"])
      if (f.is_string()) e.faults.push_back(f.get<std::string>());
  return e;
}

}  // namespace mynasim
