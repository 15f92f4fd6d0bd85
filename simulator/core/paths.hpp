// SPDX-License-Identifier: Apache-2.0
// Where mynasim finds its own files — the default world, scenarios, the certificate script —
// and where it keeps generated certificates, independent of where a world file lives.
#pragma once

#include <string>

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

}  // namespace mynasim
