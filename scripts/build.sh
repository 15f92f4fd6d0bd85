#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds one CMake preset: release (default), debug or asan.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
# MYNASIM_WERROR=1 (CI) turns every compiler warning into an error.
# MYNASIM_BUILD_TESTS=OFF (the image's build stage) configures without tests/ and bench/.
cmake --preset "$preset" -DMYNASIM_WERROR="${MYNASIM_WERROR:-0}" -DMYNASIM_BUILD_TESTS="${MYNASIM_BUILD_TESTS:-ON}" >/dev/null
cmake --build --preset "$preset" "$@"
