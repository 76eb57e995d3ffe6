#!/usr/bin/env bash
# cargo deny over the dependency tree (deny.toml): licenses, banned and
# wildcard dependencies, and sources (crates.io only). Advisories need the
# RustSec database from GitHub: checked when it can be fetched, otherwise the
# run says plainly that they were not.
#   tests/tools/deny.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-deny >/dev/null || cargo install --locked -q cargo-deny@0.20.2
cargo deny --log-level error check licenses bans sources
echo "ok   cargo deny: licenses, bans, sources"
if timeout 60 cargo deny --log-level error check advisories 2>/tmp/pmc-deny-advisories.log; then
  echo "ok   cargo deny: advisories (RustSec database fetched)"
elif grep -qiE "fetch|network|resolve|connect|clone" /tmp/pmc-deny-advisories.log; then
  echo "SKIP cargo deny advisories: the RustSec database (github.com/rustsec/advisory-db) is not reachable from this machine"
else
  cat /tmp/pmc-deny-advisories.log >&2
  echo "FAIL cargo deny: advisories" >&2
  exit 1
fi
