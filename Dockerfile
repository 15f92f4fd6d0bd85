# SPDX-License-Identifier: Apache-2.0
# mynasim image: build with the same commands as the README, run on a slim Debian.
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

FROM debian:12-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libyaml-0-2 libssl3 libprometheus-cpp-core1.0 openssl curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/release/simulator/mynasim /usr/local/bin/mynasim
COPY fixtures /usr/share/mynasim/fixtures
COPY scenarios /usr/share/mynasim/scenarios
COPY certs/generate.sh /usr/share/mynasim/certs/generate.sh
ENV MYNASIM_HOME=/usr/share/mynasim
EXPOSE 8443 9443 8081 8090
HEALTHCHECK --interval=5s --timeout=3s --retries=10 CMD curl -fsk https://localhost:8443/readyz || exit 1
ENTRYPOINT ["mynasim"]
CMD ["serve", "--host", "0.0.0.0"]
