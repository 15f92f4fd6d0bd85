// SPDX-License-Identifier: Apache-2.0
// JSON read as a stream of events rather than into a document: a part of an answer copied on
// as text without building (and then freeing) a value for every string, number and member.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_util.hpp"

namespace mynasim {

// Writes JSON text from parse events: each value as dump_json writes it; objects keep their
// members in the order given (a document would sort them).
class json_text_writer {
 public:
  explicit json_text_writer(std::string& out) : out_(&out) {}
  void null();
  void boolean(bool b);
  void integer(std::int64_t v);
  void integer(std::uint64_t v);
  void number(double v);
  void string(std::string_view s);
  void open(char bracket);  // '{' or '['
  void key(std::string_view k);
  void close(char bracket);  // '}' or ']'

 private:
  void separate();
  std::string* out_;
  // Per open container: nothing written in it yet. A bit each for the first 64 levels (as deep
  // as the JSON limits allow), a list beyond.
  std::uint64_t first_bits_ = 0;
  int depth_ = 0;
  std::vector<bool> deeper_;
  bool after_key_ = false;
  bool first_here() const;
  void set_first_here(bool first);
};

enum class member_copy { invalid, not_object, absent, copied };

// Parses `text` as JSON within `limits` and, when it is an object, appends the value of its
// member `key` (the last, if the key repeats) to `out` as JSON text. Nothing else is kept.
member_copy copy_member(std::string_view text, std::string_view key, std::string& out, const json_limits& limits = {});

}  // namespace mynasim
