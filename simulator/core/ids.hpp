// SPDX-License-Identifier: Apache-2.0
// One seedable source of random identifiers (codes, tokens, session and process ids).
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace mynasim {

class id_generator {
 public:
  explicit id_generator(std::uint64_t seed = std::random_device{}()) : engine_(seed) {}

  // n characters of [A-Za-z0-9], URL-safe.
  std::string token(std::size_t n) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::lock_guard lock(mutex_);
    std::string out(n, 'x');
    std::uniform_int_distribution<int> pick(0, 61);
    for (auto& c : out) c = alphabet[pick(engine_)];
    return out;
  }
  std::string digits(std::size_t n) {
    std::lock_guard lock(mutex_);
    std::string out(n, '0');
    std::uniform_int_distribution<int> pick(0, 9);
    for (auto& c : out) c = static_cast<char>('0' + pick(engine_));
    return out;
  }

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

}  // namespace mynasim
