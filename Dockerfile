# SPDX-License-Identifier: Apache-2.0
# mynasim image: build with the same commands as the README, run on a slim Debian as a non-root
# user. Stages: runtime-base (what the simulator needs to run, its user, labels and health
# check), build (the compile), and the image itself (runtime-base + the binary and the world).
FROM debian:12-slim AS runtime-base
ARG MYNASIM_VERSION=0.1.0
LABEL org.opencontainers.image.title="mynasim" \
      org.opencontainers.image.description="Local simulator of Myna Portal's 自己情報取得API and the systems behind it" \
      org.opencontainers.image.version="${MYNASIM_VERSION}" \
      org.opencontainers.image.source="https://github.com/mynasim/mynasim" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libyaml-0-2 libssl3 libprometheus-cpp-core1.0 openssl curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/mynasim --shell /usr/sbin/nologin mynasim \
 && mkdir -p /var/lib/mynasim/certs /export \
 && chown -R mynasim:mynasim /var/lib/mynasim /export
ENV MYNASIM_HOME=/usr/share/mynasim \
    MYNASIM_CERTS_DIR=/var/lib/mynasim/certs
EXPOSE 8443 9443 8081 8090
HEALTHCHECK --interval=5s --timeout=3s --retries=10 CMD curl -fsk https://localhost:8443/readyz || exit 1
USER mynasim
ENTRYPOINT ["mynasim"]
CMD ["serve", "--host", "0.0.0.0"]

FROM debian:12-slim AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh
# Only what the compile reads: a changed team world, .env, exported certificate or document
# keeps these layers, and the compile below, cached.
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY scripts/build.sh scripts/build.sh
COPY docs/openapi docs/openapi
COPY simulator simulator
ENV MYNASIM_BUILD_TESTS=OFF
RUN ./scripts/build.sh release --target mynasim

# The image. tests/engine/engine_test.sh builds the same stage from a binary built outside
# (its COPY --from=build line rewritten), so keep each COPY on one line.
FROM runtime-base
COPY --from=build /src/build/release/simulator/mynasim /usr/local/bin/mynasim
COPY fixtures /usr/share/mynasim/fixtures
COPY scenarios /usr/share/mynasim/scenarios
COPY certs/generate.sh /usr/share/mynasim/certs/generate.sh
