#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` puts mynasim on PATH with its default world, scenarios and certificate
# script; the installed binary finds them from any directory, a team world includes the
# default one by name, and generated certificates go to ~/.local/state, not the share dir.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
server=
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$prefix"; }
trap cleanup EXIT
cmake --install "$build" --prefix "$prefix" > /dev/null
unset MYNASIM_HOME MYNASIM_CONFIG MYNASIM_CERTS_DIR XDG_STATE_HOME
export PATH="$prefix/bin:$PATH" HOME="$prefix/home"
cd /

[[ "$(command -v mynasim)" == "$prefix/bin/mynasim" ]]
out=$(mynasim check)
[[ "$out" == "ok: $prefix/share/mynasim/fixtures/world.yaml"* ]] || { echo "check said: $out"; exit 1; }
test -x "$prefix/share/mynasim/certs/generate.sh"
test -f "$prefix/share/mynasim/scenarios/year-end-juki.yaml"

mkdir -p "$prefix/team"
cat > "$prefix/team/world.yaml" <<'YAML'
include: ["mynasim:fixtures/world.yaml"]
connections:
  - {client_id: SP00000086_AA0003, override: true, notification_url: "http://bank-app:3000/myna/notify"}
YAML
mynasim check --config "$prefix/team/world.yaml" > /dev/null

# Serving a world kept anywhere: certificates land in ~/.local/state/mynasim/certs.
cat > "$prefix/team/ports0.yaml" <<'YAML'
include: ["mynasim:fixtures/calendar.yaml", "mynasim:fixtures/systems.yaml", "mynasim:fixtures/items.yaml"]
server:
  listeners: {app: {port: 0}, sp: {port: 0}, admin: {port: 0}, systems: {port: 0}}
YAML
mynasim serve --config "$prefix/team/ports0.yaml" > "$prefix/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  grep -q '"event":"ready"' "$prefix/serve.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$prefix/serve.log"; exit 1; }
  sleep 0.1
done
grep -q '"event":"ready"' "$prefix/serve.log" || { cat "$prefix/serve.log"; exit 1; }
test -f "$HOME/.local/state/mynasim/certs/ca.crt"
test ! -e "$prefix/share/mynasim/certs/generated"
echo "install test: ok"
