#!/usr/bin/env bash
# Reproduces the scale table of docs/operations.md ("Reproducing the scale figures") with Gatehouse's own
# tools: starts a server on a fresh data dir, provisions N apps through the Management API
# (gatehouse bench provision), then measures the token endpoint with gatehouse bench: one hot app, N apps
# uniformly, N apps with a Zipf skew, and N apps while gatehouse bench writes PATCHes an app at a fixed rate
# and adds the permission write to (or removes it from) the role all N apps hold, ROLE_SCOPE_RATE times a
# second (default once).
#
# Usage: scripts/scale/run.sh [N] [writes/s] [postgres-dsn]
#   N            apps to provision (default 10000)
#   writes/s     app PATCHes per second during the last scenario (default 5)
#   postgres-dsn run on PostgreSQL instead of SQLite (an empty database or schema)
# Environment: GATEHOUSE_BIN (default: go build ./cmd/gatehouse), PORT (default 39311), C (connections,
# default 64), D (seconds per scenario, default 10), ZIPF (exponent, default 1.1), WARM (seconds of the warm-up
# pass, default N/1000 and at least 5), ROLE_SCOPE_RATE (role permission changes per second during the last
# scenario, default 1; 0 for PATCHes alone), KEEP=1 keeps the work dir.
# Needs bash and curl. Run it on a quiet machine and compare ratios within one run, not across runs.
set -euo pipefail
n=${1:-10000}; rate=${2:-5}; dsn=${3:-}
port=${PORT:-39311}; conns=${C:-64}; secs=${D:-10}; zipf=${ZIPF:-1.1}; rs_rate=${ROLE_SCOPE_RATE:-1}
repo=$(cd "$(dirname "$0")/../.." && pwd)
# SERVER_BIN runs another binary as the server (an older version, for a before/after comparison in one
# session; the tools still come from GATEHOUSE_BIN).
# REUSE=DIR measures again on the work dir of a run made with KEEP=1 (its data dir and apps.txt): the
# server starts on the provisioned database, as a restarted instance does, and nothing is provisioned; it
# is first measured from the moment it listens until FIRST seconds (default 10) after its process started,
# N apps uniformly (compare with the hot app of the same run).
work=${REUSE:-$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-scale.XXXXXX")}
[ -n "${REUSE:-}" ] && KEEP=1
bin=${GATEHOUSE_BIN:-}
if [ -z "$bin" ]; then
  bin=$work/gatehouse
  (cd "$repo" && go build -o "$bin" ./cmd/gatehouse)
fi
base=http://127.0.0.1:$port
boot_id=scaleboot boot_secret=scaleboot-secret-0123456789

export GATEHOUSE_LISTEN=127.0.0.1:$port GATEHOUSE_ENDPOINT=$base GATEHOUSE_DATA_DIR=$work/data \
  GATEHOUSE_BOOTSTRAP_APP_ID=$boot_id GATEHOUSE_BOOTSTRAP_APP_SECRET=$boot_secret
if [ -n "$dsn" ]; then export GATEHOUSE_DATABASE_URL=$dsn; fi
started=$(date +%s%N)
"${SERVER_BIN:-$bin}" serve >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
until curl -sf -o /dev/null "$base/api/status"; do
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  [ $(( $(date +%s%N) - started )) -lt 60000000000 ] || { echo "not listening after 60 s" >&2; exit 1; }
  sleep 0.02
done
up_ms=$(( ($(date +%s%N) - started) / 1000000 ))

# The admin app for the Management API helpers (the management CLI's variables).
export GATEHOUSE_URL=$base GATEHOUSE_CLIENT_ID=$boot_id GATEHOUSE_CLIENT_SECRET=$boot_secret
if [ -z "${REUSE:-}" ]; then
  "$bin" bench provision -n "$n" -out "$work/apps.txt"
else
  n=$(wc -l <"$work/apps.txt")
  left_ms=$(( ${FIRST:-10} * 1000 - up_ms ))
  echo "== restarted on $n apps, listening after ${up_ms} ms; uniformly until ${FIRST:-10} s after start"
  if [ "$left_ms" -gt 500 ]; then
    "$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c "$conns" -d "${left_ms}ms" \
      -warmup 0 -credentials "$work/apps.txt" | grep -E '^(Apps|Requests|Latency|Status|Errors)'
  else
    echo "   (less than half a second of it left: not measured)"
  fi
  echo "   $(grep -o 'grant cache warmed.*' "$work/server.log" | head -1)"
fi
# (gatehouse bench ignores GATEHOUSE_CLIENT_ID/SECRET when given -credentials.)
head -n 1 "$work/apps.txt" >"$work/one.txt"

rss() { awk '/^VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$server/status"; }
bench() { # label, then extra flags
  local label=$1; shift
  echo "== $label"
  "$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c "$conns" -d "${secs}s" "$@" |
    grep -E '^(Apps|Requests|Latency|Status|Errors)'
  echo "   server RSS $(rss)"
}

# Warm, not measured: a uniform pass long enough to ask for nearly every app (its Apps line says how many).
warm=${WARM:-$(( n / 1000 > 5 ? n / 1000 : 5 ))}
echo "== warm-up, ${warm}s"
"$bin" bench -url "$base/oidc/token" -resource https://scale.api -scope read -c "$conns" -d "${warm}s" -warmup 0 \
  -credentials "$work/apps.txt" | grep -E '^Apps'
bench "one hot app" -credentials "$work/one.txt"
bench "$n apps, uniform" -credentials "$work/apps.txt"
bench "$n apps, zipf $zipf" -credentials "$work/apps.txt" -zipf "$zipf"
"$bin" bench writes -rate "$rate" -role-scope-rate "$rs_rate" -d "$((secs + 2))s" >"$work/writes.txt" 2>&1 &
writer=$!
bench "$n apps, uniform, $rate writes/s + $rs_rate role changes/s" -credentials "$work/apps.txt"
wait "$writer" || true
sed 's/^/   /' "$work/writes.txt"
echo "server peak RSS $(awk '/^VmHWM/ {printf "%d MiB", $2/1024}' "/proc/$server/status")"
