#!/usr/bin/env bash
# Regenerates the committed clients from ../openapi.json (refresh the spec
# first: UPDATE_OPENAPI=1 cargo test --test api openapi).
#   openapi/clients/regenerate.sh [VENV_BIN]
# Python: openapi-python-client (PyPI, pinned below) → python/.
# TypeScript: openapi-typescript types (npm, pinned in typescript/package.json)
# → typescript/schema.d.ts, used with openapi-fetch.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${1:-}
if [ -z "$BIN" ]; then
  VENV=${PMC_CLIENTS_VENV:-$HOME/.cache/pmc-clients-venv}
  [ -x "$VENV/bin/openapi-python-client" ] || {
    python3 -m venv "$VENV" >/dev/null
    "$VENV/bin/pip" install -q "openapi-python-client==0.29.1" "standardwebhooks==1.1.0" >/dev/null
  }
  BIN=$VENV/bin
fi
"$BIN/openapi-python-client" generate --path ../openapi.json --output-path python --overwrite \
  --config python-config.yaml >/dev/null
(cd typescript && npm ci --no-audit --no-fund --silent && npm run -s generate >/dev/null)
