// SPDX-License-Identifier: Apache-2.0
#include "core/json_stream.hpp"

namespace mynasim {

bool json_text_writer::first_here() const {
  return depth_ <= 64 ? (first_bits_ >> (depth_ - 1)) & 1 : deeper_.back();
}

void json_text_writer::set_first_here(bool first) {
  if (depth_ > 64) {
    deeper_.back() = first;
    return;
  }
  const auto bit = std::uint64_t{1} << (depth_ - 1);
  first_bits_ = first ? first_bits_ | bit : first_bits_ & ~bit;
}

void json_text_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  if (!first_here()) *out_ += ',';
  set_first_here(false);
}

void json_text_writer::null() {
  separate();
  *out_ += "null";
}

void json_text_writer::boolean(bool b) {
  separate();
  *out_ += b ? "true" : "false";
}

// Numbers as a document writes them (append_json: integers in decimal, floats in their
// shortest form); a number value holds nothing on the heap.
void json_text_writer::integer(std::int64_t v) {
  separate();
  append_json(*out_, nlohmann::json(v));
}

void json_text_writer::integer(std::uint64_t v) {
  separate();
  append_json(*out_, nlohmann::json(v));
}

void json_text_writer::number(double v) {
  separate();
  append_json(*out_, nlohmann::json(v));
}

void json_text_writer::string(std::string_view s) {
  separate();
  append_json_string(*out_, s);
}

void json_text_writer::open(char bracket) {
  separate();
  *out_ += bracket;
  if (++depth_ > 64) deeper_.push_back(true);
  set_first_here(true);
}

void json_text_writer::key(std::string_view k) {
  separate();
  append_json_string(*out_, k);
  *out_ += ':';
  after_key_ = true;
}

void json_text_writer::close(char bracket) {
  if (depth_-- > 64) deeper_.pop_back();
  *out_ += bracket;
}

namespace {

// nlohmann's SAX interface: follows the nesting, and while inside the wanted top-level member
// writes what it sees.
class member_sax {
 public:
  // Writes into `out` from its current end, which it rewinds to on a repeated key.
  member_sax(std::string_view key, std::string& out, int max_depth)
      : key_(key), out_(&out), mark_(out.size()), writer_(out), max_depth_(max_depth) {}

  bool null() {
    return scalar([&] { writer_.null(); });
  }
  bool boolean(bool b) {
    return scalar([&] { writer_.boolean(b); });
  }
  bool number_integer(std::int64_t v) {
    return scalar([&] { writer_.integer(v); });
  }
  bool number_unsigned(std::uint64_t v) {
    return scalar([&] { writer_.integer(v); });
  }
  bool number_float(double v, const std::string&) {
    return scalar([&] { writer_.number(v); });
  }
  bool string(std::string& s) {
    return scalar([&] { writer_.string(s); });
  }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool start_object(std::size_t) { return open('{'); }
  bool start_array(std::size_t) { return open('['); }
  bool end_object() { return close('}'); }
  bool end_array() { return close(']'); }
  bool key(std::string& k) {
    if (depth_ == 1 && is_object_) {
      capturing_ = k == key_;
      if (capturing_) {
        found_ = true;
        out_->resize(mark_);  // a repeated key: the last one counts, as in a document
        writer_ = json_text_writer(*out_);
      }
    } else if (capturing_) {
      writer_.key(k);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  bool is_object() const { return is_object_; }
  bool found() const { return found_; }

 private:
  template <class F>
  bool scalar(F&& write) {
    if (capturing_) {
      write();
      if (depth_ == 1) capturing_ = false;  // the member's value was this scalar
    }
    return true;
  }
  bool open(char bracket) {
    if (depth_ == 0) is_object_ = bracket == '{';
    if (++depth_ > max_depth_) return false;
    if (capturing_) writer_.open(bracket);
    return true;
  }
  bool close(char bracket) {
    if (capturing_) writer_.close(bracket);
    if (--depth_ == 1) capturing_ = false;  // the member's value ends here
    return true;
  }

  std::string_view key_;
  std::string* out_;
  std::size_t mark_;
  json_text_writer writer_;
  int max_depth_;
  int depth_ = 0;
  bool is_object_ = false, capturing_ = false, found_ = false;
};

}  // namespace

member_copy copy_member(std::string_view text, std::string_view key, std::string& out, const json_limits& limits) {
  if (std::string ignored; !json_stream_within_limits(text, limits, ignored)) return member_copy::invalid;
  const auto mark = out.size();
  out.reserve(mark + text.size() + 16);  // a copy is about as long as its source
  member_sax sax(key, out, limits.max_depth);
  auto result = member_copy::copied;
  try {
    if (!nlohmann::json::sax_parse(text.begin(), text.end(), &sax)) result = member_copy::invalid;
  } catch (const nlohmann::json::exception&) {
    result = member_copy::invalid;
  }
  if (result == member_copy::copied && !sax.is_object()) result = member_copy::not_object;
  if (result == member_copy::copied && !sax.found()) result = member_copy::absent;
  if (result != member_copy::copied) out.resize(mark);  // nothing written unless copied
  return result;
}

}  // namespace mynasim
