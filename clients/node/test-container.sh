#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Testcontainers module's test against the image mynasim:latest ($MYNASIM_IMAGE).
# Needs a Docker daemon (DOCKER_HOST, else the default socket): without one it prints SKIP and
# exits 0; with a daemon but without the image it fails.
set -eu
cd "$(dirname "$0")"
IMAGE=${MYNASIM_IMAGE:-mynasim:latest}
export MYNASIM_IMAGE="$IMAGE"
# The Ryuk (reaper) image cannot be pulled here; every test stops its own container.
export TESTCONTAINERS_RYUK_DISABLED=true

if [ ! -d node_modules/testcontainers ]; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc -p tsconfig.json

state=$(node test/docker-check.mjs "$IMAGE")
case $state in
  ok) ;;
  no-daemon*)
    echo "SKIP: no Docker daemon answers (${state#no-daemon }); the container test was not run"
    exit 0 ;;
  no-image*)
    echo "test-container.sh: the Docker daemon answers but has no image $IMAGE (docker build -t $IMAGE /work/main)" >&2
    exit 1 ;;
  *)
    echo "test-container.sh: unexpected check result: $state" >&2
    exit 1 ;;
esac

exec node --test test/container.test.mjs
