#!/usr/bin/env bash
# Measures what a private_key_jwt token request costs the server against a client_secret_basic one, in the
# server's own CPU per request (gatehouse bench -server-metrics), as docs/operations.md ("Measuring
# private_key_jwt against secrets") describes step by step. Starts a server on a fresh SQLite data dir, makes
# one secret app and one app per key kind (ES256, EdDSA, PS256), then runs ROUNDS rounds of the same
# fixed-rate load for each kind in turn and prints each round's figures (µs per request).
# Environment: GATEHOUSE_BIN (default: go build ./cmd/gatehouse), RATE (requests/s, default 2000), D (seconds
# per run, default 8), ROUNDS (default 3), PORT (default 39401; metrics on PORT+1). Needs curl, openssl, python3.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-pkcost.XXXXXX")
bin=${GATEHOUSE_BIN:-}
if [ -z "$bin" ]; then bin=$work/gatehouse; (cd "$repo" && go build -o "$bin" ./cmd/gatehouse); fi
port=${PORT:-39401}; mport=$((port + 1)); base=http://127.0.0.1:$port
export GATEHOUSE_BOOTSTRAP_APP_ID=bench-admin GATEHOUSE_BOOTSTRAP_APP_SECRET=$(openssl rand -hex 16)
GATEHOUSE_DATA_DIR=$work/data GATEHOUSE_METRICS_LISTEN=127.0.0.1:$mport GATEHOUSE_LISTEN=127.0.0.1:$port \
  GATEHOUSE_ENDPOINT=$base "$bin" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "$base/api/status" && break; sleep 0.1; done
export GATEHOUSE_URL=$base GATEHOUSE_CLIENT_ID=$GATEHOUSE_BOOTSTRAP_APP_ID GATEHOUSE_CLIENT_SECRET=$GATEHOUSE_BOOTSTRAP_APP_SECRET
cd "$work"
"$bin" bench provision -n 1 -out secret.txt >/dev/null 2>&1
for k in es ed rs; do
  "$bin" bench provision -n 1 -out "key-$k.txt" >/dev/null 2>&1
  case $k in
    es) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $k.pem 2>/dev/null ;;
    ed) openssl genpkey -algorithm ed25519 -out $k.pem ;;
    rs) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k.pem 2>/dev/null ;;
  esac
  "$bin" bench jwks -key $k.pem -key-id $k >"jwks-$k.json"
  "$bin" apps auth "$(grep -v '^#' "key-$k.txt" | cut -d' ' -f1)" --jwks "jwks-$k.json" >/dev/null
done
run() { # extra bench flags; prints the server's CPU per request, or the errors
  "$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c 16 -rate "${RATE:-2000}" \
    -d "${D:-8}s" -server-metrics "http://127.0.0.1:$mport/metrics" -json "$@" |
    python3 -c 'import json,sys; j=json.load(sys.stdin); e=j.get("errors",{}).get("total",0); print("%.0f" % j["server"]["cpu_per_request_us"] + ("" if not e else " (%d errors)" % e))'
}
echo "server CPU per request (µs) at ${RATE:-2000}/s: secret, then private_key_jwt ES256, EdDSA, PS256 and their ratios"
for _ in $(seq "${ROUNDS:-3}"); do
  s=$(run -credentials secret.txt)
  line="secret $s"
  for k in es ed rs; do
    v=$(run -auth private_key_jwt -client-id "$(grep -v '^#' "key-$k.txt" | cut -d' ' -f1)" -key $k.pem -key-id $k)
    line="$line  $k $v ($(awk -v a="${v%% *}" -v b="${s%% *}" 'BEGIN{printf "%.2f", a/b}'))"
  done
  echo "$line"
done
