#!/usr/bin/env bash
# The README's test command: starts real MariaDB, Redis and a MongoDB-compatible
# server on loopback (installing what is missing, see up.sh), runs the whole
# suite against them, and stops them again.
#
#   tests/backends/test.sh [cargo test args...]
#
# PMC_BACKENDS_DIR picks where the servers keep their data (default
# target/test-backends); PMC_REUSE_BACKENDS=1 leaves them running afterwards so
# that the next run reuses them.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${PMC_BACKENDS_DIR:-$PWD/target/test-backends}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
if [ "${PMC_REUSE_BACKENDS:-0}" != 1 ]; then
  trap 'tests/backends/down.sh "$DIR"' EXIT
fi
tests/backends/up.sh "$DIR" >/dev/null
# promtool, nginx, shellcheck, chromium, compose, hadolint, kubernetes-validate.
TOOLS_BIN=$(tests/tools/install.sh)
echo "backends: $(tr '\n' ' ' <"$DIR/env")"
# The tests read the servers' addresses from this file, and fail (rather than
# skip) when CI is set and it is missing.
export PMC_TEST_BACKENDS="$DIR/env" PMC_TEST_BACKENDS_DIR="$DIR"
# The artifact users build: no dev-dependencies, so no feature a test build
# unifies in (TLS once came only from a dev-dependency). Copied aside, since
# `cargo test` later rebuilds target/debug/pmc-webhook with unified features.
echo "== the artifact: cargo build --bin pmc-webhook (no dev-dependencies)"
LOCKED=()
for arg in "$@"; do [ "$arg" = --locked ] && LOCKED=(--locked); done
cargo build "${LOCKED[@]}" --bin pmc-webhook
mkdir -p target/artifact
cp target/debug/pmc-webhook target/artifact/pmc-webhook
cargo test --workspace "$@"
echo "== artifact smoke: the smoke_ tests against target/artifact/pmc-webhook"
PMC_SERVICE_BINARY=$PWD/target/artifact/pmc-webhook cargo test "${LOCKED[@]}" --test api -- smoke_
echo "== OpenAPI spec validation"
"$TOOLS_BIN/openapi-spec-validator" openapi/openapi.json openapi/openapi.yaml
echo "== generated clients (Python, TypeScript): drift and a scenario each"
openapi/clients/run-scenarios.sh
echo "== schemathesis against the live service"
tests/schemathesis/run.sh "$TOOLS_BIN"
echo "== Swagger UI in headless Chromium"
tests/browser/run.sh
echo "== deploy kit"
deploy/validate.sh "$TOOLS_BIN"
echo "== cargo deny"
tests/tools/deny.sh
echo "== fuzz targets, a short run each (tests/fuzz/run.sh 600 for the real thing)"
PMC_FUZZ_SANITIZER=none PMC_FUZZ_FLAGS=--dev tests/fuzz/run.sh "${PMC_FUZZ_SECONDS:-10}"
