#!/usr/bin/env bash
# What accounts cost on the ack path: the release build, embedded, with the
# seed's single app (demo.env) against the same build with 20 more apps and
# robots configured under `accounts:` — alternated A B A B in one run, the
# same distinct callbacks to the default app route, wrk + bench/callbacks.lua.
# Prints callbacks/s and CPU µs per callback (utime + stime of the service
# from /proc, which does not depend on the disk or the concurrency).
#   bench/accounts.sh [--duration SECS] [--connections N] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=6
CONNECTIONS=64
ROUNDS=2
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
BIN=${PMC_BENCH_BINARY:-${CARGO_TARGET_DIR:-target}/release/pmc-webhook}
[ -x "$BIN" ] || cargo build --release -q --bin pmc-webhook
WORK=$(mktemp -d)
PID=
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# 20 accounts: 14 apps (two corps), 6 robots, each with its own credentials.
{
  echo "accounts:"
  for n in $(seq 1 14); do
    key=$(python3 -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode()[:43])")
    echo "  - {id: app-$n, kind: app, corp_id: ww$((n % 2))bench, agent_id: '$((1000100 + n))', secret: s$n, token: t$n, encoding_aes_key: '$key'}"
  done
  for n in $(seq 1 6); do
    key=$(python3 -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode()[:43])")
    echo "  - {id: bot-$n, kind: robot, token: rt$n, encoding_aes_key: '$key'}"
  done
} >"$WORK/accounts.yaml"
: >"$WORK/none.yaml"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run() { # CONFIG → prints "callbacks/s cpu_us_per_callback"
  local p data
  p=$(port)
  data=$WORK/data-$RANDOM
  mkdir -p "$data"
  "$BIN" --env-file config/demo.env simulate --count 8000 --write-requests "$WORK/requests.txt" >/dev/null
  env PMC_CONFIG="$1" PMC_CALLBACK_IPS=127.0.0.1 LOG_LEVEL=warn "$BIN" --env-file config/demo.env \
    --host 127.0.0.1 --port "$p" --data-dir "$data" >"$data/log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
  sleep 1
  local before after result
  before=$(ticks "$PID")
  result=$(PMC_REQUESTS=$WORK/requests.txt PMC_THREADS=2 PMC_DELAY_MS=0 \
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/callbacks.lua "http://127.0.0.1:$p" |
    sed -n 's/^RESULT //p')
  after=$(ticks "$PID")
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  python3 - "$result" "$before" "$after" "$hz" <<'EOF'
import json, sys
r = json.loads(sys.argv[1]); before, after, hz = map(float, sys.argv[2:5])
ok = r["requests"] - r["non_2xx"]
print(f'{ok / (r["duration_us"] / 1e6):.0f} {(after - before) / hz * 1e6 / max(ok, 1):.0f} {r["non_2xx"]}')
EOF
}

echo "| round | accounts | callbacks/s | CPU µs per callback | non-2xx |"
echo "|---:|---|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  for config in none accounts; do
    read -r rate cpu bad < <(run "$WORK/$config.yaml")
    label=$([ "$config" = none ] && echo "seed's app and robot only" || echo "20 more under accounts:")
    echo "| $round | $label | $rate | $cpu | $bad |"
  done
done
