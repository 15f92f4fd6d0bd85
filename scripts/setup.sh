#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything mynasim needs to build, run and test on Debian 12 (the platform it is tested on).
# Idempotent: packages already present are skipped by apt-get.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libssl-dev openssl libyaml-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev prometheus-cpp-dev
  curl ca-certificates
)
# Optional extras for the benchmarks: wrk as an external load generator; Java and npm for
# bench/compare.sh's WireMock (the jar comes from npm's `wiremock` package).
if [ "${MYNASIM_BENCH_TOOLS:-0}" = "1" ]; then
  packages+=(wrk openjdk-17-jre-headless)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
# `setup.sh test`: what only the tests use — iproute2 for the split-world test's network
# namespaces, docker-compose to render and run docker-compose.yml's profiles, Chromium (and Node.js
# with npm for playwright-core) for the browser tests, a Japanese font for their screenshots,
# Python's Prometheus text parser and JSON Schema validator for the metrics and contract tests.
if [ "${1:-}" = "test" ]; then
  packages+=(iproute2 docker-compose chromium fonts-noto-cjk python3-prometheus-client python3-jsonschema python3-yaml)
  # A real container engine for tests/engine (the daemon is started by the test itself),
  # debootstrap for its base image when no registry answers, and bc for its timings.
  packages+=(docker.io debootstrap bc)
  # The client libraries' toolchains (clients/): Go, JUnit 5 for Java's JDK, pytest; and
  # libfaketime, which the virtual-time test starts a program under.
  packages+=(golang-go openjdk-17-jdk-headless junit5 python3-pytest faketime)
  # pkill for the README test (tests/readme), which stops the sample app a README block starts.
  packages+=(procps)
  # The house rules' checkers (scripts/lint.sh).
  packages+=(clang-format-14 clang-tidy-14)
  # A machine's own Node.js (e.g. NodeSource's, which bundles npm) is kept; Debian's otherwise.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
# `setup.sh fuzz`: clang and libFuzzer for the fuzz targets (scripts/fuzz.sh).
if [ "${1:-}" = "fuzz" ]; then packages+=(clang-14 libfuzzer-14-dev); fi

# The tests' npm packages (tests/browser/package-lock.json: playwright-core, the OpenAPI
# validator), after the Debian packages; again whenever the lock file lists one not installed.
install_browser_driver() {
  local missing=""
  for p in playwright-core @seriousme/openapi-schema-validator yaml; do
    [ -f "tests/browser/node_modules/$p/package.json" ] || missing="$missing $p"
  done
  if [ "${1:-}" = "test" ] && [ -n "$missing" ]; then
    echo "setup: npm ci in tests/browser ($missing )"
    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
  fi
}
cd "$(dirname "$0")/.."

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  install_browser_driver "${1:-}"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_browser_driver "${1:-}"
