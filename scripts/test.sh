#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds and runs the whole test suite.
# Usage: scripts/test.sh [release|debug|asan]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
./scripts/setup.sh test
./scripts/build.sh "$preset"
ctest --preset "$preset" -j 2
