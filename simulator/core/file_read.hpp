// SPDX-License-Identifier: Apache-2.0
// Reading files named by configuration or by a request: only regular files (never a FIFO,
// a device or a directory, which could block or never end), never more than a size cap,
// and — for names that come from requests or from a world's files — only inside the
// directories allowed for them. Errors name paths, never what a file holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mynasim {

// Reads a regular file of at most max_bytes into `out`; returns an error message otherwise.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string& out);

// `requested` (relative to `dir`, or absolute) when it names something inside `dir` once
// every symbolic link and ".." is resolved; nullopt otherwise.
std::optional<std::string> path_inside(const std::string& dir, const std::string& requested);

// True when `path` is `root` or lies below it (both absolute and normalised).
bool path_is_within(const std::string& path, const std::string& root);

// Where a file may be read from: absolute directories with every symbolic link resolved, and
// how an error names them (e.g. "the world folder /srv/world").
struct read_roots {
  std::vector<std::string> dirs;
  std::string description;
};

// Reads like read_regular_file, but only a file that lies — once every symbolic link is
// followed — inside one of `roots`; `real` receives that location. Checked before the file is
// opened (nothing outside is ever opened) and again on the opened file (a link swapped in
// between is caught). A symbolic link loop, a missing file or a file elsewhere is an error
// message naming the path, never an exception.
std::optional<std::string> read_file_within(const std::string& path, const read_roots& roots, std::size_t max_bytes,
                                            std::string& out, std::string& real);

}  // namespace mynasim
