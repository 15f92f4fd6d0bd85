// SPDX-License-Identifier: Apache-2.0
// Reading files named by configuration or by a request: only regular files (never a FIFO,
// a device or a directory, which could block or never end), never more than a size cap,
// and — for names that come from requests — only inside one configured directory.
#pragma once

#include <optional>
#include <string>

namespace mynasim {

// Reads a regular file of at most max_bytes into `out`; returns an error message otherwise.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string& out);

// `requested` (relative to `dir`, or absolute) when it names something inside `dir` once
// every symbolic link and ".." is resolved; nullopt otherwise.
std::optional<std::string> path_inside(const std::string& dir, const std::string& requested);

}  // namespace mynasim
