#include "config/yaml_reader.hpp"

#include <charconv>
#include <sstream>

#include <yaml-cpp/depthguard.h>

#include "core/file_read.hpp"

namespace mynasim {

std::string yaml_value::where() const {
  auto mark = node_.Mark();
  std::ostringstream out;
  out << *file_;
  if (mark.line >= 0) out << ':' << mark.line + 1 << ':' << mark.column + 1;
  return out.str();
}

void yaml_value::fail(const std::string& message) const {
  throw config_error(where() + ": " + (path_.empty() ? std::string("(document)") : path_) + ": " + message);
}

std::string yaml_value::as_string() const {
  if (!node_.IsScalar()) fail("expected a string");
  return node_.Scalar();
}

std::int64_t yaml_value::as_int(std::int64_t min, std::int64_t max) const {
  if (!node_.IsScalar()) fail("expected an integer");
  const auto& s = node_.Scalar();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) fail("expected an integer, got '" + s + "'");
  if (v < min || v > max)
    fail("value " + s + " out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return v;
}

double yaml_value::as_double(double min, double max) const {
  if (!node_.IsScalar()) fail("expected a number");
  const auto& s = node_.Scalar();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) fail("expected a number, got '" + s + "'");
  if (!(v >= min && v <= max)) fail("value " + s + " out of range");
  return v;
}

bool yaml_value::as_bool() const {
  if (!node_.IsScalar()) fail("expected true or false");
  const auto& s = node_.Scalar();
  if (s == "true") return true;
  if (s == "false") return false;
  fail("expected true or false, got '" + s + "'");
}

std::vector<yaml_value> yaml_value::items() const {
  if (!node_.IsSequence()) fail("expected a list");
  std::vector<yaml_value> out;
  std::size_t i = 0;
  out.reserve(node_.size());
  for (const auto& n : node_) out.emplace_back(n, file_, path_ + "[" + std::to_string(i++) + "]");
  return out;
}

std::vector<std::string> yaml_value::strings() const {
  std::vector<std::string> out;
  for (const auto& item : items()) out.push_back(item.as_string());
  return out;
}

yaml_map::yaml_map(yaml_value value) : value_(std::move(value)) {
  if (!value_.is_map()) value_.fail("expected a mapping");
  entries_.reserve(value_.node().size());
  for (const auto& kv : value_.node()) entries_.push_back({kv.first.Scalar(), kv.first, kv.second});
}

const yaml_map::entry* yaml_map::lookup(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

yaml_value yaml_map::child(std::size_t i) const {
  const auto& e = entries_[i];
  e.used = true;
  return value_.child(e.value, value_.path().empty() ? e.key : value_.path() + "." + e.key);
}

bool yaml_map::has(const std::string& key) const { return lookup(key) != nullptr; }

std::optional<yaml_value> yaml_map::find(const std::string& key) const {
  const auto* e = lookup(key);
  if (!e) return std::nullopt;
  return child(static_cast<std::size_t>(e - entries_.data()));
}

yaml_value yaml_map::get(const std::string& key) const {
  auto v = find(key);
  if (!v) value_.fail("missing required key '" + key + "'");
  return *v;
}

std::string yaml_map::string_or(const std::string& key, std::string fallback) const {
  auto v = find(key);
  return v ? v->as_string() : std::move(fallback);
}

std::int64_t yaml_map::int_or(const std::string& key, std::int64_t fallback, std::int64_t min,
                              std::int64_t max) const {
  auto v = find(key);
  return v ? v->as_int(min, max) : fallback;
}

double yaml_map::double_or(const std::string& key, double fallback, double min, double max) const {
  auto v = find(key);
  return v ? v->as_double(min, max) : fallback;
}

bool yaml_map::bool_or(const std::string& key, bool fallback) const {
  auto v = find(key);
  return v ? v->as_bool() : fallback;
}

void yaml_map::done() const {
  for (const auto& e : entries_) {
    if (e.used) continue;
    auto where = value_.child(e.key_node, value_.path().empty() ? e.key : value_.path() + "." + e.key);
    if (lookup(e.key) != &e) where.fail("duplicate key '" + e.key + "'");
    where.fail("unknown key '" + e.key + "'");
  }
}

nlohmann::json yaml_to_json(const yaml_value& v, bool typed) {
  const auto& n = v.node();
  if (n.IsMap()) {
    nlohmann::json obj = nlohmann::json::object();
    for (const auto& kv : n) {
      auto key = kv.first.Scalar();
      obj[key] = yaml_to_json(v.child(kv.second, v.path() + "." + key), typed);
    }
    return obj;
  }
  if (n.IsSequence()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& item : v.items()) arr.push_back(yaml_to_json(item, typed));
    return arr;
  }
  if (n.IsNull()) return nullptr;
  const auto& s = n.Scalar();
  if (typed && n.Tag() == "?") {
    if (s == "true") return true;
    if (s == "false") return false;
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc{} && p == s.data() + s.size()) return i;
    double d = 0;
    auto [pd, ecd] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ecd == std::errc{} && pd == s.data() + s.size()) return d;
  }
  return s;
}

namespace {

constexpr int max_yaml_depth = 64;

[[noreturn]] void fail_at(const std::string& name, const YAML::Mark& mark, const std::string& message) {
  throw config_error(name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
                     ": (document): " + message);
}

// Walks the loaded document once, as every later reader will see it — aliases expanded —
// and refuses it when it nests deeper than max_yaml_depth (a self-referencing alias never
// ends) or expands to more nodes than the budget (an alias bomb). Paths are not built here:
// the position names the place.
void walk(const YAML::Node& n, int depth, std::size_t& nodes_left, const std::string& name) {
  if (depth > max_yaml_depth)
    fail_at(name, n.Mark(), "nesting deeper than " + std::to_string(max_yaml_depth) + " levels (or an alias that refers to itself)");
  if (nodes_left-- == 0) fail_at(name, n.Mark(), "the document expands to too many nodes (aliases repeated too often)");
  if (n.IsSequence()) {
    for (const auto& item : n) walk(item, depth + 1, nodes_left, name);
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) fail_at(name, kv.first.Mark(), "keys must be plain strings");
      walk(kv.second, depth + 1, nodes_left, name);
    }
  }
}

yaml_value parse(const std::string& text, const std::string& name) {
  if (text.size() > max_yaml_bytes) fail_at(name, YAML::Mark(), "larger than " + std::to_string(max_yaml_bytes) + " bytes");
  YAML::Node doc;
  try {
    // yaml-cpp's own depth guard (500 levels) bounds its recursion while parsing.
    doc = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    fail_at(name, e.mark, "nesting deeper than " + std::to_string(max_yaml_depth) + " levels");
  } catch (const YAML::Exception& e) {
    throw config_error(name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                       ": YAML syntax error: " + e.msg);
  }
  std::size_t nodes_left = 16 * text.size() + 10000;
  walk(doc, 0, nodes_left, name);
  return yaml_value(doc, std::make_shared<const std::string>(name), "");
}
}  // namespace

yaml_value load_yaml_file(const std::string& path, std::size_t max_bytes) {
  std::string text;
  if (auto error = read_regular_file(path, max_bytes, text)) throw config_error(path + ": " + *error);
  return parse(text, path);
}

yaml_value load_yaml_string(const std::string& text, const std::string& name) { return parse(text, name); }

}  // namespace mynasim
