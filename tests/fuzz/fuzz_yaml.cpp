// SPDX-License-Identifier: Apache-2.0
// The YAML reader itself: libyaml's events turned into the compact document, the budgets
// (size, nesting, expanded nodes), conversion to JSON both ways and the in-place edits that
// templates and sheet changes make.
#include <string>

#include "config/yaml_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto v = mynasim::load_yaml_string(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)mynasim::yaml_to_json(v, true).dump();
    (void)mynasim::yaml_to_json(v, false);
    if (v.is_map()) {
      auto& doc = v.document();
      for (const auto& key : v.keys()) {
        if (auto n = doc.find(v.node(), key); n && doc.at(*n).type == mynasim::yaml_document::kind::scalar)
          doc.set_scalar(*n, key);
        (void)mynasim::yaml_map(v).get(key).where();
      }
      doc.add_scalar(v.node(), "added", "x");
      if (!v.keys().empty()) doc.remove_key(v.node(), v.keys().front());
      (void)mynasim::yaml_to_json(v, true);
      mynasim::yaml_map(v).done();
    }
  } catch (const mynasim::config_error&) {
  }
  return 0;
}
