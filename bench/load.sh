#!/usr/bin/env bash
# End-to-end load: the release build against references, measured in the
# same run, on this machine, with the same load tool (wrk + bench/callbacks.lua):
#   ceiling   a bare poem server answering 200 (examples/http_ceiling.rs)
#   peer      FastAPI + uvicorn (2 workers) + wechatpy: verify, decrypt, parse,
#             in-memory dedupe (bench/peer/), installed here into a venv
#   node      fastify + @wecom/crypto + fast-xml-parser, node:cluster with 2
#             workers, the same work (bench/peer-node/), installed with npm ci
#   embedded  pmc-webhook, nothing external: SQLite event log, durable ack
#   external  pmc-webhook with MySQL + Redis + MongoDB (with --external)
#   baseline  another build of pmc-webhook, embedded (with --baseline BINARY):
#             a change's effect, measured in the same run as the change
# At each connection count of --connections, every target gets a fresh data
# directory and distinct encrypted callbacks (no request repeats within a
# run), first at full speed, then paced at half its own maximum for latency.
# Only 2xx answers count as callbacks; errors are non-2xx + socket errors +
# timeouts. CPU per callback: utime + stime (+ the reaped children's) of the
# target's whole process tree (server and all its descendants, from
# /proc/PID/stat, in clock ticks of `getconf CLK_TCK`) over the full-speed
# run, divided by the 2xx answers. For pmc-webhook the full-speed run is
# followed by tracking's catch-up (acknowledging comes first; tracking
# follows from the durable log): its CPU is shown over the load and the
# catch-up together and over the load alone, tracked/s is the callbacks over
# the load plus the catch-up time, and disk per callback is `du -sb` of the
# data directory (database, WAL, everything) after the catch-up divided by
# the events stored. Prints tables and ratios (BENCHMARKS.md).
#
#   bench/load.sh [--duration SECS] [--connections N[,N…]] [--external]
#                 [--only a,b] [--baseline BINARY]
# --connections defaults to 64,256; --only to ceiling,peer,node,embedded,external.
# Environment: PMC_BENCH_SKIP_BUILD=1 uses the binaries already built (no cargo);
# PMC_BENCH_BINARY measures another build of ours as embedded/external;
# CARGO_TARGET_DIR; PMC_PEER_VENV (~/.cache/pmc-bench-peer-venv);
# PMC_PEER_NODE_DIR (~/.cache/pmc-bench-peer-node). A target whose binary or
# runtime is missing is skipped with a message. Without a pmc-webhook binary
# the callbacks are written by bench/peer-node/requests.js (5 types, not 30).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10
CONNECTIONS=64,256
EXTERNAL=false
ONLY=ceiling,peer,node,embedded,external
BASELINE=
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --external) EXTERNAL=true; shift ;;
    --only) ONLY=$2; shift 2 ;;
    --baseline) BASELINE=$(realpath "$2"); ONLY=$ONLY,baseline; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a COUNTS <<<"$CONNECTIONS"
for c in "${COUNTS[@]}"; do
  [[ $c =~ ^[1-9][0-9]*$ ]] || { echo "--connections: $c is not a positive number" >&2; exit 2; }
done
for t in ${ONLY//,/ }; do
  case $t in ceiling|peer|node|embedded|external|baseline) ;; *) echo "--only: unknown target $t" >&2; exit 2 ;; esac
done
wanted() { [[ ,$ONLY, == *,$1,* ]]; }
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

SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package) …"
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ "${PMC_BENCH_SKIP_BUILD:-}" = 1 ]; then
  echo "PMC_BENCH_SKIP_BUILD=1: using the binaries already built"
else
  echo "building the release binary and the ceiling server …"
  cargo build --release -q --bin pmc-webhook --example http_ceiling
fi
# PMC_BENCH_BINARY: measure another build of ours (e.g. an older commit's).
BIN=${PMC_BENCH_BINARY:-${CARGO_TARGET_DIR:-target}/release/pmc-webhook}
CEILING=${CARGO_TARGET_DIR:-target}/release/examples/http_ceiling
PEER_VENV=${PMC_PEER_VENV:-$HOME/.cache/pmc-bench-peer-venv}
PEER_NODE=${PMC_PEER_NODE_DIR:-$HOME/.cache/pmc-bench-peer-node}
HAVE_BIN=false
[ -x "$BIN" ] && HAVE_BIN=true

node_ok() { # Node ≥ 18 on the PATH
  command -v node >/dev/null &&
    [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 18 ]
}
# Node is needed for the node target, and to write the callbacks when there is no binary of ours.
if wanted node || ! $HAVE_BIN; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "installing Node.js and npm (Debian packages) …"
    $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  if ! node_ok; then
    echo "Node.js $(node --version 2>/dev/null || echo missing) is older than 18: no node target" >&2
  # Reinstalled whenever the committed lock file changes.
  elif ! cmp -s bench/peer-node/package-lock.json "$PEER_NODE/package-lock.json" ||
       [ ! -d "$PEER_NODE/node_modules" ]; then
    echo "installing the Node peer's packages into $PEER_NODE (npm ci) …"
    mkdir -p "$PEER_NODE"
    cp bench/peer-node/package.json bench/peer-node/package-lock.json "$PEER_NODE/"
    (cd "$PEER_NODE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
if wanted peer && [ ! -x "$PEER_VENV/bin/uvicorn" ]; then
  echo "installing the Python peer into $PEER_VENV …"
  python3 -m venv "$PEER_VENV"
  "$PEER_VENV/bin/pip" install -q -r bench/peer/requirements.txt
fi
set -a
# shellcheck source=config/demo.env
. config/demo.env
set +a

# Why a target cannot run here, or nothing when it can.
missing() { # TARGET
  case $1 in
    ceiling) [ -x "$CEILING" ] || echo "no ceiling server at $CEILING (cargo build --release --example http_ceiling)" ;;
    peer) [ -x "$PEER_VENV/bin/uvicorn" ] || echo "no Python peer in $PEER_VENV" ;;
    node) node_ok && [ -d "$PEER_NODE/node_modules" ] || echo "no Node.js ≥ 18 with the peer's packages in $PEER_NODE" ;;
    embedded|external) $HAVE_BIN || echo "no pmc-webhook binary at $BIN (build it, or set PMC_BENCH_BINARY)" ;;
    baseline) [ -x "$BASELINE" ] || echo "no baseline binary at $BASELINE" ;;
  esac
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # PORT LOG
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1; the server's log:" >&2
  tail -20 "$2" >&2
  return 1
}

start() { # NAME PORT → starts the target in the background, sets SERVER, DATA and LOG
  local name=$1 port=$2
  DATA=$WORK/data-$1-$RANDOM
  LOG=$DATA.log # beside the data directory, so that its size is the data alone
  mkdir -p "$DATA"
  case $name in
    ceiling) "$CEILING" "127.0.0.1:$port" >"$LOG" 2>&1 & ;;
    peer) (cd bench/peer && exec "$PEER_VENV/bin/uvicorn" app:app --workers 2 --host 127.0.0.1 \
             --port "$port" --log-level warning --no-access-log) >"$LOG" 2>&1 & ;;
    node) NODE_PATH=$PEER_NODE/node_modules NODE_ENV=production \
            node bench/peer-node/app.js --host 127.0.0.1 --port "$port" >"$LOG" 2>&1 & ;;
    embedded|external|baseline)
      local binary=$BIN mode=$name
      [ "$name" = baseline ] && binary=$BASELINE mode=embedded
      # WeCom's addresses are allowlisted in production: loopback stands in for them here.
      env PMC_CALLBACK_IPS=127.0.0.1 LOG_LEVEL=warn "PMC_STORAGE=$mode" \
        "$binary" --env-file "${ENV_FILE:-config/demo.env}" --host 127.0.0.1 --port "$port" \
        --data-dir "$DATA" >"$LOG" 2>&1 & ;;
  esac
  SERVER=$!
  PIDS+=("$SERVER")
  wait_for "$port" "$LOG"
}

stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }

# Distinct callbacks for one run, signed now (the replay window is 10 min).
# `--count` is rounds of the simulator's corpus (its app-route callbacks: 30 a round).
ROUNDS=${ROUNDS:-$(( DURATION * 1000 > 2000 ? DURATION * 1000 : 2000 ))}
requests() { # FILE
  if $HAVE_BIN; then
    "$BIN" --env-file config/demo.env simulate --count "$ROUNDS" --write-requests "$1" >/dev/null
  else
    NODE_PATH=$PEER_NODE/node_modules node bench/peer-node/requests.js "$(( ROUNDS * 30 ))" "$1"
  fi
}

run_wrk() { # PORT CONNECTIONS DELAY_MS REQUESTS → prints the RESULT json
  PMC_REQUESTS=$4 PMC_THREADS=$THREADS PMC_DELAY_MS=$3 \
    wrk -t"$THREADS" -c"$2" -d"${DURATION}s" --timeout 10s -s bench/callbacks.lua \
    "http://127.0.0.1:$1" | sed -n 's/^RESULT //p'
}

# CPU clock ticks of a process and all its descendants: utime + stime of the
# living ones, plus cutime + cstime (the children they have reaped).
tree_ticks() { # PID
  python3 - "$1" <<'EOF'
import os, sys
stats = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    stats[int(pid)] = (int(fields[1]), sum(map(int, fields[11:15])))
tree, grew = {int(sys.argv[1])}, True
while grew:
    children = {pid for pid, (ppid, _) in stats.items() if ppid in tree} - tree
    tree |= children
    grew = bool(children)
print(sum(stats[pid][1] for pid in tree if pid in stats))
EOF
}
HZ=$(getconf CLK_TCK)

metric() { # PORT NAME → the value of an unlabelled metric
  curl -sf "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 //p"
}

# Seconds until tracking has stored everything committed (pmc_tracking_lag_events = 0).
catch_up() { # PORT
  local start lag
  start=$(date +%s.%N)
  for _ in $(seq 1 1200); do
    lag=$(metric "$1" pmc_tracking_lag_events)
    if [ "${lag:-x}" = 0 ]; then
      python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$start"
      return
    fi
    sleep 0.25
  done
  echo "300+"
}

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
ok_of() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["requests"]-r["non_2xx"])' "$1"; }
# 2xx answers per second: only acknowledged callbacks count.
rate_of() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(round((r["requests"]-r["non_2xx"])/(r["duration_us"]/1e6)))' "$1"; }
errors_of() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["non_2xx"]+r["socket_errors"]+r["timeouts"])' "$1"; }
per_callback_us() { # TICKS CALLBACKS
  python3 -c 'import sys; t,n,hz=map(float,sys.argv[1:4]); print(round(t/hz*1e6/n) if n else "–")' "$1" "$2" "$HZ"
}

if $EXTERNAL && wanted external && $HAVE_BIN; then
  echo "starting MySQL, Redis and MongoDB on loopback (tests/backends/up.sh) …"
  # Ports of their own, so a test run's servers can keep running.
  tests/backends/up.sh "$WORK/backends" 25306 25379 25117 >/dev/null
  ENV_FILE=$WORK/external.env
  { cat config/demo.env; sed 's/^export //; s/ /\n/g' "$WORK/backends/env"; echo PMC_STORAGE=external; } >"$ENV_FILE"
fi

TARGETS=()
for target in ceiling peer node embedded external baseline; do
  wanted "$target" || continue
  [ "$target" = external ] && ! $EXTERNAL && continue
  [ "$target" = baseline ] && [ -z "$BASELINE" ] && continue
  why=$(missing "$target")
  if [ -n "$why" ]; then
    echo "skipping $target: $why" >&2
    continue
  fi
  TARGETS+=("$target")
done
[ ${#TARGETS[@]} -gt 0 ] || { echo "no target to measure" >&2; exit 1; }
$HAVE_BIN || echo "no pmc-webhook binary at $BIN: callbacks written by bench/peer-node/requests.js (5 types)"

# Results, keyed TARGET@CONNECTIONS.
declare -A FULL PACED CATCHUP CPU CPU_LOAD DISK KEYS
for c in "${COUNTS[@]}"; do
  for target in "${TARGETS[@]}"; do
    key=$target@$c
    port=$(free_port)
    requests "$WORK/requests.txt"
    start "$target" "$port"
    sleep 1
    empty=$(du -sb "$DATA" | cut -f1)
    before=$(tree_ticks "$SERVER")
    FULL[$key]=$(run_wrk "$port" "$c" 0 "$WORK/requests.txt")
    after_load=$(tree_ticks "$SERVER")
    after=$after_load
    ok=$(ok_of "${FULL[$key]}")
    case $target in embedded|external|baseline)
      CATCHUP[$key]=$(catch_up "$port")
      after=$(tree_ticks "$SERVER")
      CPU_LOAD[$key]=$(per_callback_us "$((after_load - before))" "$ok")
      stored=$(metric "$port" pmc_event_log_events_stored_total)
      # External mode keeps its data in the servers, not in the data directory.
      if [ "$target" != external ] && [ "${stored:-0}" != 0 ]; then
        DISK[$key]=$(( $(du -sb "$DATA" | cut -f1) / ${stored%.*} ))
      fi ;;
    esac
    CPU[$key]=$(per_callback_us "$((after - before))" "$ok")
    stop
    if [ "$target" = node ]; then
      # Each worker prints its count of distinct dedupe keys when it stops.
      KEYS[$key]=$(sed -n 's/.* callbacks, \([0-9]*\) dedupe keys.*/\1/p' "$LOG" | awk '{n += $1} END {print n + 0}')
    fi
    max=$(rate_of "${FULL[$key]}")
    # Half the maximum: each connection waits so that all together send max/2 per second.
    delay=$(( c * 1000 * 2 / (max > 0 ? max : 1) ))
    port=$(free_port)
    requests "$WORK/requests.txt"
    start "$target" "$port"
    sleep 1
    PACED[$key]=$(run_wrk "$port" "$c" "$delay" "$WORK/requests.txt")
    stop
    echo "$target -c$c: full ${FULL[$key]}, CPU ${CPU[$key]} µs/callback${CATCHUP[$key]:+ (load and tracking catch-up, caught up ${CATCHUP[$key]} s after the load; ${CPU_LOAD[$key]} µs over the load alone)}${DISK[$key]:+, ${DISK[$key]} B on disk per stored callback (${stored%.*} stored; the data directory held $empty B before the load)}${KEYS[$key]:+, its workers held ${KEYS[$key]} distinct dedupe keys (keyed as the Python peer: events by user, second and type)}"
    echo "$target -c$c: paced ${PACED[$key]}"
  done
done

# Acknowledged callbacks over the time until all of them were tracked.
tracked_rate() { # KEY
  local c=${CATCHUP[$1]:-}
  if [ -z "$c" ]; then echo "–"; elif [ "$c" = 300+ ]; then echo "< $(( $(ok_of "${FULL[$1]}") / 300 ))"; else
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(round((r["requests"]-r["non_2xx"])/(r["duration_us"]/1e6+float(sys.argv[2]))))' "${FULL[$1]}" "$c"
  fi
}
ms() { python3 -c 'import sys; print(f"{int(sys.argv[1])/1000:.2f}")' "$1"; }
echo
echo "## $(date -u +%FT%TZ) — $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, same machine"
echo
echo "| target | connections | callbacks/s (2xx) | tracked/s | CPU µs per callback | CPU µs, load alone | disk B per callback | errors | p50 ms | p99 ms | p99.9 ms | paced at | paced p99 ms | paced errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in "${COUNTS[@]}"; do
  for target in "${TARGETS[@]}"; do
    key=$target@$c f=${FULL[$target@$c]} p=${PACED[$target@$c]}
    echo "| $target | $c | $(rate_of "$f") | $(tracked_rate "$key") | ${CPU[$key]} | ${CPU_LOAD[$key]:-–} | ${DISK[$key]:-–} | $(errors_of "$f") | $(ms "$(field "$f" p50_us)") | $(ms "$(field "$f" p99_us)") | $(ms "$(field "$f" p999_us)") | $(rate_of "$p")/s | $(ms "$(field "$p" p99_us)") | $(errors_of "$p") |"
  done
done
echo
# The same, one line per target: callbacks/s at each count, then p99 at half the maximum.
header="| target |" rule="|---|"
for c in "${COUNTS[@]}"; do header+=" /s at -c$c |"; rule+="---:|"; done
for c in "${COUNTS[@]}"; do header+=" p99 ms at half, -c$c |"; rule+="---:|"; done
echo "$header"
echo "$rule"
for target in "${TARGETS[@]}"; do
  row="| $target |"
  for c in "${COUNTS[@]}"; do row+=" $(rate_of "${FULL[$target@$c]}") |"; done
  for c in "${COUNTS[@]}"; do row+=" $(ms "$(field "${PACED[$target@$c]}" p99_us)") |"; done
  echo "$row"
done
echo
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")' "$1" "$2"; }
for c in "${COUNTS[@]}"; do
  [ -n "${FULL[embedded@$c]:-}" ] || continue
  embedded=$(rate_of "${FULL[embedded@$c]}")
  echo "At $c connections:"
  [ -n "${FULL[peer@$c]:-}" ] && echo "- embedded / peer: $(ratio "$embedded" "$(rate_of "${FULL[peer@$c]}")")× (target ≥ 10×)"
  [ -n "${FULL[node@$c]:-}" ] && echo "- embedded / node: $(ratio "$embedded" "$(rate_of "${FULL[node@$c]}")")×"
  [ -n "${FULL[ceiling@$c]:-}" ] && echo "- embedded / ceiling: $(ratio "$embedded" "$(rate_of "${FULL[ceiling@$c]}")") (target ≥ 0.60)"
  echo "- embedded p99 at half its maximum: $(ms "$(field "${PACED[embedded@$c]}" p99_us)") ms (target ≤ 10 ms)"
  [ -n "${FULL[external@$c]:-}" ] && echo "- external / embedded: $(ratio "$(rate_of "${FULL[external@$c]}")" "$embedded") (target ≥ 0.70)"
  [ -n "${FULL[baseline@$c]:-}" ] && echo "- embedded / baseline: $(ratio "$embedded" "$(rate_of "${FULL[baseline@$c]}")")× (p99 at half load: $(ms "$(field "${PACED[embedded@$c]}" p99_us)") vs $(ms "$(field "${PACED[baseline@$c]}" p99_us)") ms; CPU ${CPU[embedded@$c]} vs ${CPU[baseline@$c]} µs per callback)"
done
for c in "${COUNTS[@]}"; do
  for target in "${TARGETS[@]}"; do
    for result in "${FULL[$target@$c]}" "${PACED[$target@$c]}"; do
      if [ "$(errors_of "$result")" != 0 ]; then
        echo "WARNING $target -c$c: $(field "$result" non_2xx) non-2xx answers, $(field "$result" socket_errors) socket errors, $(field "$result" timeouts) timeouts"
      fi
      # The ceiling does no dedupe, so repeats there change nothing.
      [ "$target" = ceiling ] || [ "$(field "$result" wraps)" = 0 ] ||
        echo "WARNING $target -c$c: requests repeated, so some were duplicates (shorten --duration or raise ROUNDS)"
    done
  done
done
