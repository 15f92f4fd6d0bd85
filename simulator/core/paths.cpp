// SPDX-License-Identifier: Apache-2.0
#include "core/paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <system_error>

namespace mynasim {
namespace fs = std::filesystem;

namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string();
}

// <prefix>/share/mynasim when this binary is <prefix>/bin/mynasim and the data is there.
std::string installed_home() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  auto share = exe.parent_path().parent_path() / "share/mynasim";
  return fs::exists(share / "fixtures/world.yaml", ec) ? share.string() : std::string();
}
}  // namespace

std::string home_dir() {
  if (auto h = env("MYNASIM_HOME"); !h.empty()) return h;
  if (auto h = installed_home(); !h.empty()) return h;
  return MYNASIM_SOURCE_DIR;
}

std::string default_certs_dir() {
  if (auto d = env("MYNASIM_CERTS_DIR"); !d.empty()) return d;
  if (!env("MYNASIM_HOME").empty() || installed_home().empty())
    return (fs::path(home_dir()) / "certs/generated").string();
  if (auto state = env("XDG_STATE_HOME"); !state.empty()) return (fs::path(state) / "mynasim/certs").string();
  if (auto home = env("HOME"); !home.empty()) return (fs::path(home) / ".local/state/mynasim/certs").string();
  return (fs::temp_directory_path() / "mynasim-certs").string();
}

std::string resolve_world_path(const std::string& base_dir, const std::string& p) {
  if (p.empty()) return p;
  if (p.rfind("mynasim:", 0) == 0) return (fs::path(home_dir()) / p.substr(8)).lexically_normal().string();
  fs::path path(p);
  return (path.is_absolute() ? path : fs::path(base_dir) / path).lexically_normal().string();
}

std::string resolved_folder(const std::string& folder) {
  std::error_code ec;
  auto absolute = fs::absolute(fs::path(folder), ec);
  if (ec) return fs::path(folder).lexically_normal().string();
  auto resolved = fs::weakly_canonical(absolute, ec);
  return (ec ? absolute.lexically_normal() : resolved).string();
}

std::vector<std::string> world_file_roots(const std::string& world_folder) {
  std::vector<std::string> roots{resolved_folder(world_folder)};
  auto add = [&](const std::string& dir) {
    std::error_code ec;
    if (dir.empty() || !fs::path(dir).is_absolute() || !fs::is_directory(dir, ec)) return;
    auto resolved = resolved_folder(dir);
    for (const auto& r : roots)
      if (r == resolved) return;
    roots.push_back(resolved);
  };
  add((fs::path(home_dir()) / "fixtures").string());
  std::stringstream extra(env("MYNASIM_WORLD_ROOTS"));
  for (std::string dir; std::getline(extra, dir, ':');) add(dir);
  return roots;
}

}  // namespace mynasim
