#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The one entry point of the Go client's checks: gofmt, go vet, unit + integration tests and
# the example against the real binary, then the README's first example as written.
set -eu
cd "$(dirname "$0")"
HERE=$(pwd)

MYNASIM_BIN=${MYNASIM_BIN:-/work/main/build/release/simulator/mynasim}
case $MYNASIM_BIN in /*) ;; *) MYNASIM_BIN=$(cd "$(dirname "$MYNASIM_BIN")" && pwd)/$(basename "$MYNASIM_BIN") ;; esac
[ -x "$MYNASIM_BIN" ] || { echo "test.sh: no mynasim binary at $MYNASIM_BIN (set MYNASIM_BIN)" >&2; exit 1; }
export MYNASIM_BIN
PATH="$(dirname "$MYNASIM_BIN"):$PATH"
export PATH
# Tests start their own simulators: never connect to one named by the caller's environment.
unset MYNASIM_ADMIN_URL MYNASIM_APP_URL MYNASIM_SP_URL MYNASIM_SYSTEMS_URL MYNASIM_CA MYNASIM_ADMIN_TOKEN || true

# Standard library only, no network: nothing is downloaded.
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOSUMDB=off
command -v go >/dev/null || { echo "test.sh: go not found (apt-get install golang-go)" >&2; exit 1; }
echo "== $(go version); $("$MYNASIM_BIN" version)"

echo "== gofmt -l"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "test.sh: not gofmt-formatted:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet ./..."
go vet ./...

echo "== go test ./..."
go test -count=1 -parallel 4 -timeout 80s ./...

echo "== README first example"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
awk '
	/<!-- example:first -->/ { marker = 1; next }
	marker && !inside && /^```go[ \t]*$/ { inside = 1; next }
	inside && /^```[ \t]*$/ { exit }
	inside { print }
' README.md > "$tmp/main.go"
[ -s "$tmp/main.go" ] || { echo "test.sh: no first example between the README markers" >&2; exit 1; }
cat > "$tmp/go.mod" <<EOF
module readme.example/first

go 1.19

require github.com/mynasim/mynasim/clients/go v0.0.0

replace github.com/mynasim/mynasim/clients/go => $HERE
EOF
(cd "$tmp" && go run .)
echo "== all Go client checks passed"
