// SPDX-License-Identifier: Apache-2.0
#include "core/file_read.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mynasim {
namespace fs = std::filesystem;

namespace {

// Reads the open file `fd` (a regular file of at most max_bytes) into `out`.
std::optional<std::string> read_open_file(int fd, std::size_t max_bytes, std::string& out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::string("cannot read file: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return std::string("not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) return "larger than " + std::to_string(max_bytes) + " bytes";
  out.clear();
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    auto n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);  // a file that shrank while being read is read as it is now
  return std::nullopt;
}

int open_for_reading(const std::string& path, int extra_flags) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | extra_flags);
}

// Where the open file `fd` really is; empty when the system cannot say.
std::string location_of(int fd) {
  std::array<char, 4096> buffer{};
  auto link = "/proc/self/fd/" + std::to_string(fd);
  auto n = ::readlink(link.c_str(), buffer.data(), buffer.size() - 1);
  return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
}

bool within_any(const std::string& path, const read_roots& roots) {
  return std::any_of(roots.dirs.begin(), roots.dirs.end(),
                     [&](const std::string& root) { return path_is_within(path, root); });
}

std::string outside_message(const std::string& path, const std::string& real, const read_roots& roots) {
  auto where = roots.description.empty() ? std::string("the folders allowed") : roots.description;
  if (fs::path(path).lexically_normal() == fs::path(real)) return "outside " + where;
  return "resolves to " + real + ", outside " + where;
}

}  // namespace

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string& out) {
  int fd = open_for_reading(path, 0);
  if (fd < 0) return std::string("cannot open file: ") + std::strerror(errno);
  auto error = read_open_file(fd, max_bytes, out);
  ::close(fd);
  return error;
}

bool path_is_within(const std::string& path, const std::string& root) {
  auto rel = fs::path(path).lexically_relative(fs::path(root));
  return !rel.empty() && *rel.begin() != "..";
}

std::optional<std::string> read_file_within(const std::string& path, const read_roots& roots, std::size_t max_bytes,
                                            std::string& out, std::string& real) {
  std::error_code ec;
  real = fs::canonical(fs::path(path), ec).string();
  if (ec) return "cannot open file: " + ec.message();  // missing, unreadable, or a symbolic link loop
  if (!within_any(real, roots)) return outside_message(path, real, roots);
  // The resolved path has no symbolic link left; one swapped in meanwhile is caught below.
  int fd = open_for_reading(real, O_NOFOLLOW);
  if (fd < 0) return std::string("cannot open file: ") + std::strerror(errno);
  auto opened = location_of(fd);
  std::optional<std::string> error;
  if (!opened.empty() && !within_any(opened, roots))
    error = outside_message(path, opened, roots);
  else
    error = read_open_file(fd, max_bytes, out);
  ::close(fd);
  return error;
}

std::optional<std::string> path_inside(const std::string& dir, const std::string& requested) {
  if (requested.empty() || requested.find('\0') != std::string::npos) return std::nullopt;
  std::error_code ec;
  auto base = fs::weakly_canonical(fs::path(dir), ec);
  if (ec) return std::nullopt;
  fs::path p(requested);
  auto full = fs::weakly_canonical(p.is_absolute() ? p : base / p, ec);
  if (ec) return std::nullopt;
  auto rel = full.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return full.string();
}

}  // namespace mynasim
