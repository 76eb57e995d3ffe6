#!/usr/bin/env bash
# Starts the service (the debug binary cargo test built) with the demo
# configuration and drives /docs in headless Chromium (tests/browser/docs.mjs).
# The screenshot lands in .ci/artifacts/swagger-ui.png (a CI artifact).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${PMC_BIN:-${CARGO_TARGET_DIR:-target}/debug/pmc-webhook}
ARTIFACTS=.ci/artifacts
mkdir -p "$ARTIFACTS"
DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --env-file config/demo.env --data-dir "$DATA" --host 127.0.0.1 --port "$PORT" >"$ARTIFACTS/browser-service.log" 2>&1 &
SERVICE=$!
trap 'kill "$SERVICE" 2>/dev/null; wait "$SERVICE" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
(cd tests/browser && npm ci --no-audit --no-fund --silent)
node tests/browser/docs.mjs "http://127.0.0.1:$PORT" "$PWD/$ARTIFACTS/swagger-ui.png"
