#!/usr/bin/env bash
# Measures Management API writes under full token load, as docs/operations.md ("Fewer round trips, and no row
# held across one") does: restarts a server on a work dir that scripts/scale/run.sh kept (KEEP=1), with its
# metrics listener; warms the grant cache with a uniform pass; then requests tokens uniformly for D seconds with
# "gatehouse bench writes" beside them (RATE app PATCHes and ROLE_SCOPE_RATE role permission changes a second).
# Prints the token throughput, the writes' latency as the generator saw it, and the server's own histogram of
# write durations (gatehouse_management_request_duration_seconds{kind="write"}, cumulative counts per bucket).
# On PostgreSQL, with PROBE=1 (needs pgbench), pgbench measures the floor under the same load in the same
# window: PROBE_RATE transactions a second (default 10, 8 connections) from outside the server, each at random
# a bare round trip (SELECT 1) or a durable commit (a one-record transaction, pg_logical_emit_message, whose
# commit waits for its WAL flush, as a Management API write's does); no write can be faster than that floor.
#
# Usage: scripts/scale/writes.sh WORKDIR [postgres-dsn]
#   WORKDIR       a work dir of run.sh kept with KEEP=1 (its data dir and apps.txt)
#   postgres-dsn  the database that run was made on, if it was PostgreSQL
# Environment: GATEHOUSE_BIN (default: go build ./cmd/gatehouse), SERVER_BIN (another binary as the server),
# PORT (default 39311), METRICS_PORT (default 39312), C (token connections, default 64), D (seconds, default
# 20), WARM (seconds of the warm pass, default 20), RATE (default 50), ROLE_SCOPE_RATE (default 1), PROBE,
# PROBE_RATE.
# Needs bash and curl. Compare builds by alternating them in one session, not across sessions.
set -euo pipefail
work=${1:?usage: scripts/scale/writes.sh WORKDIR [postgres-dsn]}; dsn=${2:-}
[ -f "$work/apps.txt" ] || { echo "$work/apps.txt missing: give a work dir kept by run.sh (KEEP=1)" >&2; exit 2; }
port=${PORT:-39311}; mport=${METRICS_PORT:-39312}; conns=${C:-64}; secs=${D:-20}; warm=${WARM:-20}
rate=${RATE:-50}; rs_rate=${ROLE_SCOPE_RATE:-1}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GATEHOUSE_BIN:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-writes.XXXXXX")
if [ -z "$bin" ]; then
  bin=$tmp/gatehouse
  (cd "$repo" && go build -o "$bin" ./cmd/gatehouse)
fi
base=http://127.0.0.1:$port
# The bootstrap app run.sh made (the management CLI's variables are for gatehouse bench writes).
boot_id=scaleboot boot_secret=scaleboot-secret-0123456789
export GATEHOUSE_LISTEN=127.0.0.1:$port GATEHOUSE_ENDPOINT=$base GATEHOUSE_DATA_DIR=$work/data \
  GATEHOUSE_METRICS_LISTEN=127.0.0.1:$mport \
  GATEHOUSE_BOOTSTRAP_APP_ID=$boot_id GATEHOUSE_BOOTSTRAP_APP_SECRET=$boot_secret
if [ -n "$dsn" ]; then export GATEHOUSE_DATABASE_URL=$dsn; fi
"${SERVER_BIN:-$bin}" serve >"$tmp/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 600); do
  grep -q 'grant cache warmed' "$tmp/server.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
  sleep 0.05
done
export GATEHOUSE_URL=$base GATEHOUSE_CLIENT_ID=$boot_id GATEHOUSE_CLIENT_SECRET=$boot_secret
tokens() { "$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c "$conns" -credentials "$work/apps.txt" "$@"; }
echo "== warm-up, ${warm}s"
tokens -d "${warm}s" -warmup 0 | grep -E '^Apps'
echo "== uniform tokens, ${secs}s, beside $rate PATCHes/s + $rs_rate role changes/s"
"$bin" bench writes -rate "$rate" -role-scope-rate "$rs_rate" -d "$((secs + 2))s" >"$tmp/writes.txt" 2>&1 &
writer=$!
if [ -n "${PROBE:-}" ] && [ -n "$dsn" ]; then
  printf 'SELECT 1;\n' >"$tmp/roundtrip.sql"
  printf "SELECT pg_logical_emit_message(true, 'gatehouse-probe', '');\n" >"$tmp/commit.sql"
  (cd "$tmp" && pgbench -n -R "${PROBE_RATE:-10}" -T "$secs" -c 8 -f roundtrip.sql@1 -f commit.sql@1 -l --log-prefix=probe \
    "$dsn" >/dev/null 2>&1) &
  prober=$!
fi
tokens -d "${secs}s" | grep -E '^(Requests|Latency)'
wait "$writer" || true
sed 's/^/   /' "$tmp/writes.txt"
if [ -n "${prober:-}" ]; then
  wait "$prober" || true
  # pgbench -l: client, transaction, latency (µs), script number, epoch seconds, µs.
  for n in 0 1; do
    name=$([ "$n" = 0 ] && echo 'round trip (SELECT 1)' || echo 'durable commit')
    awk -v n="$n" '$4 == n { print $3 }' "$tmp"/probe.* | sort -n | awk -v name="$name" '
      function at(q,  i) { i = int(NR * q) + 1; return x[i > NR ? NR : i] / 1000 }
      { x[NR] = $1 }
      END { if (NR) printf "   pgbench %s: %d, p50 %.2fms p99 %.2fms max %.2fms\n", name, NR, at(0.5), at(0.99), x[NR] / 1000
            else print "   pgbench " name ": none" }'
  done
fi
echo "== server: writes done within (seconds: cumulative count)"
curl -sf "http://127.0.0.1:$mport/metrics" |
  sed -n 's/^gatehouse_management_request_duration_seconds_bucket{kind="write",le="\([^"]*\)"} \(.*\)$/   \1: \2/p'
