#!/usr/bin/env bash
# Starts the service (the debug binary cargo test built) with the demo
# configuration and drives /docs in headless Chromium (tests/browser/docs.mjs).
# The screenshot lands in .ci/artifacts/swagger-ui.png (a CI artifact).
set -euo pipefail
cd "$(dirname "$0")/../.."
ARTIFACTS=.ci/artifacts
mkdir -p "$ARTIFACTS"
DEMO_LOG=$ARTIFACTS/browser-service.log
# shellcheck source=tests/tools/demo-service.sh
. tests/tools/demo-service.sh
(cd tests/browser && npm ci --no-audit --no-fund --silent)
node tests/browser/docs.mjs "$BASE_URL" "$PWD/$ARTIFACTS/swagger-ui.png" "$API_TOKEN"
