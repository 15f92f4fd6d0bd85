// SPDX-License-Identifier: Apache-2.0
// Where mynasim finds its own files — the default world, scenarios, the certificate script —
// and where it keeps generated certificates, independent of where a world file lives.
#pragma once

#include <string>
#include <vector>

namespace mynasim {

// The directory holding fixtures/, scenarios/ and certs/generate.sh: $MYNASIM_HOME, else
// <prefix>/share/mynasim next to the installed binary, else the source tree.
std::string home_dir();

// Generated certificates: $MYNASIM_CERTS_DIR, else <home>/certs/generated when home is the
// source tree or $MYNASIM_HOME, else $XDG_STATE_HOME/mynasim/certs (~/.local/state/…) for
// an installed binary, whose share directory is not ours to write.
std::string default_certs_dir();

// A path from a world file: "mynasim:<rest>" is <home>/<rest>; a relative path is relative
// to the directory of the file that names it.
std::string resolve_world_path(const std::string& base_dir, const std::string& path);

// The folders a world's files may come from, each absolute with every symbolic link resolved
// (folders that do not exist are left out): the world's own folder first, then the default
// world's fixtures (<home>/fixtures, which a team world includes as
// "mynasim:fixtures/world.yaml"), then each folder of $MYNASIM_WORLD_ROOTS (':'-separated) —
// the operator's explicit allowance, never something a world file can grant itself.
std::vector<std::string> world_file_roots(const std::string& world_folder);

// The folder as world_file_roots holds it: absolute, every symbolic link resolved where it
// exists (never throws).
std::string resolved_folder(const std::string& folder);

}  // namespace mynasim
