#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every ```sh block of README.md, run as written, twice in a row. Each block is named by the
# `<!-- snippet:NAME -->` line just before it; a block without a name, or a name without a
# check below, fails the test, so a new block cannot go untested. The blocks that talk to
# 127.0.0.1:8081 and localhost:8443 run against the README's own first command,
# `./scripts/run.sh`, serving the default world on the default ports: nothing else may listen
# there (the test says so and stops). Two blocks are run elsewhere and named here: the second
# of the two commands is the one running this test, and the Compose lines run on a real engine
# in tests/engine/engine_test.sh.
# Usage: tests/readme/readme_test.sh   (after ./scripts/build.sh release; scripts/test.sh runs it)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN="$ROOT/build/release/simulator/mynasim"
[ -x "$BIN" ] || { echo "readme: $BIN is missing: ./scripts/build.sh release first"; exit 1; }
BINDIR=$(dirname "$BIN")
WORK=$(mktemp -d)
SERVER=""
OWN_PORTS=0
BANK_APP="node examples/bank-app/app.mjs --port 4000"  # what the conformance block starts
cleanup() {
  [ -z "$SERVER" ] || kill -TERM -- -"$SERVER" 2> /dev/null || true
  # Port 4000 was free when the test began, so a bank app there now is the one a block started.
  [ "$OWN_PORTS" = 0 ] || pkill -f "$BANK_APP" 2> /dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
failed=0
ok() { echo "ok   $*"; }
fail() {
  echo "FAIL $*"
  failed=1
}

# The blocks, in README order: $WORK/blocks/NN-NAME.{sh,yaml}.
python3 - "$ROOT/README.md" "$WORK/blocks" << 'PY' || exit 1
import os, re, sys
text = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = sys.argv[2]
os.makedirs(out)
i, n, bad, seen = 0, 0, 0, set()
while i < len(text):
    m = re.match(r"^```(sh|yaml)$", text[i])
    if not m:
        i += 1
        continue
    prev = next((text[j] for j in range(i - 1, -1, -1) if text[j].strip()), "")
    name = re.match(r"^<!-- snippet:([a-z0-9-]+)", prev)
    end = text.index("```", i + 1)
    if name and name.group(1) in seen:
        print(f"README.md:{i + 1}: a second block named {name.group(1)}")
        bad = 1
    elif name:
        seen.add(name.group(1))
        n += 1
        with open(f"{out}/{n:02d}-{name.group(1)}.{m.group(1)}", "w", encoding="utf-8") as f:
            f.write("\n".join(text[i + 1:end]) + "\n")
    elif m.group(1) == "sh":
        print(f"README.md:{i + 1}: a ```sh block without a <!-- snippet:NAME --> line before it")
        bad = 1
    i = end + 1
sys.exit(bad)
PY
# A block's file; each name asked for is recorded: the end of the test checks every block was.
block() {
  echo "$1" >> "$WORK/checked"
  ls "$WORK"/blocks/*-"$1".* 2> /dev/null | head -1
}
line() { sed -n "$2p" "$(block "$1")"; }

# Runs a block (or one line of it) with bash in DIR, output in $WORK/out, status in $status.
run() {  # NAME DIR [LINE] [ENV…]
  local name=$1 dir=$2 ln=${3:-} script="$WORK/run.sh"
  shift 3 || shift $#
  if [ -n "$ln" ]; then line "$name" "$ln" > "$script"; else cat "$(block "$name")" > "$script"; fi
  status=0
  (cd "$dir" && env "$@" PATH="$BINDIR:$PATH" timeout 300 bash "$script") > "$WORK/out" 2>&1 || status=$?
}
has() { grep -qF -- "$1" "$WORK/out"; }
show() { sed 's/^/     | /' "$WORK/out" | tail -25; }

ADMIN=http://127.0.0.1:8081
ports_free() {  # mynasim's default ports, and the sample bank app's
  for p in 8443 9443 8081 8090 4000; do
    if (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
      echo "readme: port $p is in use: the README's commands serve on mynasim's default ports;"
      echo "        stop what listens there (or skip this test: MYNASIM_README_TEST=0)"
      return 1
    fi
  done
}
# Starts one line of a block in the background in its own process group; waits for the admin
# listener on the default port.
start() {  # NAME LINE DIR
  line "$1" "$2" > "$WORK/serve.sh"
  (cd "$3" && exec setsid env PATH="$BINDIR:$PATH" bash "$WORK/serve.sh") > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 3000); do
    curl -sf -m 2 -o /dev/null "$ADMIN/__admin/health" && return 0
    kill -0 "$SERVER" 2> /dev/null || break
    sleep 0.1
  done
  echo "     | $(tail -5 "$WORK/serve.log")"
  stop || true
  return 1
}
stop() {  # stops the served line and waits for its whole process group; true when mynasim said so
  [ -n "$SERVER" ] || return 1
  kill -TERM -- -"$SERVER" 2> /dev/null || true
  for _ in $(seq 300); do
    kill -0 -- -"$SERVER" 2> /dev/null || break
    sleep 0.1
  done
  kill -KILL -- -"$SERVER" 2> /dev/null && echo "     | did not stop within 30 s of SIGTERM"
  wait "$SERVER" 2> /dev/null || true
  SERVER=""
  grep -q 'stopped' "$WORK/serve.log"
}
admin() { curl -s -m 10 "$@"; }
set_weekday_clock() {  # a running weekday morning: every holder open, results arrive
  admin -o /dev/null -X PUT "$ADMIN/__admin/clock" -d '{"now":"2026-12-02T10:00:00+09:00","frozen":false,"speed":1}'
}
json_last() {  # the last line of the output that is a JSON object, field by a Python expression
  python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.startswith("{")]
v = json.loads(lines[-1]) if lines else {}
print(eval(sys.argv[2], {}, {"v": v}))' "$WORK/out" "$1" 2> /dev/null || true
}

# ---- the blocks served by `./scripts/run.sh` on the default ports ----------------------------
ports_free || exit 1
OWN_PORTS=1
if ! start two-commands 1 "$ROOT"; then
  fail "two-commands: ./scripts/run.sh did not serve the default world"
  exit 1
fi
ok "two-commands: ./scripts/run.sh serves the default world on the default ports"

for r in 1 2; do
  set_weekday_clock
  run web-flow "$ROOT"
  code=$(json_last 'v["commonHeader"]["errorCode"]')
  type=$(json_last 'v["commonHeader"]["telegramType"]')
  if [ $status = 0 ] && has "processId " && [ "$type" = IFA0303-S01 ] && [ -z "$code" ] && has selfPersonalData; then
    ok "web-flow (run $r): IF001-06 answered the result with data"
  else
    fail "web-flow (run $r): status $status, telegramType '$type', errorCode '$code'"
    show
  fi
done

for r in 1 2; do
  run clock "$ROOT"
  if [ $status = 0 ] && has '"now":"2026-12-20T01:00:00+09:00"' && has '"speed":60' &&
    has '"system":"juki"' && ! has '"error"'; then
    ok "clock (run $r): set, advanced by 2 h 30 min, sped up; availability and timeline answered"
  else
    fail "clock (run $r): status $status"
    show
  fi
done

for r in 1 2; do
  run runtime-sheets "$ROOT"
  if [ $status = 0 ] && ! has '"error"' && has SP00000999_ZZ0001 && has 'http://bank-app:3000/notify'; then
    ok "runtime-sheets (run $r): the connection patched, the service put, both in /__admin/config"
  else
    fail "runtime-sheets (run $r): status $status"
    show
  fi
done

for r in 1 2; do
  run faults "$ROOT"
  if [ $status = 0 ] && ! has '"error"' && [ "$(grep -c '^{"ids":\["fault-' "$WORK/out")" = 3 ] &&
    has '"scenario":"third-weekend"' && has '"requests":[' && has '"status":"reset"'; then
    ok "faults (run $r): three faults and a scenario added, the journal read, the world reset"
  else
    fail "faults (run $r): status $status"
    show
  fi
done
faults_after=$(admin "$ADMIN/__admin/faults")
case $faults_after in
  *'"kind"'*) fail "faults: the reset at the block's end left faults behind: $faults_after" ;;
esac

for r in 1 2; do
  run worlds "$ROOT"
  if [ $status = 0 ] && has "world w-" && has '"now":"2026-12-29T10:00:0' && has '"deleted":"w-'; then
    ok "worlds (run $r): a world of its own at 2026-12-29 10:00, then deleted"
  else
    fail "worlds (run $r): status $status"
    show
  fi
done

set_weekday_clock
for r in 1 2; do
  run conformance-bank-app "$ROOT"
  if [ $status = 0 ] && grep -q '^  pass  state-forged' "$WORK/out"; then
    ok "conformance-bank-app (run $r): the sample bank app passes state-forged"
  else
    fail "conformance-bank-app (run $r): status $status"
    show
  fi
done
# The block leaves the sample app running for the next run, as a user would: stop it now.
pkill -f "$BANK_APP" 2> /dev/null || true

if stop; then ok "two-commands: run.sh's server stopped on SIGTERM"; else fail "two-commands: no 'stopped' in run.sh's log"; fi
if start two-commands 1 "$ROOT" && stop; then
  ok "two-commands (run 2): ./scripts/run.sh served and stopped again"
else
  fail "two-commands (run 2): ./scripts/run.sh did not serve a second time"
fi
echo "--   two-commands line 2 (./scripts/test.sh): the command running this test"

# ---- blocks that start mynasim themselves on the default ports ---------------------------------
for ln in 1 2; do
  for r in 1 2; do
    if start api-user $ln "$ROOT"; then
      config=$(admin "$ADMIN/__admin/config")
      stop || true
      case $config in
        *'http://localhost:4000/myna/notify'*) ok "api-user line $ln (run $r): the notification URL is http://localhost:4000/myna/notify" ;;
        *) fail "api-user line $ln (run $r): /__admin/config has no http://localhost:4000/myna/notify" ;;
      esac
    else
      fail "api-user line $ln (run $r): did not serve"
      stop || true
    fi
  done
done

mkdir -p "$WORK/team"
cp "$(block my-world)" "$WORK/team/my-world.yaml"
for r in 1 2; do
  run check-serve "$WORK/team" 1
  if [ $status = 0 ]; then ok "check-serve line 1 (run $r): my-world.yaml is valid"; else
    fail "check-serve line 1 (run $r): status $status"
    show
  fi
  if start check-serve 2 "$WORK/team"; then
    config=$(admin "$ADMIN/__admin/config")
    if stop && [[ $config == *'http://bank-app:3000/notify'* ]]; then
      ok "check-serve line 2 (run $r): my-world.yaml served, its connection override in force"
    else
      fail "check-serve line 2 (run $r): the override is not in /__admin/config, or no clean stop"
    fi
  else
    fail "check-serve line 2 (run $r): did not serve"
    stop || true
  fi
done

# ---- blocks on free ports, or with no server ---------------------------------------------------
for r in 1 2; do
  run faketime "$WORK"
  if [ $status = 0 ] && has "2026-12-29 10:00:00"; then
    ok "faketime (run $r): date under libfaketime says 2026-12-29 10:00:00"
  else
    fail "faketime (run $r): status $status"
    show
  fi
done

for r in 1 2; do
  run offline "$WORK"
  if [ $status = 0 ] && has '"system": "juki"' && grep -qP '^2027-01-01\t元日' "$WORK/out"; then
    ok "offline (run $r): availability, timeline and holidays without a server"
  else
    fail "offline (run $r): status $status"
    show
  fi
done

mkdir -p "$WORK/ci"
for r in 1 2; do
  run ci-service "$WORK/ci" "" MYNASIM="$BIN"
  if [ $status = 0 ] && has "mynasim ready: https://127.0.0.1:" && ! has ":8443" && [ ! -e "$WORK/ci/mynasim.json" ]; then
    ok "ci-service (run $r): served on free ports, stopped, the ready file gone"
  else
    fail "ci-service (run $r): status $status"
    show
  fi
done

block compose > /dev/null  # handed to the engine test
echo "--   compose: run as written, twice, on a real engine by tests/engine/engine_test.sh"

# Every named block was run (or handed on) above: a new block without a check fails here.
for f in "$WORK"/blocks/*; do
  name=$(basename "$f")
  name=${name#*-}
  name=${name%.*}
  grep -qx -- "$name" "$WORK/checked" || fail "README block '$name' has no check in tests/readme/readme_test.sh"
done
[ $failed = 0 ] && echo "readme: every block ran as written, twice in a row"
exit $failed
