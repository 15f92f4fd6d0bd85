#include "core/json_stream.hpp"

#include <charconv>

namespace mynasim {

void json_text_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) *out_ += ',';
  first_.back() = false;
}

void json_text_writer::null() {
  separate();
  *out_ += "null";
}

void json_text_writer::boolean(bool b) {
  separate();
  *out_ += b ? "true" : "false";
}

void json_text_writer::integer(std::int64_t v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void json_text_writer::integer(std::uint64_t v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void json_text_writer::number(double v) {
  separate();
  append_json(*out_, nlohmann::json(v));  // the document's own float format
}

void json_text_writer::string(std::string_view s) {
  separate();
  append_json_string(*out_, s);
}

void json_text_writer::open(char bracket) {
  separate();
  *out_ += bracket;
  first_.push_back(true);
}

void json_text_writer::key(std::string_view k) {
  separate();
  append_json_string(*out_, k);
  *out_ += ':';
  after_key_ = true;
}

void json_text_writer::close(char bracket) {
  first_.pop_back();
  *out_ += bracket;
}

namespace {

// nlohmann's SAX interface: follows the nesting, and while inside the wanted top-level member
// writes what it sees.
class member_sax {
 public:
  member_sax(std::string_view key, std::string& scratch, int max_depth)
      : key_(key), scratch_(&scratch), writer_(scratch), max_depth_(max_depth) {}

  bool null() { return scalar([&] { writer_.null(); }); }
  bool boolean(bool b) { return scalar([&] { writer_.boolean(b); }); }
  bool number_integer(std::int64_t v) { return scalar([&] { writer_.integer(v); }); }
  bool number_unsigned(std::uint64_t v) { return scalar([&] { writer_.integer(v); }); }
  bool number_float(double v, const std::string&) { return scalar([&] { writer_.number(v); }); }
  bool string(std::string& s) { return scalar([&] { writer_.string(s); }); }
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
        scratch_->clear();  // a repeated key: the last one counts, as in a document
        writer_ = json_text_writer(*scratch_);
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
  std::string* scratch_;
  json_text_writer writer_;
  int max_depth_;
  int depth_ = 0;
  bool is_object_ = false, capturing_ = false, found_ = false;
};

}  // namespace

member_copy copy_member(std::string_view text, std::string_view key, std::string& out, const json_limits& limits) {
  if (std::string ignored; !json_within_limits(text, limits, ignored)) return member_copy::invalid;
  std::string value;
  member_sax sax(key, value, limits.max_depth);
  try {
    if (!nlohmann::json::sax_parse(text.begin(), text.end(), &sax)) return member_copy::invalid;
  } catch (const nlohmann::json::exception&) {
    return member_copy::invalid;
  }
  if (!sax.is_object()) return member_copy::not_object;
  if (!sax.found()) return member_copy::absent;
  out += value;
  return member_copy::copied;
}

}  // namespace mynasim
