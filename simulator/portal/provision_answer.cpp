// SPDX-License-Identifier: Apache-2.0
#include "portal/provision_answer.hpp"

#include <memory>

#include "core/json_stream.hpp"

namespace mynasim {

std::string provision_answer::personal_data_text() const {
  std::size_t size = 2;
  for (const auto& [provider, by_name] : records)
    for (const auto& [name, text] : by_name) size += provider.size() + name.size() + text.size() + 16;
  std::string out;
  out.reserve(size);
  out += '[';
  bool first_provider = true;
  for (const auto& [provider, by_name] : records) {
    out += first_provider ? "{" : ",{";
    first_provider = false;
    append_json_string(out, provider);
    out += ":{";
    bool first_name = true;
    for (const auto& [name, text] : by_name) {
      if (!first_name) out += ',';
      first_name = false;
      append_json_string(out, name);
      out += ":[";
      out += text;
      out += ']';
    }
    out += "}}";
  }
  out += ']';
  return out;
}

namespace {

using dom_builder = nlohmann::detail::json_sax_dom_parser<nlohmann::json>;

// What a container being read is to the answer.
enum class role : std::uint8_t {
  top,      // the answer
  holders,  // its holders array
  holder,   // one holder
  results,  // a holder's results array
  result,   // one result
  records,  // a result's records array
  kept,     // inside a holder member kept as a value
  record,   // inside a record, written as text
  skipped,  // inside a value nobody reads
};

struct result_state {
  std::string body, name, records;  // records: JSON texts, comma-separated
  std::size_t count = 0;
  bool records_ok = false;  // a records array was given
};

struct holder_state {
  nlohmann::json fields = nlohmann::json::object();
  std::vector<result_state> results;
  bool results_ok = false;  // an array of objects was given
};

class provision_sax {
 public:
  provision_sax(provision_answer& out, int max_depth) : out_(&out), max_depth_(max_depth) {}

  bool null() {
    return value([](dom_builder& b) { return b.null(); }, [](json_text_writer& w) { w.null(); },
                 [] { return nlohmann::json(); });
  }
  bool boolean(bool v) {
    return value([&](dom_builder& b) { return b.boolean(v); }, [&](json_text_writer& w) { w.boolean(v); },
                 [&] { return nlohmann::json(v); });
  }
  bool number_integer(std::int64_t v) {
    return value([&](dom_builder& b) { return b.number_integer(v); }, [&](json_text_writer& w) { w.integer(v); },
                 [&] { return nlohmann::json(v); });
  }
  bool number_unsigned(std::uint64_t v) {
    return value([&](dom_builder& b) { return b.number_unsigned(v); }, [&](json_text_writer& w) { w.integer(v); },
                 [&] { return nlohmann::json(v); });
  }
  bool number_float(double v, const std::string& text) {
    return value([&](dom_builder& b) { return b.number_float(v, text); }, [&](json_text_writer& w) { w.number(v); },
                 [&] { return nlohmann::json(v); });
  }
  bool string(std::string& s) {
    if (!stack_.empty() && stack_.back() == role::result && (key_ == "body" || key_ == "name")) {
      (key_ == "body" ? current_result().body : current_result().name) = s;
      return true;
    }
    return value([&](dom_builder& b) { return b.string(s); }, [&](json_text_writer& w) { w.string(s); },
                 [&] { return nlohmann::json(s); });
  }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  bool key(std::string& k) {
    switch (stack_.empty() ? role::skipped : stack_.back()) {
      case role::kept:
        return kept_->key(k);
      case role::record:
        writer_->key(k);
        return true;
      case role::top:
      case role::holder:
      case role::result:
        key_ = k;
        return true;
      default:
        return true;
    }
  }

  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(true); }
  bool end_array() { return close(false); }

  bool answer_ok() const { return is_object_ && holders_ok_ && !malformed_; }

 private:
  result_state& current_result() { return holder_.results.back(); }

  // A scalar: where it goes depends on the container it is in.
  template <class Keep, class Write, class Make>
  bool value(Keep&& keep, Write&& write, Make&& make) {
    if (stack_.empty()) return true;  // the whole answer is a scalar: not an object
    switch (stack_.back()) {
      case role::kept:
        return keep(*kept_);
      case role::record:
        write(*writer_);
        return true;
      case role::records:
        start_record();
        write(*writer_);
        return true;
      case role::holder:
        if (key_ == "results")
          holder_.results_ok = false;
        else
          holder_.fields[key_] = make();
        return true;
      case role::holders:
        malformed_ = true;
        return true;  // a holder is an object
      case role::results:
        holder_.results_ok = false;
        return true;  // a result is an object
      case role::result:
        not_records_or_text();
        return true;
      case role::top:
        if (key_ == "holders") start_holders(false);
        return true;
      default:
        return true;
    }
  }

  // A result member that is not what it should be: records not an array, body or name not a
  // string (read as "", as string_member would).
  void not_records_or_text() {
    if (key_ == "records")
      current_result().records_ok = false;
    else if (key_ == "body")
      current_result().body.clear();
    else if (key_ == "name")
      current_result().name.clear();
  }

  static bool start(dom_builder& b, bool object) {
    constexpr auto unknown = static_cast<std::size_t>(-1);
    return object ? b.start_object(unknown) : b.start_array(unknown);
  }

  bool open(bool object) {
    if (static_cast<int>(stack_.size()) >= max_depth_) return false;
    if (stack_.empty()) {
      is_object_ = object;
      stack_.push_back(object ? role::top : role::skipped);
      return true;
    }
    auto next = role_of_opened(object);
    if (!next) return false;
    stack_.push_back(*next);
    return true;
  }

  // The role of a container opening inside the current one; nullopt when a kept value refuses it.
  std::optional<role> role_of_opened(bool object) {
    switch (stack_.back()) {
      case role::kept:
        if (!start(*kept_, object)) return std::nullopt;
        return role::kept;
      case role::records:
        start_record();
        [[fallthrough]];
      case role::record:
        writer_->open(object ? '{' : '[');
        return role::record;
      case role::top:
        return open_in_top(object);
      case role::holders:
        return open_in_holders(object);
      case role::holder:
        return open_in_holder(object);
      case role::results:
        return open_in_results(object);
      case role::result:
        return open_in_result(object);
      case role::skipped:
        break;
    }
    return role::skipped;
  }

  role open_in_top(bool object) {
    if (key_ != "holders") return role::skipped;
    start_holders(!object);
    return object ? role::skipped : role::holders;
  }

  role open_in_holders(bool object) {
    if (!object) {
      malformed_ = true;  // a holder is an object
      return role::skipped;
    }
    holder_ = holder_state();
    return role::holder;
  }

  // A holder's results are read as they come; any other member is kept as a value.
  std::optional<role> open_in_holder(bool object) {
    if (key_ == "results") {
      holder_.results.clear();
      holder_.results_ok = !object;
      return object ? role::skipped : role::results;
    }
    kept_ = std::make_unique<dom_builder>(holder_.fields[key_], false);
    if (!start(*kept_, object)) return std::nullopt;
    return role::kept;
  }

  role open_in_results(bool object) {
    if (!object) {
      holder_.results_ok = false;  // a result is an object
      return role::skipped;
    }
    holder_.results.emplace_back();
    return role::result;
  }

  role open_in_result(bool object) {
    if (key_ != "records" || object) {
      not_records_or_text();
      return role::skipped;
    }
    auto& r = current_result();
    r.records.clear();
    r.count = 0;
    r.records_ok = true;
    return role::records;
  }

  bool close(bool object) {
    role r = stack_.back();
    stack_.pop_back();
    switch (r) {
      case role::kept:
        if (!(object ? kept_->end_object() : kept_->end_array())) return false;
        if (stack_.back() != role::kept) kept_.reset();
        return true;
      case role::record:
        writer_->close(object ? '}' : ']');
        return true;
      case role::holder:
        finish_holder();
        return true;
      default:
        return true;
    }
  }

  void start_holders(bool is_array) {
    // A repeated "holders": only the last counts.
    out_->holders.clear();
    out_->records.clear();
    out_->record_count = 0;
    malformed_ = false;
    holders_ok_ = is_array;
  }

  void start_record() {
    auto& r = current_result();
    if (r.count++ > 0) r.records += ',';
    writer_.emplace(r.records);
  }

  void finish_holder() {
    auto status = holder_.fields.find("status");
    bool ok = status != holder_.fields.end() && status->is_string() && status->get_ref<const std::string&>() == "ok";
    if (ok && !holder_.results_ok) malformed_ = true;
    for (auto& res : holder_.results) {
      if (!ok || malformed_) break;
      if (!res.records_ok) {
        malformed_ = true;
        break;
      }
      auto& slot = out_->records[res.body][res.name];
      if (!slot.empty() && !res.records.empty()) slot += ',';
      slot += res.records;
      out_->record_count += res.count;
    }
    out_->holders.push_back(std::move(holder_.fields));
    holder_ = holder_state();
  }

  provision_answer* out_;
  int max_depth_;
  std::vector<role> stack_;
  std::string key_;  // the last key read in the answer, a holder or a result
  holder_state holder_;
  std::unique_ptr<dom_builder> kept_;
  std::optional<json_text_writer> writer_;
  bool is_object_ = false, holders_ok_ = false, malformed_ = false;
};

}  // namespace

std::optional<provision_answer> read_provision_answer(std::string_view text, const json_limits& limits) {
  if (std::string ignored; !json_stream_within_limits(text, limits, ignored)) return std::nullopt;
  provision_answer out;
  provision_sax sax(out, limits.max_depth);
  try {
    if (!nlohmann::json::sax_parse(text.begin(), text.end(), &sax) || !sax.answer_ok()) return std::nullopt;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace mynasim
