#!/usr/bin/env bash
# End-to-end load: the release build against two references, measured in the
# same run, on this machine, with the same load tool (wrk + bench/callbacks.lua):
#   ceiling   a bare poem server answering 200 (examples/http_ceiling.rs)
#   peer      FastAPI + uvicorn (2 workers) + wechatpy: verify, decrypt, parse,
#             in-memory dedupe (bench/peer/), installed here into a venv
#   embedded  pmc-webhook, nothing external: SQLite event log, durable ack
#   external  pmc-webhook with MySQL + Redis + MongoDB (with --external)
#   baseline  another build of pmc-webhook, embedded (with --baseline BINARY):
#             a change's effect, measured in the same run as the change
# Each target gets a fresh data directory and distinct encrypted callbacks
# (no request repeats within a run), first at full speed, then paced at half
# its own maximum for latency. For pmc-webhook it also measures how long
# tracking takes to catch up after the full-speed run (acknowledging comes
# first; tracking follows from the durable log), and so the rate at which
# callbacks are tracked end to end. Prints a table of ratios (BENCHMARKS.md).
#
#   bench/load.sh [--duration SECS] [--connections N] [--external] [--only a,b]
#                 [--baseline BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10
CONNECTIONS=64
EXTERNAL=false
ONLY=ceiling,peer,embedded,external
BASELINE=
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --external) EXTERNAL=true; shift ;;
    --only) ONLY=$2; shift 2 ;;
    --baseline) BASELINE=$(realpath "$2"); ONLY=$ONLY,baseline; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
THREADS=2
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ ! -d "$WORK/backends" ] || tests/backends/down.sh "$WORK/backends" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package) …"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
echo "building the release binary and the ceiling server …"
cargo build --release -q --bin pmc-webhook --example http_ceiling
# PMC_BENCH_BINARY: measure another build of ours (e.g. an older commit's).
BIN=${PMC_BENCH_BINARY:-${CARGO_TARGET_DIR:-target}/release/pmc-webhook}
CEILING=${CARGO_TARGET_DIR:-target}/release/examples/http_ceiling
PEER_VENV=${PMC_PEER_VENV:-$HOME/.cache/pmc-bench-peer-venv}
if [[ $ONLY == *peer* ]] && [ ! -x "$PEER_VENV/bin/uvicorn" ]; then
  echo "installing the Python peer into $PEER_VENV …"
  python3 -m venv "$PEER_VENV"
  "$PEER_VENV/bin/pip" install -q -r bench/peer/requirements.txt
fi
set -a
# shellcheck source=config/demo.env
. config/demo.env
set +a

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # PORT
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2
  return 1
}

start() { # NAME PORT → starts the target in the background, sets SERVER
  local name=$1 port=$2 data="$WORK/data-$1-$RANDOM"
  mkdir -p "$data"
  case $name in
    ceiling) "$CEILING" "127.0.0.1:$port" >"$data/log" 2>&1 & ;;
    peer) (cd bench/peer && exec "$PEER_VENV/bin/uvicorn" app:app --workers 2 --host 127.0.0.1 \
             --port "$port" --log-level warning --no-access-log) >"$data/log" 2>&1 & ;;
    embedded|external|baseline)
      local binary=$BIN mode=$name
      [ "$name" = baseline ] && binary=$BASELINE mode=embedded
      # WeCom's addresses are allowlisted in production: loopback stands in for them here.
      env PMC_CALLBACK_IPS=127.0.0.1 LOG_LEVEL=warn "PMC_STORAGE=$mode" \
        "$binary" --env-file "${ENV_FILE:-config/demo.env}" --host 127.0.0.1 --port "$port" \
        --data-dir "$data" >"$data/log" 2>&1 & ;;
  esac
  SERVER=$!
  PIDS+=("$SERVER")
  wait_for "$port"
}

# Distinct callbacks for one run, signed now (the replay window is 10 min).
requests() { # FILE
  "$BIN" --env-file config/demo.env simulate --count "${ROUNDS:-6000}" --write-requests "$1" >/dev/null
}

run_wrk() { # PORT DELAY_MS REQUESTS → prints the RESULT json
  PMC_REQUESTS=$3 PMC_THREADS=$THREADS PMC_DELAY_MS=$2 \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/callbacks.lua \
    "http://127.0.0.1:$1" | sed -n 's/^RESULT //p'
}

# Seconds until tracking has stored everything committed (pmc_tracking_lag_events = 0).
catch_up() { # PORT
  local start lag
  start=$(date +%s.%N)
  for _ in $(seq 1 1200); do
    lag=$(curl -sf "http://127.0.0.1:$1/metrics" | sed -n 's/^pmc_tracking_lag_events //p')
    if [ "${lag:-x}" = 0 ]; then
      python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$start"
      return
    fi
    sleep 0.25
  done
  echo "300+"
}

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
rate_of() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(round(r["requests"]/(r["duration_us"]/1e6)))' "$1"; }

if $EXTERNAL && [[ $ONLY == *external* ]]; then
  echo "starting MySQL, Redis and MongoDB on loopback (tests/backends/up.sh) …"
  # Ports of their own, so a test run's servers can keep running.
  tests/backends/up.sh "$WORK/backends" 25306 25379 25117 >/dev/null
  ENV_FILE=$WORK/external.env
  { cat config/demo.env; sed 's/^export //; s/ /\n/g' "$WORK/backends/env"; echo PMC_STORAGE=external; } >"$ENV_FILE"
fi

declare -A FULL PACED CATCHUP
TARGETS=()
for target in ceiling peer embedded external baseline; do
  [[ ,$ONLY, == *,$target,* ]] || continue
  [ "$target" = external ] && ! $EXTERNAL && continue
  [ "$target" = baseline ] && [ -z "$BASELINE" ] && continue
  TARGETS+=("$target")
  port=$(free_port)
  requests "$WORK/requests.txt"
  start "$target" "$port"
  sleep 1
  FULL[$target]=$(run_wrk "$port" 0 "$WORK/requests.txt")
  case $target in embedded|external|baseline) CATCHUP[$target]=$(catch_up "$port") ;; esac
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  max=$(rate_of "${FULL[$target]}")
  # Half the maximum: each connection waits so that all together send max/2 per second.
  delay=$(( CONNECTIONS * 1000 * 2 / (max > 0 ? max : 1) ))
  port=$(free_port)
  requests "$WORK/requests.txt"
  start "$target" "$port"
  sleep 1
  PACED[$target]=$(run_wrk "$port" "$delay" "$WORK/requests.txt")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  echo "$target: full ${FULL[$target]}${CATCHUP[$target]:+, tracking caught up ${CATCHUP[$target]} s after the load}"
  echo "$target: paced ${PACED[$target]}"
done

# Acknowledged callbacks over the time until all of them were tracked.
tracked_rate() { # TARGET
  local c=${CATCHUP[$1]:-}
  if [ -z "$c" ]; then echo "–"; elif [ "$c" = 300+ ]; then echo "< $(( $(field "${FULL[$1]}" requests) / 300 ))"; else
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(round(r["requests"]/(r["duration_us"]/1e6+float(sys.argv[2]))))' "${FULL[$1]}" "$c"
  fi
}
ms() { python3 -c 'import sys; print(f"{int(sys.argv[1])/1000:.2f}")' "$1"; }
echo
echo "## $(date -u +%FT%TZ) — $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, same machine"
echo
echo "| target | max callbacks/s | tracked/s | non-2xx | p50 ms | p99 ms | p99.9 ms | paced at | paced p50 ms | paced p99 ms | paced p99.9 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for target in "${TARGETS[@]}"; do
  f=${FULL[$target]} p=${PACED[$target]}
  echo "| $target | $(rate_of "$f") | $(tracked_rate "$target") | $(field "$f" non_2xx) | $(ms "$(field "$f" p50_us)") | $(ms "$(field "$f" p99_us)") | $(ms "$(field "$f" p999_us)") | $(rate_of "$p")/s | $(ms "$(field "$p" p50_us)") | $(ms "$(field "$p" p99_us)") | $(ms "$(field "$p" p999_us)") |"
done
echo
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")' "$1" "$2"; }
if [ -n "${FULL[embedded]:-}" ]; then
  embedded=$(rate_of "${FULL[embedded]}")
  [ -n "${FULL[peer]:-}" ] && echo "- embedded / peer: $(ratio "$embedded" "$(rate_of "${FULL[peer]}")")× (target ≥ 10×)"
  [ -n "${FULL[ceiling]:-}" ] && echo "- embedded / ceiling: $(ratio "$embedded" "$(rate_of "${FULL[ceiling]}")") (target ≥ 0.60)"
  echo "- embedded p99 at half its maximum: $(ms "$(field "${PACED[embedded]}" p99_us)") ms (target ≤ 10 ms)"
  [ -n "${FULL[external]:-}" ] && echo "- external / embedded: $(ratio "$(rate_of "${FULL[external]}")" "$embedded") (target ≥ 0.70)"
  [ -n "${FULL[baseline]:-}" ] && echo "- embedded / baseline: $(ratio "$embedded" "$(rate_of "${FULL[baseline]}")")× (p99 at half load: $(ms "$(field "${PACED[embedded]}" p99_us)") vs $(ms "$(field "${PACED[baseline]}" p99_us)") ms)"
fi
for target in "${TARGETS[@]}"; do
  for result in "${FULL[$target]}" "${PACED[$target]}"; do
    if [ "$(field "$result" non_2xx)" != 0 ] || [ "$(field "$result" socket_errors)" != 0 ]; then
      echo "WARNING $target: $(field "$result" non_2xx) non-2xx answers, $(field "$result" socket_errors) socket errors"
    fi
    # The ceiling does no dedupe, so repeats there change nothing.
    [ "$target" = ceiling ] || [ "$(field "$result" wraps)" = 0 ] ||
      echo "WARNING $target: requests repeated, so some were duplicates (shorten --duration)"
  done
done
