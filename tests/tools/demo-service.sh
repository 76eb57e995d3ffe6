# shellcheck shell=bash
# Sourced by the scripts that need a running service: starts the debug binary
# cargo test built (PMC_BIN overrides) with the demo configuration on a free
# loopback port, sets PORT and BASE_URL, stops it on exit, waits for /health.
# No token is configured, so the service generates one at first start, as a
# new user's would: API_TOKEN is read from the data directory.
BIN=${PMC_BIN:-${CARGO_TARGET_DIR:-target}/debug/pmc-webhook}
DEMO_DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE_URL="http://127.0.0.1:$PORT"
"$BIN" --env-file config/demo.env --data-dir "$DEMO_DATA" --host 127.0.0.1 --port "$PORT" \
  >"${DEMO_LOG:-$DEMO_DATA/service.log}" 2>&1 &
DEMO_SERVICE=$!
trap 'kill "$DEMO_SERVICE" 2>/dev/null; wait "$DEMO_SERVICE" 2>/dev/null; rm -rf "$DEMO_DATA"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$BASE_URL/health" >/dev/null 2>&1 && break
  sleep 0.1
done
API_TOKEN=$(sed 's/^rw://' "$DEMO_DATA/api_token")
export PORT BASE_URL API_TOKEN
