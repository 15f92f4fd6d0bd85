// SPDX-License-Identifier: Apache-2.0
// mynasim: parse the command line and run one command.
#include <csignal>
#include <iostream>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  // A reader that closes stdout (`mynasim serve | head`) must not end the process: writes
  // then fail with EPIPE and the log counts its dropped lines.
  std::signal(SIGPIPE, SIG_IGN);
  std::ios::sync_with_stdio(false);
  return mynasim::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
