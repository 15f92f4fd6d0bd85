#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (preset `fuzz`: clang-14, ASan + UBSan) and runs each one for
# a bounded time from its seed corpus. Any crash, leak, sanitizer report, timeout or
# out-of-memory fails the run and leaves the input under build/fuzz/findings/.
# Usage: scripts/fuzz.sh [seconds per target] [target…]   (default 20 s, every target)
# CI runs 15 s each (.ci/run); a long campaign: MYNASIM_FUZZ_RUNS=10000000 scripts/fuzz.sh 1800
# (each target stops at 10 M executions or 30 minutes, whichever comes first).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
./scripts/setup.sh fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_request http_response json form yaml world_yaml scenario_yaml fault time inquiry sheet_change world_link lint)
out=build/fuzz/findings
mkdir -p "$out"
runs=()
[ -z "${MYNASIM_FUZZ_RUNS:-}" ] || runs=(-runs="$MYNASIM_FUZZ_RUNS")
failed=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  # Seeds: the inputs the tests and the default world use (tests/fuzz/seeds/<target>/,
  # plus the shipped YAML for the YAML targets). The work corpus stays out of the tree.
  seeds=(tests/fuzz/seeds/"$t")
  case "$t" in
    world_yaml | yaml) seeds+=(fixtures) ;;
    scenario_yaml) seeds+=(scenarios) ;;
  esac
  log="$out/$t.log"
  began=$SECONDS
  if ./build/fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$out/$t-" "$work" "${seeds[@]}" >"$log" 2>&1; then
    executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "fuzz_$t: ok, $executed executions in $((SECONDS - began)) s, coverage $cov edges"
  else
    echo "fuzz_$t: FAILED (see $log)"; tail -40 "$log"; failed=1
  fi
  rm -rf "$work"
done
exit $failed
