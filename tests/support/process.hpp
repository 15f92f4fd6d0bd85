// SPDX-License-Identifier: Apache-2.0
// Runs the built mynasim binary as a child process for CLI-level tests.
#pragma once

#include <string>
#include <vector>

namespace mynasim::test {

struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs to completion (killed after timeout_ms) and captures stdout and stderr.
process_result run_mynasim(const std::vector<std::string>& args, int timeout_ms = 20000);

// CPU time (user + system) from a /proc stat file — /proc/<pid>/stat for a process,
// /proc/self/task/<tid>/stat for one thread — in microseconds; 0 when unreadable.
double cpu_time_us(const std::string& stat_path);

// A running child whose stdout can be read line by line.
class child_process {
 public:
  explicit child_process(const std::vector<std::string>& args);  // the mynasim binary
  child_process(const std::string& program, const std::vector<std::string>& args);
  ~child_process();
  // Reads stdout until a line containing `needle` appears; returns that line or "" on timeout/EOF.
  std::string wait_for_line(const std::string& needle, int timeout_ms);
  void signal(int sig);
  int wait(int timeout_ms);  // exit code, or -1 on timeout
  const std::string& output() const { return out_; }
  // Closes our end of the child's stdout, as `mynasim serve | head -2` does once it has read.
  void close_output();

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
};

}  // namespace mynasim::test
