#!/usr/bin/env bash
# Where one callback's cost goes, by thread: CPU µs, context switches and
# bytes written per acknowledged callback, for each thread name of the
# service (tokio-rt-worker: HTTP, verify, decrypt, parse; event-log-write:
# the durable commit; pmc-background: tracking's actors and tailers;
# sqlx-sqlite-wor: tracking's SQLite connection), from /proc/PID/task/*/
# {stat,status,io}, over a full-speed wrk run plus a few seconds for
# tracking to catch up. Compare builds by alternating them in one session:
#
#   bench/threads.sh [--connections N] [--duration SECS] [--rounds R] BINARY [BINARY…]
#
# Needs wrk. Each round gives every binary a fresh data directory and the
# same freshly signed callbacks (signatures are valid for ten minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=64
DURATION=6
ROUNDS=1
BINARIES=()
while [ $# -gt 0 ]; do
  case $1 in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) BINARIES+=("$(realpath "$1")"); shift ;;
  esac
done
[ ${#BINARIES[@]} -gt 0 ] || { echo "usage: bench/threads.sh [flags] BINARY [BINARY…]" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -z "$PID" ] || kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$((20000 + RANDOM % 10000))

# thread name | context switches | CPU ticks | bytes written, summed by name
snapshot() {
  for task in /proc/"$1"/task/*; do
    printf '%s|%s|%s|%s\n' "$(cat "$task/comm")" \
      "$(awk '/^voluntary_ctxt/{v=$2}/^nonvoluntary_ctxt/{n=$2}END{print v+n}' "$task/status")" \
      "$(awk '{print $14+$15}' "$task/stat")" "$(awk '/^wchar/{print $2}' "$task/io")"
  done 2>/dev/null | awk -F'|' '{cs[$1]+=$2; cpu[$1]+=$3; w[$1]+=$4} END{for (k in cs) print k"|"cs[k]"|"cpu[k]"|"w[k]}' | sort
}

TICK_US=$((1000000 / $(getconf CLK_TCK)))
for round in $(seq "$ROUNDS"); do
  "${BINARIES[0]}" --env-file config/demo.env simulate --count $((DURATION * 1000)) \
    --write-requests "$WORK/requests" >/dev/null
  for binary in "${BINARIES[@]}"; do
    data=$(mktemp -d -p "$WORK")
    PMC_CALLBACK_IPS=127.0.0.1 LOG_LEVEL=warn PMC_STORAGE=embedded "$binary" --env-file config/demo.env \
      --host 127.0.0.1 --port "$PORT" --data-dir "$data" >"$data/log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
    snapshot "$PID" >"$data/before"
    PMC_REQUESTS="$WORK/requests" PMC_THREADS=2 timeout $((DURATION + 60)) wrk -t2 -c"$CONNECTIONS" \
      -d"${DURATION}s" --timeout 10s -s bench/callbacks.lua "http://127.0.0.1:$PORT" >"$data/wrk"
    sleep 4 # tracking catches up
    snapshot "$PID" >"$data/after"
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    result=$(grep '^RESULT' "$data/wrk" | sed 's/^RESULT //')
    ok=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["requests"]-r["non_2xx"])' "$result")
    echo "== round $round $(basename "$binary"): $ok callbacks acknowledged in ${DURATION}s, -c$CONNECTIONS"
    join -t'|' "$data/before" "$data/after" | awk -F'|' -v n="$ok" -v tick="$TICK_US" '
      { printf "  %-16s cpu %6.1f us  switches %5.2f  written %7.0f B  per callback\n", $1, ($6-$3)*tick/n, ($5-$2)/n, ($7-$4)/n
        cpu += ($6-$3) }
      END { printf "  %-16s cpu %6.1f us\n", "all threads", cpu*tick/n }'
  done
done
