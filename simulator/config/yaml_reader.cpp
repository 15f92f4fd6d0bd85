// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include <yaml.h>

#include "core/file_read.hpp"

namespace mynasim {

std::span<const std::uint32_t> yaml_document::children(std::uint32_t n) const {
  const auto& x = nodes_[n];
  if (x.type == kind::sequence) return {links_.data() + x.offset, x.size};
  if (x.type == kind::map) return {links_.data() + x.offset, 2 * std::size_t{x.size}};
  return {};
}

std::optional<std::uint32_t> yaml_document::find(std::uint32_t map, std::string_view key) const {
  if (nodes_[map].type != kind::map) return std::nullopt;
  auto c = children(map);
  for (std::size_t i = 0; i < c.size(); i += 2)
    if (nodes_[c[i]].type == kind::scalar && scalar(c[i]) == key) return c[i + 1];
  return std::nullopt;
}

std::uint32_t yaml_document::add_text(std::string_view s) {
  auto offset = static_cast<std::uint32_t>(text_.size());
  text_.append(s);
  return offset;
}

void yaml_document::set_scalar(std::uint32_t n, std::string_view text) {
  auto offset = add_text(text);
  auto& x = nodes_[n];
  x.type = kind::scalar;
  x.offset = offset;
  x.size = static_cast<std::uint32_t>(text.size());
}

void yaml_document::remove_key(std::uint32_t map, std::string_view key) {
  auto& m = nodes_[map];
  if (m.type != kind::map) return;
  auto begin = links_.begin() + m.offset, end = begin + 2 * std::ptrdiff_t{m.size};
  for (auto it = begin; it != end; it += 2)
    if (nodes_[*it].type == kind::scalar && scalar(*it) == key) {
      // The pairs after it move up; the freed slot at the end stays unused.
      std::copy(it + 2, end, it);
      --m.size;
      return;
    }
}

void yaml_document::add_scalar(std::uint32_t map, std::string_view key, std::string_view value) {
  auto at = [&](std::string_view text) {
    node x = nodes_[map];  // placed where the mapping is
    x.type = kind::scalar;
    x.plain = false;
    x.offset = add_text(text);
    x.size = static_cast<std::uint32_t>(text.size());
    nodes_.push_back(x);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  };
  auto k = at(key), v = at(value);
  auto& m = nodes_[map];
  // The mapping's pairs move to the end of the links, with the new one after them.
  auto offset = static_cast<std::uint32_t>(links_.size());
  for (std::uint32_t i = 0; i < 2 * m.size; ++i) links_.push_back(links_[m.offset + i]);
  links_.push_back(k);
  links_.push_back(v);
  m.offset = offset;
  ++m.size;
}

std::string yaml_value::where() const {
  const auto& n = doc_->at(node_);
  return file() + ':' + std::to_string(n.line + 1) + ':' + std::to_string(n.column + 1);
}

void yaml_value::fail(const std::string& message) const {
  throw config_error(where() + ": " + (path_.empty() ? std::string("(document)") : path_) + ": " + message);
}

std::string yaml_value::as_string() const {
  if (!is_scalar()) fail("expected a string");
  return std::string(doc_->scalar(node_));
}

std::int64_t yaml_value::as_int(std::int64_t min, std::int64_t max) const {
  if (!is_scalar()) fail("expected an integer");
  auto s = std::string(doc_->scalar(node_));
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) fail("expected an integer, got '" + s + "'");
  if (v < min || v > max)
    fail("value " + s + " out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return v;
}

double yaml_value::as_double(double min, double max) const {
  if (!is_scalar()) fail("expected a number");
  auto s = std::string(doc_->scalar(node_));
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) fail("expected a number, got '" + s + "'");
  if (!(v >= min && v <= max)) fail("value " + s + " out of range");
  return v;
}

bool yaml_value::as_bool() const {
  if (!is_scalar()) fail("expected true or false");
  auto s = doc_->scalar(node_);
  if (s == "true") return true;
  if (s == "false") return false;
  fail("expected true or false, got '" + std::string(s) + "'");
}

std::vector<yaml_value> yaml_value::items() const {
  if (!is_sequence()) fail("expected a list");
  std::vector<yaml_value> out;
  std::size_t i = 0;
  auto c = doc_->children(node_);
  out.reserve(c.size());
  for (auto n : c) out.emplace_back(doc_, n, path_ + "[" + std::to_string(i++) + "]");
  return out;
}

std::vector<std::string> yaml_value::keys() const {
  if (!is_map()) fail("expected a mapping");
  std::vector<std::string> out;
  auto c = doc_->children(node_);
  for (std::size_t i = 0; i < c.size(); i += 2) out.emplace_back(doc_->scalar(c[i]));
  return out;
}

std::vector<std::string> yaml_value::strings() const {
  std::vector<std::string> out;
  for (const auto& item : items()) out.push_back(item.as_string());
  return out;
}

yaml_map::yaml_map(yaml_value value) : value_(std::move(value)) {
  if (!value_.is_map()) value_.fail("expected a mapping");
  const auto& doc = value_.document();
  auto c = doc.children(value_.node());
  entries_.reserve(c.size() / 2);
  for (std::size_t i = 0; i < c.size(); i += 2) entries_.push_back({std::string(doc.scalar(c[i])), c[i], c[i + 1]});
}

const yaml_map::entry* yaml_map::lookup_quiet(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const yaml_map::entry* yaml_map::lookup(const std::string& key) const {
  if (asked_.size() < 64 && std::find(asked_.begin(), asked_.end(), key) == asked_.end()) asked_.push_back(key);
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

namespace {

// Whether `a` is a likely misspelling of `b`: at most two edits (one for keys of up to four
// characters), keys of at most 64 bytes.
bool misspelt(const std::string& a, const std::string& b) {
  if (a == b || a.size() > 64 || b.size() > 64) return false;
  const std::size_t limit = std::min(a.size(), b.size()) <= 4 ? 1 : 2;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return false;
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()] <= limit;
}

}  // namespace

yaml_value yaml_map::child(std::size_t index) const {
  const auto& e = entries_[index];
  e.used = true;
  return value_.child(e.value, value_.path().empty() ? e.key : value_.path() + "." + e.key);
}

bool yaml_map::has(const std::string& key) const {
  return lookup(key) != nullptr;
}

std::optional<yaml_value> yaml_map::find(const std::string& key) const {
  const auto* e = lookup(key);
  if (!e) return std::nullopt;
  return child(static_cast<std::size_t>(e - entries_.data()));
}

yaml_value yaml_map::get(const std::string& key) const {
  auto v = find(key);
  if (!v) {
    // A misspelt key is the likelier mistake than a missing one: say it where it is written.
    for (const auto& e : entries_)
      if (!e.used && std::find(asked_.begin(), asked_.end(), e.key) == asked_.end() && misspelt(e.key, key))
        value_.child(e.key_node, value_.path().empty() ? e.key : value_.path() + "." + e.key)
            .fail("unknown key '" + e.key + "' (did you mean '" + key + "'?)");
    value_.fail("missing required key '" + key + "'");
  }
  return *v;
}

std::string yaml_map::string_or(const std::string& key, std::string fallback) const {
  auto v = find(key);
  return v ? v->as_string() : std::move(fallback);
}

std::int64_t yaml_map::int_or(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const {
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
    if (lookup_quiet(e.key) != &e) where.fail("duplicate key '" + e.key + "'");
    for (const auto& known : asked_)
      if (!lookup_quiet(known) && misspelt(e.key, known))
        where.fail("unknown key '" + e.key + "' (did you mean '" + known + "'?)");
    where.fail("unknown key '" + e.key + "'");
  }
}

nlohmann::json yaml_to_json(const yaml_value& v, bool typed) {
  const auto& doc = v.document();
  const auto& n = doc.at(v.node());
  switch (n.type) {
    case yaml_document::kind::map: {
      nlohmann::json obj = nlohmann::json::object();
      auto c = doc.children(v.node());
      for (std::size_t i = 0; i < c.size(); i += 2) {
        std::string key(doc.scalar(c[i]));
        obj[key] = yaml_to_json(v.child(c[i + 1], v.path() + "." + key), typed);
      }
      return obj;
    }
    case yaml_document::kind::sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : v.items()) arr.push_back(yaml_to_json(item, typed));
      return arr;
    }
    case yaml_document::kind::null:
      return nullptr;
    case yaml_document::kind::scalar:
      break;
  }
  auto s = doc.scalar(v.node());
  if (typed && n.plain) {
    if (s == "true") return true;
    if (s == "false") return false;
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc{} && p == s.data() + s.size()) return i;
    double d = 0;
    auto [pd, ecd] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ecd == std::errc{} && pd == s.data() + s.size()) return d;
  }
  return std::string(s);
}

namespace {

constexpr int max_yaml_depth = 64;

[[noreturn]] void fail_at(const std::string& name, std::size_t line, std::size_t column, const std::string& message) {
  throw config_error(name + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) +
                     ": (document): " + message);
}

// Walks the document once, as every later reader will see it — aliases expanded — and
// refuses it when it expands to more nodes than the budget (an alias bomb) or, through
// aliases, nests deeper than max_yaml_depth. Paths are not built here: the position names
// the place.
void walk(const yaml_document& doc, std::uint32_t n, int depth, std::size_t& nodes_left) {
  const auto& x = doc.at(n);
  if (depth > max_yaml_depth)
    fail_at(doc.name(), x.line, x.column, "nesting deeper than " + std::to_string(max_yaml_depth) + " levels");
  if (nodes_left-- == 0)
    fail_at(doc.name(), x.line, x.column, "the document expands to too many nodes (aliases repeated too often)");
  auto c = doc.children(n);
  bool map = x.type == yaml_document::kind::map;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (map && i % 2 == 0) {
      if (doc.at(c[i]).type != yaml_document::kind::scalar)
        fail_at(doc.name(), doc.at(c[i]).line, doc.at(c[i]).column, "keys must be plain strings");
      continue;
    }
    walk(doc, c[i], depth + 1, nodes_left);
  }
}

}  // namespace

// Offsets and sizes in a document are 32-bit.
static_assert(max_yaml_bytes < (std::size_t{1} << 31));

// Turns libyaml's events into a yaml_document: nodes appended as they start, each
// collection's children gathered on a stack and stored together when it ends.
class yaml_builder {
 public:
  explicit yaml_builder(std::shared_ptr<yaml_document> doc) : doc_(std::move(doc)) {}

  void build(const std::string& text) {
    struct parser_guard {
      yaml_parser_t p;
      parser_guard() { yaml_parser_initialize(&p); }
      ~parser_guard() { yaml_parser_delete(&p); }
    } parser;
    yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    for (;;) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser.p, &event)) syntax_error(parser.p, text);
      struct event_guard {
        yaml_event_t* e;
        ~event_guard() { yaml_event_delete(e); }
      } guard{&event};
      if (!take(event)) return;
    }
  }

 private:
  struct open_collection {
    std::uint32_t node;
    std::size_t first_child;
    std::string anchor;
  };

  // One event into the document; false once the stream has ended.
  bool take(const yaml_event_t& event) {
    const auto& mark = event.start_mark;
    switch (event.type) {
      case YAML_STREAM_END_EVENT:
        if (!have_root_) doc_->root_ = add_node(yaml_document::kind::null, mark);
        return false;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents_ > 1)
          fail_at(doc_->name(), mark.line, mark.column, "a second YAML document (only one is read)");
        break;
      case YAML_SCALAR_EVENT:
        add_scalar(event);
        break;
      case YAML_ALIAS_EVENT:
        add_alias(event);
        break;
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT:
        start_collection(event);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        end_collection();
        break;
      default:
        break;
    }
    return true;
  }

  // A scalar: its text kept; a plain empty, ~ or null is the null node.
  void add_scalar(const yaml_event_t& event) {
    const auto& s = event.data.scalar;
    std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
    bool plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.tag == nullptr;
    bool null = plain && (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL");
    auto n = add_node(null ? yaml_document::kind::null : yaml_document::kind::scalar, event.start_mark);
    auto& x = doc_->nodes_[n];
    x.plain = plain;
    x.offset = doc_->add_text(value);
    x.size = static_cast<std::uint32_t>(value.size());
    anchor(s.anchor, n);
    place(n);
  }

  // An alias: the anchored node itself, placed once more.
  void add_alias(const yaml_event_t& event) {
    const auto* name = reinterpret_cast<const char*>(event.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end())
      fail_at(
          doc_->name(), event.start_mark.line, event.start_mark.column,
          std::string("alias *") + name + " names no anchor defined before it (an alias cannot refer to its own node)");
    place(it->second);
  }

  // A sequence or mapping opens: its children are gathered until it ends.
  void start_collection(const yaml_event_t& event) {
    const auto& mark = event.start_mark;
    if (open_.size() >= max_yaml_depth)
      fail_at(doc_->name(), mark.line, mark.column,
              "nesting deeper than " + std::to_string(max_yaml_depth) + " levels");
    bool seq = event.type == YAML_SEQUENCE_START_EVENT;
    auto n = add_node(seq ? yaml_document::kind::sequence : yaml_document::kind::map, mark);
    auto* a = seq ? event.data.sequence_start.anchor : event.data.mapping_start.anchor;
    open_.push_back({n, pending_.size(), a ? std::string(reinterpret_cast<const char*>(a)) : std::string()});
  }

  // The innermost collection ends: its gathered children are stored together.
  void end_collection() {
    auto f = std::move(open_.back());
    open_.pop_back();
    auto& x = doc_->nodes_[f.node];
    x.offset = static_cast<std::uint32_t>(doc_->links_.size());
    auto count = pending_.size() - f.first_child;
    x.size = static_cast<std::uint32_t>(x.type == yaml_document::kind::map ? count / 2 : count);
    doc_->links_.insert(doc_->links_.end(), pending_.begin() + static_cast<std::ptrdiff_t>(f.first_child),
                        pending_.end());
    pending_.resize(f.first_child);
    // Anchored when complete: an alias inside its own node finds nothing, so no cycle.
    if (!f.anchor.empty()) anchors_[f.anchor] = f.node;
    place(f.node);
  }

  std::uint32_t add_node(yaml_document::kind type, const yaml_mark_t& mark) {
    yaml_document::node x;
    x.type = type;
    x.line = static_cast<std::uint32_t>(mark.line);
    x.column = static_cast<std::uint32_t>(mark.column);
    doc_->nodes_.push_back(x);
    return static_cast<std::uint32_t>(doc_->nodes_.size() - 1);
  }

  void anchor(const yaml_char_t* name, std::uint32_t n) {
    if (name) anchors_[reinterpret_cast<const char*>(name)] = n;
  }

  // A complete node goes to the collection that holds it, or is the document itself.
  void place(std::uint32_t n) {
    if (open_.empty()) {
      doc_->root_ = n;
      have_root_ = true;
      return;
    }
    pending_.push_back(n);
  }

  [[noreturn]] void syntax_error(const yaml_parser_t& p, const std::string& text) {
    const auto& name = doc_->name();
    std::string problem = p.problem ? p.problem : "invalid YAML";
    if (p.error == YAML_READER_ERROR) {
      // The reader reports a byte offset: count the lines up to it.
      auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(p.problem_offset, text.size()));
      auto line = static_cast<std::size_t>(std::count(text.begin(), end, '\n'));
      auto start = std::find(std::make_reverse_iterator(end), text.rend(), '\n').base();
      // Columns count characters, as libyaml's own marks do: every byte but UTF-8 continuations.
      auto column = static_cast<std::size_t>(
          std::count_if(start, end, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
      throw config_error(name + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) +
                         ": YAML syntax error: " + problem);
    }
    std::string message = problem;
    if (p.context)
      message += std::string(" (") + p.context + " at line " + std::to_string(p.context_mark.line + 1) + ")";
    throw config_error(name + ":" + std::to_string(p.problem_mark.line + 1) + ":" +
                       std::to_string(p.problem_mark.column + 1) + ": YAML syntax error: " + message);
  }

  std::shared_ptr<yaml_document> doc_;
  std::vector<open_collection> open_;
  std::vector<std::uint32_t> pending_;
  std::unordered_map<std::string, std::uint32_t> anchors_;
  int documents_ = 0;
  bool have_root_ = false;
};

namespace {

yaml_value parse(const std::string& text, const std::string& name) {
  if (text.size() > max_yaml_bytes) fail_at(name, 0, 0, "larger than " + std::to_string(max_yaml_bytes) + " bytes");
  auto doc = std::make_shared<yaml_document>(name);
  yaml_builder(doc).build(text);
  std::size_t nodes_left = 16 * text.size() + 10000;
  walk(*doc, doc->root(), 0, nodes_left);
  return yaml_value(doc, doc->root(), "");
}

}  // namespace

yaml_value load_yaml_file(const std::string& path, std::size_t max_bytes) {
  std::string text;
  if (auto error = read_regular_file(path, max_bytes, text)) throw config_error(path + ": " + *error);
  return parse(text, path);
}

yaml_value load_yaml_string(const std::string& text, const std::string& name) {
  return parse(text, name);
}

}  // namespace mynasim
