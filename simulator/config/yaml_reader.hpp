// SPDX-License-Identifier: Apache-2.0
// Strict, typed reading of YAML: every error names file, line, column and YAML path, and
// unknown keys are errors. Only config/*.cpp includes this header.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mynasim {

// Thrown for any invalid configuration; what() is the one line users see.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A parsed YAML document held compactly: every node in one array (20 bytes each), every
// scalar's text in one string, every collection's children in one index array. An alias is
// the anchored node itself (shared, as YAML means it). Built from libyaml's events; lives only
// while a file is being read — nothing keeps it after the world is built.
class yaml_document {
 public:
  enum class kind : std::uint8_t { null, scalar, sequence, map };
  struct node {
    kind type = kind::null;
    bool plain = false;                  // a plain scalar without a tag: typed when converted to JSON
    std::uint32_t line = 0, column = 0;  // 0-based, as libyaml counts (columns in characters)
    std::uint32_t offset = 0, size = 0;  // scalar: its text; sequence: `size` links; map: `size` key/value pairs
  };

  explicit yaml_document(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  std::uint32_t root() const { return root_; }
  const node& at(std::uint32_t n) const { return nodes_[n]; }
  std::string_view scalar(std::uint32_t n) const { return {text_.data() + nodes_[n].offset, nodes_[n].size}; }
  // A sequence's items, or a map's keys and values alternating.
  std::span<const std::uint32_t> children(std::uint32_t n) const;
  // The value of the first entry whose key is `key`, in a map.
  std::optional<std::uint32_t> find(std::uint32_t map, std::string_view key) const;

  // Edits, for templates expanded in place and entries completed from a URL.
  void set_scalar(std::uint32_t n, std::string_view text);
  void remove_key(std::uint32_t map, std::string_view key);
  void add_scalar(std::uint32_t map, std::string_view key, std::string_view value);

 private:
  friend class yaml_builder;
  std::uint32_t add_text(std::string_view s);

  std::string name_;
  std::vector<node> nodes_;
  std::string text_;
  std::vector<std::uint32_t> links_;
  std::uint32_t root_ = 0;
};

class yaml_value {
 public:
  yaml_value(std::shared_ptr<yaml_document> doc, std::uint32_t node, std::string path)
      : doc_(std::move(doc)), node_(node), path_(std::move(path)) {}
  // A value under this one (same document).
  yaml_value child(std::uint32_t node, std::string path) const { return yaml_value(doc_, node, std::move(path)); }

  const std::string& path() const { return path_; }
  const std::string& file() const { return doc_->name(); }
  std::uint32_t node() const { return node_; }
  yaml_document& document() const { return *doc_; }
  bool is_map() const { return type() == yaml_document::kind::map; }
  bool is_sequence() const { return type() == yaml_document::kind::sequence; }
  bool is_scalar() const { return type() == yaml_document::kind::scalar; }
  bool is_null() const { return type() == yaml_document::kind::null; }

  std::string as_string() const;
  std::int64_t as_int(std::int64_t min, std::int64_t max) const;
  double as_double(double min, double max) const;
  bool as_bool() const;
  std::vector<yaml_value> items() const;  // a sequence's elements
  std::vector<std::string> strings() const;
  std::vector<std::string> keys() const;  // a mapping's keys, in order

  // "file:line:col: path: message"
  [[noreturn]] void fail(const std::string& message) const;
  std::string where() const;

 private:
  yaml_document::kind type() const { return doc_->at(node_).type; }

  std::shared_ptr<yaml_document> doc_;
  std::uint32_t node_;
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
  yaml_value child(std::size_t index) const;

  // The mapping's keys and values, read once.
  struct entry {
    std::string key;
    std::uint32_t key_node, value;
    mutable bool used = false;
  };
  const entry* lookup(const std::string& key) const;        // and remembers the key as asked for
  const entry* lookup_quiet(const std::string& key) const;  // without remembering it

  yaml_value value_;
  std::vector<entry> entries_;
  mutable std::vector<std::string> asked_;  // the keys the reader asked for: "did you mean" candidates
};

// YAML → JSON. typed: plain scalars become numbers/booleans when they read as such (quoted
// ones stay strings); untyped: every scalar is a string.
nlohmann::json yaml_to_json(const yaml_value& v, bool typed);

// The largest YAML document read from a file or a request.
inline constexpr std::size_t max_yaml_bytes = std::size_t{64} * 1024 * 1024;

// Parses a file or text within a budget — size, nesting (64 levels) and nodes after alias
// expansion — so no document can exhaust the stack or memory; syntax errors and budget
// overruns become config_error with the file's position.
yaml_value load_yaml_file(const std::string& path, std::size_t max_bytes = max_yaml_bytes);
yaml_value load_yaml_string(const std::string& text, const std::string& name);

}  // namespace mynasim
