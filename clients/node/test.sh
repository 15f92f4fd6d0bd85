#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The one entry point of CI for the Node client: build, unit tests, integration tests against
# the real binary, the example's integration test, and the README's first example as written.
set -eu
cd "$(dirname "$0")"
start=$(date +%s)

MYNASIM_BIN=${MYNASIM_BIN:-/work/main/build/release/simulator/mynasim}
if [ ! -x "$MYNASIM_BIN" ]; then
  echo "test.sh: no mynasim binary at $MYNASIM_BIN (set MYNASIM_BIN)" >&2
  exit 1
fi
MYNASIM_BIN=$(cd "$(dirname "$MYNASIM_BIN")" && pwd)/$(basename "$MYNASIM_BIN")
export MYNASIM_BIN
# The from-PATH case: `mynasim` resolves to the binary under test.
PATH="$(dirname "$MYNASIM_BIN"):$PATH"
export PATH
# Every test starts its own simulator: never reach a running one from the environment.
unset MYNASIM_ADMIN_URL MYNASIM_APP_URL MYNASIM_SP_URL MYNASIM_SYSTEMS_URL MYNASIM_CA MYNASIM_ADMIN_TOKEN \
      MYNASIM_PORT_BASE MYNASIM_APP_PORT MYNASIM_SP_PORT MYNASIM_ADMIN_PORT MYNASIM_SYSTEMS_PORT MYNASIM_READY_FILE 2>/dev/null || true

# npm ci from the lock file (cache first). On a warm machine whose node_modules was installed
# from this very lock file (stamp: its sha256) it is skipped; MYNASIM_NPM_CI=1 forces it.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "${MYNASIM_NPM_CI:-0}" = 1 ] || [ "$(cat node_modules/.mynasim-ci-stamp 2>/dev/null)" != "$lock_sum" ]; then
  echo "== npm ci"
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.mynasim-ci-stamp
else
  echo "== npm ci skipped: node_modules was installed from this package-lock.json"
fi
echo "== tsc"
rm -rf dist
npx --no-install tsc -p tsconfig.json

echo "== node --test (unit, integration, example)"
node --test test/unit.test.mjs test/integration.test.mjs examples/if001-flow.test.mjs

echo "== README first example, as written"
mkdir -p .tmp
node scripts/extract-example.mjs README.md > .tmp/readme-first-example.mjs
node .tmp/readme-first-example.mjs

echo "== test.sh passed in $(( $(date +%s) - start )) s ($("$MYNASIM_BIN" version))"
