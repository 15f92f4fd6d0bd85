// SPDX-License-Identifier: Apache-2.0
#include "process.hpp"

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mynasim::test {

double cpu_time_us(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto after = stat.rfind(')');
  if (after == std::string::npos || after + 2 > stat.size()) return 0;
  std::istringstream fields(stat.substr(after + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state … cmajflt: fields 3–13
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}
namespace {

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd, std::string binary = MYNASIM_BINARY) {
  std::vector<char*> argv;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

std::string drain(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

int wait_exit(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

process_result run_mynasim(const std::vector<std::string>& args, int timeout_ms) {
  char out_name[] = "/tmp/mynasim-out-XXXXXX", err_name[] = "/tmp/mynasim-err-XXXXXX";
  int out_fd = mkstemp(out_name), err_fd = mkstemp(err_name);
  pid_t pid = spawn(args, out_fd, err_fd);
  process_result r;
  r.exit_code = wait_exit(pid, timeout_ms);
  if (r.exit_code == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  lseek(out_fd, 0, SEEK_SET);
  lseek(err_fd, 0, SEEK_SET);
  r.out = drain(out_fd);
  r.err = drain(err_fd);
  close(out_fd);
  close(err_fd);
  unlink(out_name);
  unlink(err_name);
  return r;
}

child_process::child_process(const std::vector<std::string>& args) : child_process(MYNASIM_BINARY, args) {}

child_process::child_process(const std::string& program, const std::vector<std::string>& args) {
  int fds[2];
  // O_CLOEXEC: the child must not hold the read end, or closing ours would not close the pipe.
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int devnull = open("/dev/null", O_WRONLY);
  pid_ = spawn(args, fds[1], devnull, program);
  close(fds[1]);
  close(devnull);
  out_fd_ = fds[0];
}

child_process::~child_process() {
  if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

std::string child_process::wait_for_line(const std::string& needle, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t scanned = 0;
  for (;;) {
    for (std::size_t nl; (nl = out_.find('\n', scanned)) != std::string::npos; scanned = nl + 1) {
      auto line = out_.substr(scanned, nl - scanned);
      if (line.find(needle) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return "";
    out_.append(buf, static_cast<std::size_t>(n));
  }
}

void child_process::signal(int sig) {
  kill(pid_, sig);
}

void child_process::close_output() {
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
}

int child_process::wait(int timeout_ms) {
  int code = wait_exit(pid_, timeout_ms);
  if (code != -1) {
    pid_ = -1;
    if (out_fd_ >= 0) out_ += drain(out_fd_);
  }
  return code;
}

}  // namespace mynasim::test
