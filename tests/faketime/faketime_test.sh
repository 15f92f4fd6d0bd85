#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A program started under Debian's libfaketime with mynasim's timestamp file (--faketime-dir)
# lives in the virtual now: frozen, set, advanced, running and sped up, each within a second of
# mynasim's own GET /__admin/clock. Usage: faketime_test.sh MYNASIM_BINARY
set -euo pipefail
BIN=$1
LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2> /dev/null | head -1)
[ -n "$LIB" ] || { echo "libfaketime is missing: ./scripts/setup.sh test installs faketime"; exit 1; }
WORK=$(mktemp -d)
trap 'kill $PID 2> /dev/null; wait $PID 2> /dev/null; rm -rf "$WORK"' EXIT
"$BIN" serve --port-base 0 --ready-file "$WORK/ready.json" --faketime-dir "$WORK/faketime" > "$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 300); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
[ -s "$WORK/ready.json" ] || { cat "$WORK/log"; exit 1; }
ADMIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["urls"]["admin"])' "$WORK/ready.json")

# The program under test: prints its own idea of now (epoch seconds) every 50 ms, as an app
# would read it, with the file libfaketime re-reads on every call.
cat > "$WORK/app.py" << 'PY'
import sys, time
for _ in range(int(sys.argv[1])):
    print(f"{time.time():.3f}", flush=True)
    time.sleep(0.05)
PY
# mynasim's now in epoch seconds, from its own admin API.
virtual_now() {
  curl -s -m 5 "$ADMIN/__admin/clock" | python3 -c '
import json, sys, datetime
print(datetime.datetime.fromisoformat(json.load(sys.stdin)["now"]).timestamp())'
}
app_now() {  # the app's last line after ~0.3 s of running
  LD_PRELOAD=$LIB FAKETIME_TIMESTAMP_FILE="$WORK/faketime/default" FAKETIME_NO_CACHE=1 TZ=Asia/Tokyo \
    python3 "$WORK/app.py" 6 | tail -1
}
failed=0
compare() {  # what
  sleep 0.3  # the file follows a change within one housekeeping tick (100 ms)
  local app v
  app=$(app_now)
  v=$(virtual_now)
  local diff
  diff=$(python3 -c "print(abs($app - $v))")
  if python3 -c "import sys; sys.exit(0 if $diff < 1.0 else 1)"; then
    echo "ok   $1: the app is $diff s from mynasim's clock"
  else
    echo "FAIL $1: the app says $app, mynasim $v ($diff s apart); the file: $(cat "$WORK/faketime/default")"
    failed=1
  fi
}
put() { curl -s -m 5 -o /dev/null -X PUT -H 'Content-Type: application/json' -d "$1" "$ADMIN/__admin/clock"; }
compare "following the wall clock"
put '{"now":"2026-12-29T10:00:00+09:00","frozen":true}'
compare "set and frozen"
curl -s -m 5 -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"by":"PT36H"}' "$ADMIN/__admin/clock/advance"
compare "advanced by 36 h (still frozen)"
put '{"frozen":false}'
compare "running from there"
put '{"speed":3}'
sleep 1
compare "sped up 3×"
curl -s -m 5 -o /dev/null -X POST "$ADMIN/__admin/clock/wall"
compare "back to the wall clock"
exit $failed
