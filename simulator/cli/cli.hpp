// SPDX-License-Identifier: Apache-2.0
// The `mynasim` command line: serve, check, version, holidays, availability, timeline, errors,
// lint rules, conformance, card sign, world create / list / delete.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mynasim {

struct parsed_command {
  std::string command;
  std::map<std::string, std::vector<std::string>> options;  // "--config" → values ("" for flags)
  bool help = false;
  std::string group;  // `mynasim card --help`: the first word of two-word commands

  bool has(const std::string& name) const { return options.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
};

// Parses argv after the program name; on error returns nullopt and a message.
std::optional<parsed_command> parse_command_line(const std::vector<std::string>& args, std::string& error);

// Runs the command; returns the process exit code (0 ok, 1 runtime failure, 2 usage or config).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The entry file `mynasim serve` uses when --config is not given.
std::string default_config_path();

}  // namespace mynasim
