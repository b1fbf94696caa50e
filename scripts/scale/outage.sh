#!/usr/bin/env bash
# Token throughput of cached apps while PostgreSQL is down, against the same
# apps just before, in one run (docs/operations.md, "Reproducing the scale
# figures"). Creates a private PostgreSQL cluster (pg_createcluster; run as
# root, never touches the cluster on 5432), starts Gatehouse on it,
# provisions N apps, measures them for D seconds, stops the cluster, measures
# again, starts it, and checks that the audit log caught up.
#
# Usage: scripts/scale/outage.sh [N]      (default 10)
# Environment: GATEHOUSE_BIN, PORT (default 39321), PGPORT (default 55491), C (64), D (10).
set -euo pipefail
n=${1:-10}
port=${PORT:-39321}; pgport=${PGPORT:-55491}; conns=${C:-64}; secs=${D:-10}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-outage.XXXXXX")
bin=${GATEHOUSE_BIN:-}
if [ -z "$bin" ]; then
  bin=$work/gatehouse
  (cd "$repo" && go build -o "$bin" ./cmd/gatehouse)
fi
ver=$(ls /etc/postgresql | sort -n | tail -1)
cluster=gh_outage_$$
pg_createcluster "$ver" "$cluster" -p "$pgport" --start-conf=manual -- --auth=trust >/dev/null
base=http://127.0.0.1:$port
cleanup() {
  kill "${server:-0}" 2>/dev/null || true
  wait "${server:-0}" 2>/dev/null || true
  pg_dropcluster --stop "$ver" "$cluster" || true
  rm -rf "$work"
}
trap cleanup EXIT
pg_ctlcluster "$ver" "$cluster" start
dsn="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
export GATEHOUSE_LISTEN=127.0.0.1:$port GATEHOUSE_ENDPOINT=$base GATEHOUSE_DATA_DIR=$work/data \
  GATEHOUSE_DATABASE_URL=$dsn GATEHOUSE_BOOTSTRAP_APP_ID=scaleboot GATEHOUSE_BOOTSTRAP_APP_SECRET=scaleboot-secret-0123456789
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$base/api/status" && break; sleep 0.1; done
export GATEHOUSE_URL=$base GATEHOUSE_CLIENT_ID=scaleboot GATEHOUSE_CLIENT_SECRET=scaleboot-secret-0123456789
"$bin" bench provision -n "$n" -out "$work/apps.txt" >/dev/null
bench() {
  echo "== $1"
  "$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c "$conns" -d "${secs}s" \
    -credentials "$work/apps.txt" | grep -E '^(Apps|Requests|Latency|Status|Errors)'
  echo "   server RSS $(awk '/^VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$server/status")"
}
count() { psql -qtA "$dsn" -c "SELECT count(*) FROM logs" ; }
bench "$n apps, PostgreSQL up"
pg_ctlcluster "$ver" "$cluster" stop -m fast
bench "$n apps, PostgreSQL stopped"
echo "   unknown app while stopped: $(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' -u nobody:some-secret-of-16-chars \
  -d grant_type=client_credentials "$base/oidc/token")"
pg_ctlcluster "$ver" "$cluster" start
sleep 8
echo "   audit log entries after recovery: $(count)"
grep -E 'spool|warmed|listener' "$work/server.log" | sed 's/^/   /' | tail -5
