#!/usr/bin/env bash
# Property-based checks of the live service against its own spec
# (schemathesis, PyPI): no 5xx, every answer's status, content type and body
# as documented. Fixed seed, so a CI failure reproduces.
#   tests/schemathesis/run.sh [TOOLS_BIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN_TOOLS=${1:-$(tests/tools/install.sh)}
BIN=${PMC_BIN:-${CARGO_TARGET_DIR:-target}/debug/pmc-webhook}
DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --env-file config/demo.env --data-dir "$DATA" --host 127.0.0.1 --port "$PORT" >"$DATA/service.log" 2>&1 &
SERVICE=$!
trap 'kill "$SERVICE" 2>/dev/null; wait "$SERVICE" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
# The coverage phase is left out: schemathesis 4.x fails inside Hypothesis on
# it (an AST cache error in its own code), which says nothing about the API.
"$BIN_TOOLS/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --phases examples,fuzzing,stateful --max-examples 30 --workers 2 --seed 20261128 --no-color \
  | sed -n '/SUMMARY/,$p'
