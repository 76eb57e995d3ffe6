#!/usr/bin/env bash
# Property-based checks of the live service against its own spec
# (schemathesis, PyPI): no 5xx, every answer's status, content type and body
# as documented. Fixed seed, so a CI failure reproduces.
#   tests/schemathesis/run.sh [TOOLS_BIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN_TOOLS=${1:-$(tests/tools/install.sh)}
# shellcheck source=tests/tools/demo-service.sh
. tests/tools/demo-service.sh
# The coverage phase is left out: schemathesis 4.x fails inside Hypothesis on
# it (an AST cache error in its own code), which says nothing about the API.
# With the generated token; ignored_auth also calls every guarded operation
# without it and with a wrong one, and fails unless they are refused.
"$BIN_TOOLS/schemathesis" run "$BASE_URL/openapi.json" -H "Authorization: Bearer $API_TOKEN" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,ignored_auth \
  --phases examples,fuzzing,stateful --max-examples 30 --workers 2 --seed 20261128 --no-color \
  | sed -n '/SUMMARY/,$p'
