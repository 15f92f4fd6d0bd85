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
# Every ```sh block of README.md as written, twice in a row (tests/readme/readme_test.sh;
# the README's own ./scripts/run.sh serves the blocks that use the default ports). Then the
# client libraries (clients/*/test.sh) against the binary just built, each in its own language
# with Debian's toolchain; then the image and docker-compose.yml on a real engine
# (tests/engine/engine_test.sh: its own daemon, the Node Testcontainers module's test too).
if [ "$preset" = release ]; then
  if [ "${MYNASIM_README_TEST:-1}" = 1 ]; then
    echo "== every README block, as written, twice"
    tests/readme/readme_test.sh
  fi
  export MYNASIM_BIN="$PWD/build/release/simulator/mynasim"
  for lang in python go java node; do
    if [ -x "clients/$lang/test.sh" ]; then
      echo "== clients/$lang"
      "clients/$lang/test.sh"
    fi
  done
  if [ "${MYNASIM_ENGINE_TEST:-1}" = 1 ]; then
    echo "== the image and Compose on a real engine"
    tests/engine/engine_test.sh
  fi
fi
