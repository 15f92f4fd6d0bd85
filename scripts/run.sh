#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up a fresh Debian 12 machine, builds mynasim and serves the default world.
# Extra arguments go to `mynasim serve` (see `mynasim serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release --target mynasim
exec ./build/release/simulator/mynasim serve "$@"
