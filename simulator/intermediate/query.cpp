#include "intermediate/query.hpp"

#include "core/json_util.hpp"

#include <algorithm>

namespace mynasim {
namespace {

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

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
  if (!item.period_from.empty()) return {as_start(field_at(r, item.period_from)), as_end(field_at(r, item.period_until))};
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
  if (m == "date") q.method = query_method::date;
  else if (m == "range") q.method = query_method::range;
  else if (m == "latest") q.method = query_method::latest;
  else return std::nullopt;
  q.date = string_member(j, "date");
  q.from = string_member(j, "from");
  q.to = string_member(j, "to");
  return q;
}

std::vector<const nlohmann::json*> select_records(const item_definition& item, const std::vector<nlohmann::json>& records,
                                                  const inquiry& q, const std::string& today) {
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

}  // namespace mynasim
