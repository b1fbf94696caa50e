#!/usr/bin/env bash
# Starts a Gatehouse server in a temporary data dir and drives its admin
# console in real headless Chromium (Debian's chromium package, through
# playwright-core). Screenshots of every step go to screenshots/. Called by
# .ci/run.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GATEHOUSE_URL="http://127.0.0.1:$port"
export GATEHOUSE_ADMIN_USERNAME=e2e-admin
export GATEHOUSE_ADMIN_PASSWORD="e2e console password"
export CHROMIUM="${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}"

go build -o "$tmp/gatehouse" "$root/cmd/gatehouse"
GATEHOUSE_LISTEN="127.0.0.1:$port" GATEHOUSE_ENDPOINT="$GATEHOUSE_URL" GATEHOUSE_DATA_DIR="$tmp/data" \
  "$tmp/gatehouse" serve > "$tmp/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
  curl -sf "$GATEHOUSE_URL/api/status" >/dev/null && break
  sleep 0.1
done

[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
rm -rf screenshots && mkdir -p screenshots
if ! npm test; then
  echo "--- server log"; cat "$tmp/server.log"
  exit 1
fi
echo "screenshots: $(pwd)/screenshots"
