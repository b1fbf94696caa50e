#!/usr/bin/env bash
# Measures the capacity figures of docs/deployment.md on this machine with Gatehouse's own tools: the bare
# baseline (gatehouse bench baseline), then a production-shaped server (metrics on, audit on, one hot app)
# over HTTP, over HTTPS (TLS 1.3, a self-signed certificate made here) and, when a DSN is given, on
# PostgreSQL. Prints one gatehouse bench report per scenario.
#
# Usage: scripts/ops/capacity.sh [postgres-dsn]   (an empty database or schema, e.g. ...?search_path=capacity)
# Environment: GATEHOUSE_BIN (default: go build ./cmd/gatehouse), PORT (default 39411), C (connections,
# default 64), D (seconds per scenario, default 10). Needs bash, curl and openssl. Run it on a quiet machine.
set -euo pipefail
dsn=${1:-}
port=${PORT:-39411}; conns=${C:-64}; secs=${D:-10}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-capacity.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
bin=${GATEHOUSE_BIN:-$work/gatehouse}
[ -n "${GATEHOUSE_BIN:-}" ] || (cd "$repo" && go build -o "$bin" ./cmd/gatehouse)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
id=capacity-app secret=capacity-secret-0123456789
key=$(openssl rand -base64 32) # one master key for every run: a PostgreSQL database outlives the data dir
resource=https://default.logto.app/api

wait_up() { for _ in $(seq 100); do curl -ksf "$1/healthz" >/dev/null && return; sleep 0.1; done; echo "server not up" >&2; exit 1; }

echo "== baseline (bare handler: parse, digest, ES256)"
"$bin" bench baseline -listen 127.0.0.1:$port >"$work/baseline.log" 2>&1 &
sleep 1
"$bin" bench -url http://127.0.0.1:$port/oidc/token -client-id baseline -client-secret baseline-secret \
  -resource "$resource" -scope all -c "$conns" -d "${secs}s"
kill %1; wait %1 2>/dev/null || true

run() { # name scheme [env...]
  local name=$1 scheme=$2; shift 2
  rm -rf "$work/data"
  env GATEHOUSE_LISTEN=127.0.0.1:$port GATEHOUSE_ENDPOINT=$scheme://127.0.0.1:$port GATEHOUSE_DATA_DIR="$work/data" \
    GATEHOUSE_BOOTSTRAP_APP_ID=$id GATEHOUSE_BOOTSTRAP_APP_SECRET=$secret GATEHOUSE_METRICS_LISTEN=127.0.0.1:$((port+1)) \
    GATEHOUSE_MASTER_KEY="$key" "$@" "$bin" serve >"$work/$name.log" 2>&1 &
  wait_up "$scheme://127.0.0.1:$port"
  echo "== $name"
  "$bin" bench -url "$scheme://127.0.0.1:$port/oidc/token" -insecure -client-id $id -client-secret $secret \
    -resource "$resource" -scope all -c "$conns" -d "${secs}s"
  curl -s http://127.0.0.1:$((port+1))/metrics | grep -E '^(process_resident_memory_bytes|gatehouse_token_requests_total\{grant="client_credentials",outcome="ok"\})'
  kill %1; wait %1 2>/dev/null || true
}
run "SQLite, HTTP" http
run "SQLite, HTTPS" https GATEHOUSE_TLS_CERT_FILE="$work/tls.crt" GATEHOUSE_TLS_KEY_FILE="$work/tls.key"
if [ -n "$dsn" ]; then
  run "PostgreSQL, HTTP" http GATEHOUSE_DATABASE_URL="$dsn"
fi
