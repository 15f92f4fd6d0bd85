#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Generates the development PKI for mynasim with the openssl CLI:
#   ca.crt / ca.key          development CA (signs everything below)
#   app.crt / app.key        server certificate of the browser-facing listener
#   sp.crt / sp.key          server certificate of the server-to-server listener
#   client.crt / client.key  client certificate of the sample API user (mutual TLS)
# Usage: certs/generate.sh OUTDIR [--force]
# Existing files are kept unless --force is given. Nothing generated is ever committed.
set -euo pipefail

out="${1:?usage: generate.sh OUTDIR [--force]}"
force="${2:-}"
mkdir -p "$out"
cd "$out"
umask 077

if [ -f ca.crt ] && [ -f app.crt ] && [ -f sp.crt ] && [ -f client.crt ] && [ "$force" != "--force" ]; then
  echo "certs: already present in $out"
  exit 0
fi

days=825
# Host names the listeners answer to: localhost, and the docker-compose service names.
san="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:mynasim,DNS:portal,DNS:mynasim-portal,DNS:app.mynasim.test,DNS:sp.mynasim.test"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -out ca.crt \
  -subj "/C=JP/O=mynasim development/CN=mynasim development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

issue() {  # name subject extended-key-usage [san]
  local name=$1 subject=$2 eku=$3 alt=${4:-}
  key "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -n "$alt" ] && echo "subjectAltName=$alt"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue app "/C=JP/O=mynasim/CN=app.mynasim.test" serverAuth "$san"
issue sp "/C=JP/O=mynasim/CN=sp.mynasim.test" serverAuth "$san"
# The sample API user of the default world (client_id SP00000086_AA0003).
issue client "/C=JP/O=Sample API user/CN=SP00000086_AA0003" clientAuth
rm -f ca.srl
chmod 644 ./*.crt
echo "certs: generated in $out"
