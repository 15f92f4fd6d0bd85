#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up a fresh Debian 12 machine, builds and runs the whole test suite.
# Usage: scripts/test.sh [release|debug|asan]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
./scripts/setup.sh test
./scripts/build.sh "$preset"
# setup.sh test installed Chromium and playwright-core: the browser test must run, not skip.
export MYNASIM_REQUIRE_BROWSER=1
ctest --preset "$preset" -j 2
# The integration suite runs once more, inside a named world (/worlds/suite/…,
# tests/support/test_server.cpp) and with the process's hops to its own systems listener over
# loopback TCP instead of in memory: every test must hold in a named world as in the default
# one, and with hops over TCP as in memory (the first run covers the default world in memory).
if [ "$preset" = release ]; then
  MYNASIM_TEST_WORLD=suite MYNASIM_INTERNAL_HOPS=tcp ctest --preset "$preset" -j 2 -L integration
fi
