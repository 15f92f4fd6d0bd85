// SPDX-License-Identifier: Apache-2.0
#include "core/json_util.hpp"

#include <algorithm>
#include <charconv>

namespace mynasim {
namespace {

// The deepest nesting of arrays and objects, counted without recursion; stops early once
// past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool size_within_limits(std::string_view text, const json_limits& limits, std::string& error) {
  if (text.size() <= limits.max_bytes) return true;
  error = "the JSON body exceeds " + std::to_string(limits.max_bytes) + " bytes";
  return false;
}

}  // namespace

bool json_within_limits(std::string_view text, const json_limits& limits, std::string& error) {
  if (!size_within_limits(text, limits, error)) return false;
  if (nesting_depth(text, limits.max_depth) > limits.max_depth) {
    error = "the JSON body nests deeper than " + std::to_string(limits.max_depth) + " levels";
    return false;
  }
  return true;
}

bool json_stream_within_limits(std::string_view text, const json_limits& limits, std::string& error) {
  if (text.find('\0') != std::string_view::npos) return json_within_limits(text, limits, error);
  return size_within_limits(text, limits, error);
}

std::optional<nlohmann::json> parse_json(std::string_view text, std::string& error, const json_limits& limits) {
  if (!json_within_limits(text, limits, error)) return std::nullopt;
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    error = "the body is not valid JSON";
    return std::nullopt;
  }
  return j;
}

std::optional<nlohmann::json> parse_json_object(std::string_view text, std::string& error, const json_limits& limits) {
  auto j = parse_json(text, error, limits);
  if (j && !j->is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  return j;
}

const nlohmann::json* request_json_object(http_request& req, std::string& error, const json_limits& limits) {
  if (req.json_body) return req.json_body.get();
  auto j = parse_json_object(req.body, error, limits);
  if (!j) return nullptr;
  req.json_body = std::make_shared<const nlohmann::json>(std::move(*j));
  return req.json_body.get();
}

std::string string_member(const nlohmann::json& object, const char* key, std::string fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

namespace {
// The library's own writer: ill-formed UTF-8 replaced, never thrown.
std::string library_dump(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

std::string dump_json(const nlohmann::json& j, int indent) {
  if (indent >= 0) return library_dump(j, indent);
  std::string out;
  append_json(out, j);
  return out;
}

namespace {

// Well-formed UTF-8 (Unicode's table 3-7: no overlongs, no surrogates, nothing past U+10FFFF),
// the same the JSON library accepts as it writes.
bool well_formed_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  auto cont = [&](const unsigned char* q, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return q < end && *q >= lo && *q <= hi;
  };
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(p + 1)) return false;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (!cont(p + 1, lo, hi) || !cont(p + 2)) return false;
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!cont(p + 1, lo, hi) || !cont(p + 2) || !cont(p + 3)) return false;
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  // Ill-formed UTF-8 is rare: the library's writer replaces it as it does everywhere else.
  if (!well_formed_utf8(s)) {
    out += library_dump(nlohmann::json(std::string(s)));
    return;
  }
  // As the library writes a string (no ASCII-only escaping): ", \ and control characters
  // escaped, everything else copied in runs.
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json(std::string& out, const nlohmann::json& j) {
  using type = nlohmann::json::value_t;
  switch (j.type()) {
    case type::object: {
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, it.key());
        out += ':';
        append_json(out, it.value());
      }
      out += '}';
      return;
    }
    case type::array: {
      out += '[';
      bool first = true;
      for (const auto& v : j) {
        if (!first) out += ',';
        first = false;
        append_json(out, v);
      }
      out += ']';
      return;
    }
    case type::string:
      append_json_string(out, j.get_ref<const std::string&>());
      return;
    case type::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case type::null:
      out += "null";
      return;
    case type::number_integer:
    case type::number_unsigned: {
      char buf[24];
      auto r = j.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, j.get<std::uint64_t>())
                                      : std::to_chars(buf, buf + sizeof buf, j.get<std::int64_t>());
      out.append(buf, r.ptr);
      return;
    }
    default: {
      // Floats (the library's shortest form), binary, discarded: what basic_json::dump writes,
      // into `out` instead of a new string.
      nlohmann::detail::serializer<nlohmann::json> writer(nlohmann::detail::output_adapter<char, std::string>(out), ' ',
                                                          nlohmann::json::error_handler_t::replace);
      writer.dump(j, false, false, 0);
    }
  }
}

http_response json_response(int status, const nlohmann::json& j) {
  return http_response::json(status, dump_json(j));
}

}  // namespace mynasim
