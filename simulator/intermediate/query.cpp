// SPDX-License-Identifier: Apache-2.0
#include "intermediate/query.hpp"

#include <algorithm>

#include "core/json_util.hpp"

namespace mynasim {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

bool valid_compact_date(const std::string& s) {
  if (s.size() != 8 || !all_digits(s)) return false;
  return parse_date(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2)).has_value();
}

// Reads a dotted path ("支給情報.支給開始年月日") as a string; empty when absent.
std::string field_at(const nlohmann::json& record, std::string_view path) {
  const nlohmann::json* cur = &record;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    auto key = path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!cur->is_object()) return "";
    auto it = cur->find(key);
    if (it == cur->end()) return "";
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return cur->is_string() ? cur->get_ref<const std::string&>() : "";
}

// YYYY, YYYYMM or YYYYMMDD as the first / last day it covers; empty = open.
std::string as_start(const std::string& s) {
  if (s.size() == 4) return s + "0101";
  if (s.size() == 6) return s + "01";
  return s.empty() ? "00000000" : s;
}
std::string as_end(const std::string& s) {
  if (s.size() == 4) return s + "1231";
  if (s.size() == 6) return s + "31";
  return s.empty() ? "99999999" : s;
}

struct span {
  std::string from, until;
};

span span_of(const item_definition& item, const nlohmann::json& r) {
  if (!item.period_from.empty())
    return {as_start(field_at(r, item.period_from)), as_end(field_at(r, item.period_until))};
  auto d = field_at(r, item.date_field);
  return {as_start(d), as_end(d)};
}

}  // namespace

std::string compact_date(instant t) {
  auto s = format_date(local_day(t));
  return s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2);
}

std::optional<inquiry> parse_inquiry(const std::string& condition, const portal_settings& settings) {
  inquiry q;
  if (condition == settings.latest_condition) {
    q.method = query_method::latest;
    return q;
  }
  if (condition.rfind("Date=", 0) == 0) {
    q.method = query_method::date;
    q.date = condition.substr(5);
    if (!valid_compact_date(q.date)) return std::nullopt;
    return q;
  }
  if (condition.rfind(settings.range_prefix, 0) == 0) {
    auto rest = condition.substr(settings.range_prefix.size());
    auto dash = rest.find('-');
    if (dash == std::string::npos) return std::nullopt;
    q.method = query_method::range;
    q.from = rest.substr(0, dash);
    q.to = rest.substr(dash + 1);
    if (!valid_compact_date(q.from) || !valid_compact_date(q.to) || q.to < q.from) return std::nullopt;
    return q;
  }
  return std::nullopt;
}

nlohmann::json inquiry_json(const inquiry& q) {
  return {{"method", to_string(q.method)}, {"date", q.date}, {"from", q.from}, {"to", q.to}};
}

std::optional<inquiry> inquiry_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("method") || !j["method"].is_string()) return std::nullopt;
  inquiry q;
  auto m = j["method"].get<std::string>();
  if (m == "date")
    q.method = query_method::date;
  else if (m == "range")
    q.method = query_method::range;
  else if (m == "latest")
    q.method = query_method::latest;
  else
    return std::nullopt;
  q.date = string_member(j, "date");
  q.from = string_member(j, "from");
  q.to = string_member(j, "to");
  return q;
}

std::vector<const nlohmann::json*> select_records(const item_definition& item,
                                                  const std::vector<nlohmann::json>& records, const inquiry& q,
                                                  const std::string& today) {
  std::vector<const nlohmann::json*> out;
  if (!item.has_dates()) {
    if (q.method == query_method::latest) return {};
    for (const auto& r : records) out.push_back(&r);
    return out;
  }
  switch (q.method) {
    case query_method::date:
      if (!item.period_from.empty()) {
        for (const auto& r : records) {
          auto s = span_of(item, r);
          if (s.from <= q.date && q.date <= s.until) out.push_back(&r);
        }
        return out;
      }
      [[fallthrough]];  // a single date: the newest record on or before the date
    case query_method::latest: {
      const std::string& bound = q.method == query_method::latest ? today : q.date;
      const nlohmann::json* best = nullptr;
      std::string best_from;
      for (const auto& r : records) {
        auto s = span_of(item, r);
        if (s.from > bound || s.from == "00000000") continue;
        if (!best || s.from > best_from) {
          best = &r;
          best_from = s.from;
        }
      }
      if (best) out.push_back(best);
      return out;
    }
    case query_method::range:
      for (const auto& r : records) {
        auto s = span_of(item, r);
        if (s.from <= q.to && q.from <= s.until) out.push_back(&r);
      }
      return out;
  }
  return out;
}

namespace {

// Follows the nesting; keeps the three members a query has, skips everything else.
class query_sax {
 public:
  explicit query_sax(int max_depth) : max_depth_(max_depth) {}

  bool null() { return other(); }
  bool boolean(bool) { return other(); }
  bool number_integer(std::int64_t) { return other(); }
  bool number_unsigned(std::uint64_t) { return other(); }
  bool number_float(double, const std::string&) { return other(); }
  bool string(std::string& s) {
    if (depth_ == 1 && key_ == "person_id") {
      out.person_id = s;
      has_person = true;
    } else if (depth_ == 2 && in_items_) {
      out.items.push_back(s);  // copied: the parser keeps reusing `s`'s buffer
    } else if (depth_ == 2 && in_inquiry_) {
      if (key_ == "method")
        method = s;
      else if (key_ == "date")
        out.query.date = s;
      else if (key_ == "from")
        out.query.from = s;
      else if (key_ == "to")
        out.query.to = s;
    } else {
      return other();
    }
    return true;
  }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
  bool key(std::string& k) {
    if (depth_ == 1 || (depth_ == 2 && in_inquiry_)) key_.assign(k);  // the parser reuses `k`'s buffer
    return true;
  }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  query_request out;
  std::string method;  // the inquiry's method, when a string
  bool is_object = false, has_person = false, has_items = false, has_inquiry = false;

 private:
  // A value other than a string where it is read: a member of the wrong type, or ignored.
  bool other() {
    if (depth_ == 1) {
      if (key_ == "person_id")
        has_person = false;
      else if (key_ == "items")
        has_items = false;
      else if (key_ == "inquiry")
        has_inquiry = false;
    } else if (depth_ == 2 && in_inquiry_) {
      if (key_ == "method")
        method.clear();
      else if (key_ == "date")
        out.query.date.clear();
      else if (key_ == "from")
        out.query.from.clear();
      else if (key_ == "to")
        out.query.to.clear();
    }
    return true;
  }
  bool open(bool object) {
    if (depth_ >= max_depth_) return false;
    if (depth_ == 0) {
      is_object = object;
    } else if (depth_ == 1) {
      other();  // a container is not a string: person_id wrong; items / inquiry decided below
      if (key_ == "items" && !object) {
        has_items = true;
        in_items_ = true;
        out.items.clear();
      } else if (key_ == "inquiry" && object) {
        has_inquiry = true;
        in_inquiry_ = true;
        method.clear();
        out.query = inquiry{};
      }
    } else if (depth_ == 2 && in_inquiry_) {
      other();
    }
    ++depth_;
    return true;
  }
  bool close() {
    if (--depth_ == 1) in_items_ = in_inquiry_ = false;
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  std::string key_;
  bool in_items_ = false, in_inquiry_ = false;
};

}  // namespace

std::optional<query_request> read_query_request(std::string_view text, std::string& error) {
  const json_limits limits;
  // A query is small: the nesting is counted first, as for every document, so the errors read
  // the same as parse_json's.
  if (!json_within_limits(text, limits, error)) return std::nullopt;
  query_sax sax(limits.max_depth);
  try {
    if (!nlohmann::json::sax_parse(text.begin(), text.end(), &sax)) {
      error = "the body is not valid JSON";
      return std::nullopt;
    }
  } catch (const nlohmann::json::exception&) {
    error = "the body is not valid JSON";
    return std::nullopt;
  }
  if (!sax.is_object) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  std::optional<query_method> method;
  if (sax.method == "date")
    method = query_method::date;
  else if (sax.method == "range")
    method = query_method::range;
  else if (sax.method == "latest")
    method = query_method::latest;
  if (!sax.has_person || !sax.has_items || !sax.has_inquiry || !method) {
    error = "expected person_id, items and inquiry";
    return std::nullopt;
  }
  sax.out.query.method = *method;
  return std::move(sax.out);
}

}  // namespace mynasim
