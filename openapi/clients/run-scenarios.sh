#!/usr/bin/env bash
# Checks the committed clients are what the spec generates, then drives a
# business system's scenario through each against a service started here
# (the debug binary cargo test built, demo configuration).
#   openapi/clients/run-scenarios.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${PMC_CLIENTS_VENV:-$HOME/.cache/pmc-clients-venv}
if [ ! -x "$VENV/bin/openapi-python-client" ]; then
  python3 -m venv "$VENV" >/dev/null
  "$VENV/bin/pip" install -q "openapi-python-client==0.29.1" "standardwebhooks==1.1.0" >/dev/null
fi

# Drift: regenerate into the working tree and compare with what is committed.
openapi/clients/regenerate.sh "$VENV/bin"
if ! git diff --quiet -- openapi/clients/python openapi/clients/typescript/schema.d.ts; then
  git --no-pager diff --stat -- openapi/clients
  echo "FAIL the committed clients differ from the spec's; run openapi/clients/regenerate.sh and commit" >&2
  exit 1
fi
echo "ok   clients match openapi/openapi.json"
"$VENV/bin/pip" install -q -e openapi/clients/python >/dev/null

# shellcheck source=tests/tools/demo-service.sh
. tests/tools/demo-service.sh
SECRET=$(grep '^STATUS_WEBHOOK_SECRET=' config/demo.env | cut -d= -f2)
"$VENV/bin/python" openapi/clients/scenarios/python_scenario.py "$BASE_URL" "$SECRET" "$API_TOKEN"
(cd openapi/clients/typescript && npx tsc -p . && node dist/scenario.js "$BASE_URL" "$SECRET" "$API_TOKEN")
