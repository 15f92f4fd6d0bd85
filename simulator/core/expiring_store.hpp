// A bounded key → value store whose entries expire on the virtual clock. Every store of
// transient state (sessions, codes, tokens, processes) is one of these: at most `capacity`
// entries (the oldest is dropped first) and none older than its time to live.
#pragma once

#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "clock/time.hpp"

namespace mynasim {

template <class Value>
class expiring_store {
 public:
  expiring_store(std::size_t capacity, millis ttl) : capacity_(capacity), ttl_(ttl) {}

  // Inserts or replaces; returns false when the key existed.
  bool put(const std::string& key, Value value, instant now) {
    std::lock_guard lock(mutex_);
    sweep_locked(now);
    bool fresh = true;
    if (auto it = index_.find(key); it != index_.end()) {
      order_.erase(it->second);
      index_.erase(it);
      fresh = false;
    }
    while (index_.size() >= capacity_ && !order_.empty()) {
      index_.erase(order_.front().key);
      order_.pop_front();
      ++evicted_;
    }
    order_.push_back({key, now + ttl_, std::move(value)});
    index_[key] = std::prev(order_.end());
    return fresh;
  }

  // Calls f(Value&) under the lock when the key is present and not expired.
  template <class F>
  bool with(const std::string& key, instant now, F&& f) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    if (it->second->expires <= now) {
      order_.erase(it->second);
      index_.erase(it);
      return false;
    }
    f(it->second->value);
    return true;
  }

  std::optional<Value> get(const std::string& key, instant now) {
    std::optional<Value> out;
    with(key, now, [&](Value& v) { out = v; });
    return out;
  }

  bool erase(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  template <class F>
  void for_each(instant now, F&& f) {
    std::lock_guard lock(mutex_);
    sweep_locked(now);
    for (auto& e : order_) f(e.key, e.value);
  }

  void clear() {
    std::lock_guard lock(mutex_);
    order_.clear();
    index_.clear();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return index_.size();
  }
  std::size_t evicted() const {
    std::lock_guard lock(mutex_);
    return evicted_;
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct entry {
    std::string key;
    instant expires;
    Value value;
  };
  // Entries are in insertion order, so expired ones sit at the front (ttl is fixed).
  void sweep_locked(instant now) {
    while (!order_.empty() && order_.front().expires <= now) {
      index_.erase(order_.front().key);
      order_.pop_front();
    }
  }

  std::size_t capacity_;
  millis ttl_;
  mutable std::mutex mutex_;
  std::list<entry> order_;
  std::unordered_map<std::string, typename std::list<entry>::iterator> index_;
  std::size_t evicted_ = 0;
};

}  // namespace mynasim
