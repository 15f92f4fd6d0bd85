// SPDX-License-Identifier: Apache-2.0
// A bounded key → value store whose entries expire on the virtual clock. Every store of
// transient state (sessions, codes, tokens, processes) is one of these: at most `capacity`
// entries and none older than its time to live. Each entry has an owner (a source address,
// a service); when the store is full, the owner holding the most entries loses its oldest
// one, so a caller flooding the store only ever evicts its own state.
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
  bool put(const std::string& key, Value value, instant now, const std::string& owner = {}) {
    std::lock_guard lock(mutex_);
    sweep_locked(now);
    bool fresh = true;
    if (auto it = index_.find(key); it != index_.end()) {
      erase_locked(it->second);
      fresh = false;
    }
    while (index_.size() >= capacity_ && !order_.empty()) {
      erase_locked(oldest_of_largest_owner_locked());
      ++evicted_;
    }
    order_.push_back({key, now + ttl_, std::move(value), owner});
    index_[key] = std::prev(order_.end());
    ++owners_[owner];
    return fresh;
  }

  // Calls f(Value&) under the lock when the key is present and not expired.
  template <class F>
  bool with(const std::string& key, instant now, F&& f) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    if (it->second->expires <= now) {
      erase_locked(it->second);
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
    erase_locked(it->second);
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
    owners_.clear();
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
    std::string owner;
  };
  using entry_iterator = typename std::list<entry>::iterator;

  void erase_locked(entry_iterator it) {
    if (auto o = owners_.find(it->owner); o != owners_.end() && --o->second == 0) owners_.erase(o);
    index_.erase(it->key);
    order_.erase(it);
  }
  entry_iterator oldest_of_largest_owner_locked() {
    auto largest = owners_.begin();
    for (auto o = owners_.begin(); o != owners_.end(); ++o)
      if (o->second > largest->second) largest = o;
    for (auto it = order_.begin(); it != order_.end(); ++it)
      if (it->owner == largest->first) return it;
    return order_.begin();
  }
  // Entries are in insertion order, so expired ones sit at the front (ttl is fixed).
  void sweep_locked(instant now) {
    while (!order_.empty() && order_.front().expires <= now) erase_locked(order_.begin());
  }

  std::size_t capacity_;
  millis ttl_;
  mutable std::mutex mutex_;
  std::list<entry> order_;
  std::unordered_map<std::string, entry_iterator> index_;
  std::unordered_map<std::string, std::size_t> owners_;  // entries per owner
  std::size_t evicted_ = 0;
};

}  // namespace mynasim
