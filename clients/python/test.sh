#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Python client's tests: unit + integration (real binary) + the example + the README's
# first example as written. MYNASIM_BIN names the binary (default: the release build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3

MYNASIM_BIN=${MYNASIM_BIN:-$root/build/release/simulator/mynasim}
[ -x "$MYNASIM_BIN" ] || { echo "test.sh: no mynasim binary at $MYNASIM_BIN" >&2; exit 1; }
MYNASIM_BIN=$(cd "$(dirname "$MYNASIM_BIN")" && pwd)/$(basename "$MYNASIM_BIN")
export MYNASIM_BIN
PATH="$(dirname "$MYNASIM_BIN"):$PATH"
export PATH
# Every test starts its own simulator (or world): never connect to one from the environment.
unset MYNASIM_ADMIN_URL MYNASIM_APP_URL MYNASIM_SP_URL MYNASIM_CA MYNASIM_ADMIN_TOKEN
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

$PY -m pytest --version >/dev/null 2>&1 || {
  echo "test.sh: pytest missing for $PY (apt-get install -y python3-pytest)" >&2; exit 1; }

echo "== pytest: unit, integration, examples ($("$MYNASIM_BIN" version))"
(cd "$here" && $PY -m pytest -q -p no:cacheprovider tests examples)

echo "== README first example"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
awk '/<!-- example:first -->/ {on=1; next}
     on && /^```/ { if (fence) exit; fence=1; next }
     on && fence { print }' "$here/README.md" > "$tmp/first_example.py"
[ -s "$tmp/first_example.py" ] || { echo "test.sh: no first example in README.md" >&2; exit 1; }
(cd "$tmp" && timeout 60 $PY first_example.py)
echo "== all passed"
