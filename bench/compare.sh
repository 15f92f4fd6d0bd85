#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side by side, in one invocation: the same keep-alive HTTPS flow client runs the canned
# stub's flow against WireMock serving three canned answers (bench/wiremock/mappings: token,
# request, result at the root, as the official stub answers) and mynasim's complete stateful
# flow, alternately, and prints flows/s min/median/max and the ratio.
#
#   MYNASIM_BENCH_TOOLS=1 bench/compare.sh [--users 8] [--seconds 5] [--runs 3] [--items 1]
#
# WireMock needs Java and the `wiremock` npm package's standalone jar; MYNASIM_BENCH_TOOLS=1
# installs them (Debian's openjdk-17-jre-headless, the jar into build/bench-tools). Without
# it, a missing tool stops the script with what to do. WireMock is pinned to one core with
# taskset (JIT and GC included); mynasim serves with one I/O thread.
set -euo pipefail
cd "$(dirname "$0")/.."
wiremock_version=3.13.2
tools=build/bench-tools
jar="$tools/package/build/wiremock-standalone-$wiremock_version.jar"

if ! command -v java >/dev/null 2>&1 || [ ! -f "$jar" ]; then
  if [ "${MYNASIM_BENCH_TOOLS:-0}" != "1" ]; then
    echo "compare: needs java and $jar; run with MYNASIM_BENCH_TOOLS=1 to install them" >&2
    exit 2
  fi
  MYNASIM_BENCH_TOOLS=1 ./scripts/setup.sh
  mkdir -p "$tools"
  (cd "$tools" && npm pack --silent "wiremock@$wiremock_version" >/dev/null && tar xzf "wiremock-$wiremock_version.tgz")
fi
./scripts/build.sh release --target flow_bench >/dev/null  # a no-op when it is up to date

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$(($(nproc) - 1))"); fi
log="$tools/wiremock.log"
mkdir -p "$tools"
"${pin[@]}" java -jar "$jar" --https-port "$port" --bind-address 127.0.0.1 --disable-http --root-dir bench/wiremock \
  --disable-banner --no-request-journal >"$log" 2>&1 &
wiremock=$!
trap 'kill $wiremock 2>/dev/null || true; wait $wiremock 2>/dev/null || true' EXIT
for _ in $(seq 150); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$wiremock" 2>/dev/null; then
    echo "compare: WireMock did not start; see $log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "WireMock $wiremock_version (java $(java -version 2>&1 | head -1 | cut -d'"' -f2)) on 127.0.0.1:$port${pin:+, pinned: ${pin[*]}}"
build/release/bench/flow_bench --compare-stub "$port" "$@"
