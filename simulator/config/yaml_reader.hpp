// Strict, typed reading of YAML: every error names file, line, column and YAML path, and
// unknown keys are errors. Only config/*.cpp includes this header.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace mynasim {

// Thrown for any invalid configuration; what() is the one line users see.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class yaml_value {
 public:
  yaml_value(YAML::Node node, std::shared_ptr<const std::string> file, std::string path)
      : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}
  // A value under this one (same file).
  yaml_value child(YAML::Node node, std::string path) const { return yaml_value(std::move(node), file_, std::move(path)); }

  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  const YAML::Node& node() const { return node_; }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_null() const { return node_.IsNull(); }

  std::string as_string() const;
  std::int64_t as_int(std::int64_t min, std::int64_t max) const;
  double as_double(double min, double max) const;
  bool as_bool() const;
  std::vector<yaml_value> items() const;  // a sequence's elements
  std::vector<std::string> strings() const;

  // "file:line:col: path: message"
  [[noreturn]] void fail(const std::string& message) const;
  std::string where() const;

 private:
  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
};

// Reads a mapping; done() rejects keys nobody asked for.
class yaml_map {
 public:
  explicit yaml_map(yaml_value value);

  bool has(const std::string& key) const;
  yaml_value get(const std::string& key) const;  // required
  std::optional<yaml_value> find(const std::string& key) const;
  std::string string_or(const std::string& key, std::string fallback) const;
  std::int64_t int_or(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  double double_or(const std::string& key, double fallback, double min, double max) const;
  bool bool_or(const std::string& key, bool fallback) const;
  const yaml_value& value() const { return value_; }
  void done() const;

 private:
  yaml_value child(std::size_t entry) const;

  // The mapping's keys and values, read once: yaml-cpp's own lookup converts every key it
  // passes to a string, for every lookup.
  struct entry {
    std::string key;
    YAML::Node key_node, value;
    mutable bool used = false;
  };
  const entry* lookup(const std::string& key) const;

  yaml_value value_;
  std::vector<entry> entries_;
};

// YAML → JSON. typed: plain scalars become numbers/booleans when they read as such (quoted
// ones stay strings); untyped: every scalar is a string.
nlohmann::json yaml_to_json(const yaml_value& v, bool typed);

// The largest YAML document read from a file or a request.
inline constexpr std::size_t max_yaml_bytes = 64 * 1024 * 1024;

// Parses a file or text within a budget — size, nesting (64 levels) and nodes after alias
// expansion — so no document can exhaust the stack or memory; syntax errors and budget
// overruns become config_error with the file's position.
yaml_value load_yaml_file(const std::string& path, std::size_t max_bytes = max_yaml_bytes);
yaml_value load_yaml_string(const std::string& text, const std::string& name);

}  // namespace mynasim
