#!/usr/bin/env bash
# Starts a Gatehouse server in a temporary data dir and runs the end-to-end
# tests against it: the official @logto/api SDK, and panva's openid-client
# (DPoP; private_key_jwt; federation with an issuer the test serves on
# loopback over http, hence GATEHOUSE_FEDERATION_ALLOW_INSECURE). Called by
# .ci/run.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GATEHOUSE_URL="http://127.0.0.1:$port"
export GATEHOUSE_CLIENT_ID=e2e-admin
export GATEHOUSE_CLIENT_SECRET="e2e secret with spaces/+%"

go build -o "$tmp/gatehouse" "$root/cmd/gatehouse"
GATEHOUSE_LISTEN="127.0.0.1:$port" GATEHOUSE_ENDPOINT="$GATEHOUSE_URL" GATEHOUSE_DATA_DIR="$tmp/data" \
  GATEHOUSE_BOOTSTRAP_APP_ID="$GATEHOUSE_CLIENT_ID" GATEHOUSE_BOOTSTRAP_APP_SECRET="$GATEHOUSE_CLIENT_SECRET" \
  GATEHOUSE_FEDERATION_ALLOW_INSECURE=true \
  "$tmp/gatehouse" serve > "$tmp/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
  curl -sf "$GATEHOUSE_URL/api/status" >/dev/null && break
  sleep 0.1
done

[ -d node_modules/@logto/api ] || npm ci --no-audit --no-fund
if ! npm test; then
  echo "--- server log"; cat "$tmp/server.log"
  exit 1
fi
