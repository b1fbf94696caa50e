#!/usr/bin/env bash
# Token throughput of a restarted instance in its first seconds, against the hot app right after (docs/operations.md,
# "Figures"): starts a server on a work dir that scripts/scale/run.sh kept (KEEP=1), requests tokens for every app of
# it uniformly from the moment /api/status answers until FIRST seconds after the process started, then one hot app
# for D seconds, and prints both with the time the server took to listen and its bulk warm pass.
#
# Usage: scripts/scale/restart.sh WORKDIR [postgres-dsn]
#   WORKDIR       a work dir of run.sh kept with KEEP=1 (its data dir and apps.txt)
#   postgres-dsn  the database that run was made on, if it was PostgreSQL
# Environment: GATEHOUSE_BIN (default: go build ./cmd/gatehouse), SERVER_BIN, PORT (default 39311), C (64),
# FIRST (default 10), D (default 10). Needs bash and curl.
set -euo pipefail
work=${1:?usage: scripts/scale/restart.sh WORKDIR [postgres-dsn]}; dsn=${2:-}
[ -f "$work/apps.txt" ] || { echo "$work/apps.txt missing: give a work dir kept by run.sh (KEEP=1)" >&2; exit 2; }
port=${PORT:-39311}; conns=${C:-64}; first=${FIRST:-10}; secs=${D:-10}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-restart.XXXXXX")
bin=${GATEHOUSE_BIN:-}
if [ -z "$bin" ]; then
  bin=$tmp/gatehouse
  (cd "$repo" && go build -o "$bin" ./cmd/gatehouse)
fi
base=http://127.0.0.1:$port
export GATEHOUSE_LISTEN=127.0.0.1:$port GATEHOUSE_ENDPOINT=$base GATEHOUSE_DATA_DIR=$work/data \
  GATEHOUSE_BOOTSTRAP_APP_ID=scaleboot GATEHOUSE_BOOTSTRAP_APP_SECRET=scaleboot-secret-0123456789
if [ -n "$dsn" ]; then export GATEHOUSE_DATABASE_URL=$dsn; fi
start=$(date +%s%N)
"${SERVER_BIN:-$bin}" serve >"$tmp/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
until curl -sf -o /dev/null "$base/api/status"; do
  kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
  sleep 0.02
done
up_ms=$(( ($(date +%s%N) - start) / 1000000 ))
left_ms=$(( first * 1000 - up_ms ))
[ "$left_ms" -gt 500 ] || { echo "listening after ${up_ms} ms: less than half a second of the first ${first} s left" >&2; exit 1; }
tokens() { "$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c "$conns" "$@" | grep -E '^(Apps|Requests|Latency|Errors)'; }
echo "== listening ${up_ms} ms after start; uniform over every app until ${first} s after start"
tokens -d "${left_ms}ms" -warmup 0 -credentials "$work/apps.txt"
echo "   $(grep -o 'grant cache warmed.*' "$tmp/server.log" | head -1)"
head -n 1 "$work/apps.txt" >"$tmp/one.txt"
echo "== one hot app, ${secs}s"
tokens -d "${secs}s" -credentials "$tmp/one.txt"
