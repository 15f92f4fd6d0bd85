#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds one CMake preset: release (default), debug or asan.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
# MYNASIM_WERROR=1 (CI) turns every compiler warning into an error.
cmake --preset "$preset" -DMYNASIM_WERROR="${MYNASIM_WERROR:-0}" >/dev/null
cmake --build --preset "$preset" "$@"
