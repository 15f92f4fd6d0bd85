#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The image and docker-compose.yml on a real container engine (Debian's docker.io and
# docker-compose), through the ports they publish, as a team would use them:
#   single profile: healthy, the README's web flow, an admin call with and without the token,
#     nothing published beyond loopback, the CA exported to ./certs/exported (owned by the
#     folder's owner) and unchanged across down/up, a team world edit applied while running;
#   split profile from an image store without mynasim:latest (Compose builds it): all 15
#     containers healthy, the web flow, the clock set once through the portal closing
#     住基ネット in its own container, a fault added through one container firing in another,
#     and the log volume of the idle split world;
#   the README's two Compose lines as written, each twice, in the foreground, stopped by Ctrl-C;
#   then the Node Testcontainers module's own test (clients/node/test-container.sh).
# The test starts its own daemon (own socket, data root and address range 10.214.0.0/16) and
# stops everything it started. The base image debian:12-slim is made with debootstrap when no
# registry answers. The image is built from the binary already built (MYNASIM_BIN), its last
# Dockerfile stage taken as written; MYNASIM_ENGINE_FULL_BUILD=1 builds the whole Dockerfile
# instead, as `docker compose build` does on a user's machine (≈ 6 min more on 2 cores).
# Skips (exit 0, "SKIP …") only when the kernel refuses a container engine.
set -euo pipefail
SRC=${MYNASIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${MYNASIM_BIN:-$SRC/build/release/simulator/mynasim}
WORK=${MYNASIM_ENGINE_WORK:-/var/tmp/mynasim-engine}
TOKEN=dev-admin-token
PROJECT=mynasim-engine-test
export DOCKER_HOST=unix://$WORK/docker.sock
export COMPOSE_HTTP_TIMEOUT=300 DOCKER_BUILDKIT=0
T0=$(date +%s.%N)

say() { printf 'engine [%5.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
FAILED=0
check() {  # check "what" command… : one line per check
  local what=$1
  shift
  if "$@" > "$WORK/check.out" 2>&1; then
    say "ok   $what"
  else
    say "FAIL $what"
    sed 's/^/       /' "$WORK/check.out" | tail -20
    FAILED=1
  fi
}
die() {
  say "FAIL $*"
  exit 1
}

[ "$(id -u)" = 0 ] || die "needs root: it starts its own Docker daemon"
for tool in dockerd docker docker-compose debootstrap curl bc; do
  command -v $tool > /dev/null || die "$tool is missing: ./scripts/setup.sh test installs it"
done
[ -x "$BIN" ] || die "no binary at $BIN (./scripts/build.sh release)"
mkdir -p "$WORK"

# --- the daemon ----------------------------------------------------------------------------
DAEMON=""
COMPOSE_FILES=(-f "$SRC/docker-compose.yml")
compose() { docker-compose -p $PROJECT --project-directory "$SRC" "${COMPOSE_FILES[@]}" "$@"; }
cleanup() {
  set +e
  if [ -n "$DAEMON" ]; then
    compose --profile single --profile split down -v --remove-orphans > /dev/null 2>&1
    docker rm -f mynasim-engine-service > /dev/null 2>&1
    kill "$DAEMON" 2> /dev/null
    for _ in $(seq 100); do kill -0 "$DAEMON" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$DAEMON" 2> /dev/null
    ip link del mnsdocker0 2> /dev/null
    # dockerd sets the FORWARD policy to DROP: put back what was there, or the suites run after
    # this one (the split world's hosts on their own bridge) cannot reach each other.
    [ -n "$FORWARD_POLICY" ] && iptables -P FORWARD "$FORWARD_POLICY" 2> /dev/null
  fi
  [ -n "${WORLD:-}" ] && rm -rf "$WORLD"
}
trap cleanup EXIT
start_daemon() {  # $1: storage driver
  rm -f "$WORK/docker.sock"
  ip link add mnsdocker0 type bridge 2> /dev/null || true
  ip addr add 10.214.255.1/24 dev mnsdocker0 2> /dev/null || true
  ip link set mnsdocker0 up
  dockerd --host "$DOCKER_HOST" --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    --bridge mnsdocker0 --default-address-pool base=10.214.0.0/16,size=24 --storage-driver "$1" \
    > "$WORK/dockerd.log" 2>&1 &
  DAEMON=$!
  for _ in $(seq 200); do
    docker info > /dev/null 2>&1 && return 0
    kill -0 "$DAEMON" 2> /dev/null || break
    sleep 0.1
  done
  kill "$DAEMON" 2> /dev/null
  wait "$DAEMON" 2> /dev/null
  DAEMON=""
  return 1
}
FORWARD_POLICY=$(iptables -S FORWARD 2> /dev/null | awk '$1 == "-P" { print $3 }')
if ! start_daemon overlay2 && ! start_daemon vfs; then
  echo "SKIP engine test: the kernel refuses a container engine here; dockerd said:"
  tail -5 "$WORK/dockerd.log"
  exit 0
fi
say "daemon up: $(docker version --format 'Engine {{.Server.Version}}'), $(docker-compose version --short | sed 's/^/Compose /')"

# --- the base image ------------------------------------------------------------------------
if ! docker image inspect debian:12-slim > /dev/null 2>&1; then
  if ! timeout 30 docker pull -q debian:12-slim > /dev/null 2>&1; then
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" > "$WORK/debootstrap.log" 2>&1 ||
      die "debootstrap failed: $(tail -3 "$WORK/debootstrap.log")"
    rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
    tar -C "$WORK/rootfs" -c . | docker import - debian:12-slim > /dev/null
    rm -rf "$WORK/rootfs"
  fi
fi
say "base image debian:12-slim ready"

# --- the image -----------------------------------------------------------------------------
# From the binary built here: the Dockerfile's runtime-base stage as written, then its last
# stage with the binary copied from the context instead of the build stage.
CONTEXT=$WORK/context
if [ "${MYNASIM_ENGINE_FULL_BUILD:-0}" != 1 ]; then
  rm -rf "$CONTEXT"
  mkdir -p "$CONTEXT/certs"
  cp "$BIN" "$CONTEXT/mynasim"
  cp -r "$SRC/fixtures" "$SRC/scenarios" "$CONTEXT/"
  cp "$SRC/certs/generate.sh" "$CONTEXT/certs/"
  docker build -q --target runtime-base -t mynasim-runtime-base "$SRC" > /dev/null ||
    die "docker build --target runtime-base failed"
  {
    echo "FROM mynasim-runtime-base"
    awk '/^FROM runtime-base$/ { last = 1; next } last && /^COPY/' "$SRC/Dockerfile" |
      sed 's|^COPY --from=build /src/build/release/simulator/mynasim |COPY mynasim |'
  } > "$CONTEXT/Dockerfile"
  grep -q '^COPY mynasim /usr/local/bin/mynasim$' "$CONTEXT/Dockerfile" || die "the Dockerfile's last stage changed shape"
  # Compose builds mynasim:latest from that context wherever the file says `build: .`.
  {
    echo "version: \"3.8\""
    echo "services:"
    for s in $(compose config --services); do
      printf '  %s:\n    build: %s\n' "$s" "$CONTEXT"
    done
  } > "$WORK/prebuilt.yml"
  COMPOSE_FILES+=(-f "$WORK/prebuilt.yml")
fi
compose --profile single --profile split down -v --remove-orphans > /dev/null 2>&1 || true
docker image rm -f mynasim:latest > /dev/null 2>&1 || true
say "image store without mynasim:latest"

# --- helpers -------------------------------------------------------------------------------
# Containers by their Compose labels: one quick docker call (docker-compose itself takes ~0.5 s a call).
container_of() {
  docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1"
}
wait_healthy() {  # services…: all healthy within 120 s
  local states
  for _ in $(seq 600); do
    states=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
      --format '{{.Label "com.docker.compose.service"}} {{.Status}}')
    local all=1
    for s in "$@"; do
      grep -q "^$s .*(healthy)" <<< "$states" || all=0
    done
    [ $all = 1 ] && return 0
    sleep 0.2
  done
  echo "$states"
  return 1
}
readme_block() {  # NAME: the ```sh block after README.md's <!-- snippet:NAME --> line
  awk -v mark="<!-- snippet:$1" 'index($0, mark) == 1 { on = 1; next } on && /^```sh$/ { go = 1; next }
    go && /^```$/ { exit } go' "$SRC/README.md"
}
web_flow() {  # the README's snippet, as written, through the published ports
  readme_block web-flow > "$WORK/web-flow.sh"
  A=https://localhost:8443 S=https://localhost:9443 bash "$WORK/web-flow.sh" > "$WORK/web-flow.out" 2>&1
  grep -q '"selfPersonalData"' "$WORK/web-flow.out" || { cat "$WORK/web-flow.out"; return 1; }
}
admin() { curl -s -m 10 -H "Authorization: Bearer $TOKEN" "$@"; }
only_loopback() {  # every published port on 127.0.0.1
  local id
  for id in $(docker ps -q --filter "label=com.docker.compose.project=$PROJECT"); do
    docker port "$id" | tee -a "$WORK/ports.out" | grep -v -- '-> 127\.0\.0\.1:' && return 1
  done
  test -s "$WORK/ports.out"
}
status_inside() {  # service path: the HTTP status of a systems-listener path, asked inside the container
  docker exec "$(container_of "$1")" curl -s -m 10 -o /dev/null -w '%{http_code}' "http://localhost:8090$2"
}

# --- single --------------------------------------------------------------------------------
WORLD=$(mktemp -d "$WORK/world.XXXXXX")
cp "$SRC"/fixtures/*.yaml "$WORLD/"
chmod -R a+rX "$WORLD"
export MYNASIM_WORLD_DIR=$WORLD
rm -f "$SRC/certs/exported/"*.crt
start=$(date +%s.%N)
compose --profile single up -d > "$WORK/up-single.log" 2>&1 || die "single: up failed: $(tail -5 "$WORK/up-single.log")"
check "single: healthy" wait_healthy mynasim
say "single: healthy $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s after up (image built in it)"
check "single: the README's web flow through 127.0.0.1:8443/9443" web_flow
check "single: nothing published beyond 127.0.0.1" only_loopback
check "single: admin call with the token answers 200" \
  test "$(admin -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/__admin/clock)" = 200
check "single: admin call without the token answers 401" \
  test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/__admin/clock)" = 401
check "single: CA exported to ./certs/exported, owned by the folder's owner" \
  test "$(stat -c %u "$SRC/certs/exported/ca.crt")" = "$(stat -c %u "$SRC/certs/exported")"
refused_over() {  # profile guard message: `up` of that profile fails, its guard says why, nothing starts
  ! compose --profile "$1" up -d > "$WORK/over.log" 2>&1 || { cat "$WORK/over.log"; return 1; }
  # Compose 1.29 says only that the guard exited 1 (v2 names the guard's service); the guard's
  # own words are in its log.
  compose --profile "$1" logs --no-color "$2" > "$WORK/over-guard.log" 2>&1
  grep -q "$3" "$WORK/over-guard.log" || { cat "$WORK/over.log" "$WORK/over-guard.log"; return 1; }
  local started
  started=$(docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Label "com.docker.compose.service"}}' |
    grep -cvx "mynasim\|portal" || true)
  [ "$1" = split ] && [ "$started" != 0 ] && { echo "started: $started"; return 1; }
  return 0
}
check "single: a split started over it is refused with mynasim's message, no container left" \
  refused_over split no-single-running "mynasim: the single profile already serves"
ca_before=$(sha256sum < "$SRC/certs/exported/ca.crt" 2> /dev/null || true)
sed -i 's/^    name: 山田 太郎$/    name: 山田 太郎（編集）/' "$WORLD/personas.yaml"
edited() {
  for _ in $(seq 100); do
    admin http://127.0.0.1:8081/__admin/personas/taro | grep -q '山田 太郎（編集）' && return 0
    sleep 0.1
  done
  return 1
}
check "single: a team world edit applied while running" edited
compose --profile single down > /dev/null 2>&1
compose --profile single up -d > /dev/null 2>&1
check "single: healthy again after down/up" wait_healthy mynasim
check "single: the CA survives down/up" test "$(sha256sum < "$SRC/certs/exported/ca.crt")" = "$ca_before"
compose --profile single down > /dev/null 2>&1

# --- split ---------------------------------------------------------------------------------
docker image rm -f mynasim:latest > /dev/null 2>&1 || true
start=$(date +%s.%N)
compose --profile split up -d > "$WORK/up-split.log" 2>&1 || die "split: up failed: $(tail -5 "$WORK/up-split.log")"
# What Compose started and runs (Compose 1.29's `config --services` lists every profile's
# services; the profile's guard has exited).
mapfile -t SERVICES < <(docker ps --filter "label=com.docker.compose.project=$PROJECT" \
  --format '{{.Label "com.docker.compose.service"}}' | sort)
check "split: 15 containers started" test "${#SERVICES[@]}" = 15
check "split: all ${#SERVICES[@]} containers healthy" wait_healthy "${SERVICES[@]}"
say "split: healthy $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s after up (image built in it)"
check "split: the README's web flow crosses the containers" web_flow
check "split: a single started over it is refused with mynasim's message" \
  refused_over single no-split-running "mynasim: the split profile already serves"
check "split: nothing published beyond 127.0.0.1" only_loopback
check "split: 住基ネット serves before the clock moves" test "$(status_inside juki /systems/juki/status)" = 200
admin -X PUT -H 'Content-Type: application/json' -d '{"now":"2026-12-29T10:00:00+09:00"}' \
  http://127.0.0.1:8081/__admin/clock > /dev/null
year_end() { for _ in $(seq 50); do [ "$(status_inside juki /systems/juki/status)" = 503 ] && return 0; sleep 0.1; done; return 1; }
check "split: the clock set once through the portal closes 住基ネット in its own container" year_end
admin -X POST http://127.0.0.1:8081/__admin/clock/wall > /dev/null
fault_added=$(docker exec "$(container_of juki)" curl -s -m 10 -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"id":"pension-down","kind":"http_error","target":"japan-pension","status":503}' http://localhost:8081/__admin/faults)
check "split: a fault added through 住基ネット's container" grep -qx '20[01]' <<< "$fault_added"
fires() { docker exec "$(container_of japan-pension)" curl -s -m 10 -D - -o /dev/null -X POST \
  -H 'Content-Type: application/json' -d '{"person_id":"x","items":[]}' http://localhost:8090/systems/japan-pension/query |
  grep -qi '^x-mynasim-faults: pension-down'; }
check "split: … fires in 日本年金機構中間サーバ's container" fires
admin -X DELETE http://127.0.0.1:8081/__admin/faults > /dev/null
sleep 2
since=$(date +%s)
sleep 30
bytes=0
for s in "${SERVICES[@]}"; do
  n=$(docker logs --since "$since" "$(container_of "$s")" 2>&1 | wc -c || true)
  bytes=$((bytes + n))
done
say "split: idle for 30 s, the ${#SERVICES[@]} containers logged $bytes bytes (≈ $((bytes * 120 / 1024)) KiB an hour)"
check "split: idle logs under 1 MiB an hour" test $((bytes * 120)) -lt 1048576
compose --profile split down > /dev/null 2>&1

# --- the README's Compose lines, as written -----------------------------------------------
# `docker compose up` and `docker compose --profile split up`, each twice, typed in the
# checkout as a user types them: in the foreground, stopped with Ctrl-C (SIGINT to the
# terminal's process group). Debian 12 ships Compose 1.29 only (`docker-compose`); a Docker CLI
# plugin in this test's own Docker config hands `docker compose …` to it, so the lines run
# as written. COMPOSE_PROJECT_NAME names the project, so the helpers above find its containers;
# the image is the mynasim:latest the split profile just built.
PLUGINS=$WORK/docker-config/cli-plugins
mkdir -p "$PLUGINS"
cat > "$PLUGINS/docker-compose" << 'PLUGIN'
#!/bin/sh
# The engine test's `docker compose` on Debian 12: Compose 1.29 under the v2 spelling.
if [ "$1" = docker-cli-plugin-metadata ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"mynasim engine test","Version":"1.29.2","ShortDescription":"Compose 1.29 as docker compose"}'
  exit 0
fi
shift
exec docker-compose "$@"
PLUGIN
chmod +x "$PLUGINS/docker-compose"
readme_compose() {  # line services…: that line of the README's Compose block, as written
  local cmd pid ok=0
  cmd=$(readme_block compose | sed -n "$1p")
  shift
  [ -n "$cmd" ] || { echo "no such line in the README's Compose block"; return 1; }
  (cd "$SRC" && exec setsid env -u MYNASIM_WORLD_DIR DOCKER_CONFIG="$WORK/docker-config" \
    COMPOSE_PROJECT_NAME=$PROJECT bash -c "$cmd") > "$WORK/readme-compose.log" 2>&1 &
  pid=$!
  wait_healthy "$@" && web_flow && ok=1
  kill -INT -- -"$pid" 2> /dev/null || true
  for _ in $(seq 600); do kill -0 -- -"$pid" 2> /dev/null || break; sleep 0.1; done  # the whole group
  kill -KILL -- -"$pid" 2> /dev/null && { echo "Ctrl-C did not stop it within 60 s"; ok=0; }
  wait "$pid" 2> /dev/null || true
  grep -q "Stopping" "$WORK/readme-compose.log" || { echo "no graceful stop:"; tail -5 "$WORK/readme-compose.log"; ok=0; }
  left=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  [ "$left" = 0 ] || { echo "$left containers still running after Ctrl-C"; ok=0; }
  compose --profile single --profile split down > /dev/null 2>&1 || true
  [ $ok = 1 ] || tail -20 "$WORK/readme-compose.log"
  [ $ok = 1 ]
}
for run in 1 2; do
  check "README: \`docker compose up\` as written (run $run): healthy, the web flow, Ctrl-C stops it" \
    readme_compose 1 mynasim
done
for run in 1 2; do
  check "README: \`docker compose --profile split up\` as written (run $run): ${#SERVICES[@]} healthy, the web flow, Ctrl-C" \
    readme_compose 2 "${SERVICES[@]}"
done

# --- examples/ci: the image as a CI service container ------------------------------------
# What examples/ci/github-actions.yml's with-image job does, by hand: the image with only
# environment (a service container cannot change the command), health-checked, the CA fetched
# from the admin API, then trusted.
docker run -d --name mynasim-engine-service -e MYNASIM_ADMIN_HOST=0.0.0.0 -e MYNASIM_ADMIN_TOKEN=ci-secret \
  -p 127.0.0.1:18443:8443 -p 127.0.0.1:19443:9443 -p 127.0.0.1:18081:8081 \
  --health-cmd "curl -fsk https://localhost:8443/readyz" --health-interval 2s --health-timeout 3s --health-retries 30 \
  mynasim:latest > /dev/null
service_ready() {
  for _ in $(seq 300); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' mynasim-engine-service)" = healthy ] && break
    sleep 0.2
  done
  curl -sf -m 10 -H "Authorization: Bearer ci-secret" http://localhost:18081/__admin/certs/ca.crt -o "$WORK/service-ca.crt" &&
    curl -sf -m 10 --cacert "$WORK/service-ca.crt" https://localhost:18443/readyz > /dev/null &&
    test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' http://localhost:18081/__admin/clock)" = 401
}
check "CI recipe: the image as a service container, its CA fetched and trusted, the token required" service_ready
check "the image runs as a non-root user" test "$(docker exec mynasim-engine-service id -u)" != 0
check "the image carries its OCI labels" test "$(docker image inspect -f \
  '{{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.licenses"}}' \
  mynasim:latest)" = "$("$BIN" version | grep -o '[0-9][0-9.]*' | head -1) Apache-2.0"
docker rm -f mynasim-engine-service > /dev/null

# --- the Node Testcontainers module --------------------------------------------------------
if [ -x "$SRC/clients/node/test-container.sh" ]; then
  if MYNASIM_IMAGE=mynasim:latest "$SRC/clients/node/test-container.sh" > "$WORK/testcontainers.log" 2>&1; then
    say "ok   Testcontainers (Node): $(grep -c '^ok\|^# pass' "$WORK/testcontainers.log") lines ok"
    grep -E '^# (pass|fail|skipped)' "$WORK/testcontainers.log" | sed 's/^/       /'
  else
    say "FAIL Testcontainers (Node)"
    tail -30 "$WORK/testcontainers.log" | sed 's/^/       /'
    FAILED=1
  fi
fi

image_mb=$(($(docker image inspect -f '{{.Size}}' mynasim:latest) / 1000000))
say "image mynasim:latest: $image_mb MB"
[ $FAILED = 0 ] && say "all checks passed" || say "some checks failed"
exit $FAILED
