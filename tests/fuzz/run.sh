#!/usr/bin/env bash
# Runs every fuzz target (cargo fuzz, libFuzzer) with a corpus seeded from
# the WeCom vectors. SECONDS_PER_TARGET defaults to 600 (a real run, here);
# CI runs each for a few seconds as a smoke test, without AddressSanitizer
# (PMC_FUZZ_SANITIZER=none) to save the instrumented rebuild of every crate
# — our code forbids `unsafe`, so ASan mainly watches dependencies.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(envelope decrypt inner_xml inner_json status_body callback_query)
command -v cargo-fuzz >/dev/null || cargo install --locked -q cargo-fuzz@0.13.1
CORPUS=${PMC_FUZZ_CORPUS:-target/fuzz-corpus}
python3 tests/fuzz/seed_corpus.py "$CORPUS"
# cargo fuzz needs nightly flags; the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1
LOGS=${PMC_FUZZ_LOGS:-target/fuzz-logs}
mkdir -p "$LOGS"
for target in "${TARGETS[@]}"; do
  mkdir -p "$CORPUS/$target"
  log="$LOGS/$target.log"
  # The whole output goes to the log; the summary lines are printed. A build
  # error or a crash prints the log's end, so CI shows why it failed.
  status=0
  # shellcheck disable=SC2086 # PMC_FUZZ_FLAGS holds several flags (CI: --dev, a faster build).
  cargo fuzz run --fuzz-dir tests/fuzz -s "${PMC_FUZZ_SANITIZER:-address}" ${PMC_FUZZ_FLAGS:-} "$target" "$CORPUS/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  if [ "$status" != 0 ]; then
    echo "FAIL fuzz target $target (cargo fuzz exited $status); the end of $log:"
    tail -n 60 "$log"
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|Done)' "$log" |
    sed "s/^/$target: /" || true
done
