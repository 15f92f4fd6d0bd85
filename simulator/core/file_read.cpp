// SPDX-License-Identifier: Apache-2.0
#include "core/file_read.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mynasim {
namespace fs = std::filesystem;

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string& out) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::string("cannot open file: ") + std::strerror(errno);
  struct stat st {};
  std::optional<std::string> error;
  if (::fstat(fd, &st) != 0)
    error = std::string("cannot read file: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode))
    error = "not a regular file";
  else if (static_cast<std::size_t>(st.st_size) > max_bytes)
    error = "larger than " + std::to_string(max_bytes) + " bytes";
  if (!error) {
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
  }
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
