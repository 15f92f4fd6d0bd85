#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The one entry point: compiles the client with plain javac (no Maven: no registry here), runs the
# unit and integration tests (JUnit 5 console launcher, Debian's junit5 package) against the REAL
# mynasim binary, then the README's first example exactly as written. Exits non-zero on any failure.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
MYNASIM_BIN=${MYNASIM_BIN:-$REPO/build/release/simulator/mynasim}
[ -x "$MYNASIM_BIN" ] || { echo "test.sh: no mynasim binary at $MYNASIM_BIN (set MYNASIM_BIN)" >&2; exit 2; }
MYNASIM_BIN=$(cd "$(dirname "$MYNASIM_BIN")" && pwd)/$(basename "$MYNASIM_BIN")
export MYNASIM_BIN
# the from-PATH case: its folder first on PATH
PATH="$(dirname "$MYNASIM_BIN"):$PATH"
export PATH
# every test starts its own simulator: never connect to one named by the caller's environment
unset MYNASIM_ADMIN_URL MYNASIM_APP_URL MYNASIM_SP_URL MYNASIM_SYSTEMS_URL MYNASIM_CA MYNASIM_ADMIN_TOKEN \
      MYNASIM_READY_FILE MYNASIM_PORT_BASE MYNASIM_APP_PORT MYNASIM_SP_PORT MYNASIM_ADMIN_PORT MYNASIM_SYSTEMS_PORT || true

JUNIT=${JUNIT_CONSOLE_JAR:-/usr/share/java/junit-platform-console-standalone.jar}
[ -f "$JUNIT" ] || { echo "test.sh: no JUnit console launcher at $JUNIT (apt-get install junit5)" >&2; exit 2; }
JAPI=/usr/share/java/junit-jupiter-api.jar:/usr/share/java/junit-platform-commons.jar:/usr/share/java/opentest4j.jar:/usr/share/java/apiguardian-api.jar

OUT="$HERE/build"
rm -rf "$OUT/main" "$OUT/junit" "$OUT/test" "$OUT/readme" "$OUT/reports"
mkdir -p "$OUT/main" "$OUT/junit" "$OUT/test" "$OUT/readme" "$OUT/reports"

echo "== compile the client (JDK only)"
# shellcheck disable=SC2046
javac -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC --release 17 -Xlint:all -Werror -d "$OUT/main" $(find "$HERE/src/main/java" -name '*.java')
jar --create --file "$OUT/mynasim-client.jar" -C "$OUT/main" .
echo "== compile the JUnit 5 extension, the tests and the example"
# shellcheck disable=SC2046
javac -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC --release 17 -Xlint:all -Werror -cp "$OUT/main:$JAPI" -d "$OUT/junit" $(find "$HERE/src/junit/java" -name '*.java')
# shellcheck disable=SC2046
javac -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC --release 17 -Xlint:all -Xlint:-try -cp "$OUT/main:$OUT/junit:$JAPI:/usr/share/java/junit-jupiter-params.jar" -d "$OUT/test" \
  $(find "$HERE/src/test/java" "$HERE/examples/src" -name '*.java')

echo "== unit and integration tests (real mynasim: $MYNASIM_BIN, $("$MYNASIM_BIN" version))"
java -jar "$JUNIT" --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
  --class-path "$OUT/main:$OUT/junit:$OUT/test" --scan-class-path "$OUT/test" --include-classname '^.*(Test|IT)$' \
  --reports-dir "$OUT/reports"

echo "== the README's first example, as written"
awk '/<!-- example:first -->/{m=1; next} m==1 && /^```/{m=2; next} m==2 && /^```/{exit} m==2{print}' "$HERE/README.md" \
  > "$OUT/readme/FirstExample.java"
[ -s "$OUT/readme/FirstExample.java" ] || { echo "test.sh: no first example in README.md" >&2; exit 1; }
javac -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC --release 17 -cp "$OUT/mynasim-client.jar" -d "$OUT/readme" "$OUT/readme/FirstExample.java"
( cd "$OUT/readme" && timeout 60 java -cp "$OUT/mynasim-client.jar:$OUT/readme" FirstExample )
echo "== all passed"
