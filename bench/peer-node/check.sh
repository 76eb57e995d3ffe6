#!/usr/bin/env bash
# Checks that the two peers of bench/load.sh do the work they are credited
# with: the same signed, encrypted callbacks must get 200 from both, each sent
# exactly once; the same callbacks with an altered signature must get 403
# from both; the Node peer must answer a signed GET URL verification with
# the decrypted echostr, and must have parsed every callback (its workers'
# distinct dedupe keys, printed when they stop, equal the callbacks sent:
# bench/peer-node/requests.js gives each one a key of its own). When a
# pmc-webhook binary is there, the simulator's corpus (30 types) must get
# 200 from both as well. Uses the installs bench/load.sh makes
# (PMC_PEER_VENV, PMC_PEER_NODE_DIR); run `bench/load.sh --only peer,node`
# once first.
#   bench/peer-node/check.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-3000}
PEER_VENV=${PMC_PEER_VENV:-$HOME/.cache/pmc-bench-peer-venv}
PEER_NODE=${PMC_PEER_NODE_DIR:-$HOME/.cache/pmc-bench-peer-node}
BIN=${PMC_BENCH_BINARY:-${CARGO_TARGET_DIR:-target}/release/pmc-webhook}
if [ ! -x "$PEER_VENV/bin/uvicorn" ] || [ ! -d "$PEER_NODE/node_modules" ]; then
  echo "the peers are not installed: run bench/load.sh --only peer,node once" >&2
  exit 2
fi
export NODE_PATH=$PEER_NODE/node_modules
set -a
# shellcheck source=config/demo.env
. config/demo.env
set +a
WORK=$(mktemp -d)
PIDS=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
FAILED=0
expect() { # WHAT GOT WANTED
  if [ "$2" = "$3" ]; then echo "ok   $1: $2"; else echo "FAIL $1: $2, wanted $3"; FAILED=1; fi
}

PY_PORT=$(port)
(cd bench/peer && exec "$PEER_VENV/bin/uvicorn" app:app --workers 2 --host 127.0.0.1 --port "$PY_PORT" \
  --log-level warning --no-access-log) >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
NODE_PORT=$(port)
node bench/peer-node/app.js --host 127.0.0.1 --port "$NODE_PORT" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
PIDS+=("$NODE_PID")
wait_for "$PY_PORT" && wait_for "$NODE_PORT"

node bench/peer-node/requests.js "$COUNT" "$WORK/requests.txt"
sent=$COUNT
for peer in peer:"$PY_PORT" node:"$NODE_PORT"; do
  name=${peer%%:*} url=http://127.0.0.1:${peer#*:}
  expect "$name, $COUNT callbacks (bench/peer-node/requests.js)" \
    "$(node bench/peer-node/send.js "$url" "$WORK/requests.txt")" "{\"200\":$COUNT}"
  expect "$name, the same $COUNT with an altered signature" \
    "$(node bench/peer-node/send.js "$url" "$WORK/requests.txt" --tamper)" "{\"403\":$COUNT}"
done
if [ -x "$BIN" ]; then
  "$BIN" --env-file config/demo.env simulate --count 100 --write-requests "$WORK/corpus.txt" >/dev/null
  n=$(wc -l <"$WORK/corpus.txt")
  sent=$((sent + n))
  for peer in peer:"$PY_PORT" node:"$NODE_PORT"; do
    expect "${peer%%:*}, $n callbacks of the simulator's corpus ($BIN)" \
      "$(node bench/peer-node/send.js "http://127.0.0.1:${peer#*:}" "$WORK/corpus.txt")" "{\"200\":$n}"
  done
else
  echo "skip the simulator's corpus: no pmc-webhook binary at $BIN"
fi
expect "node, GET URL verification" "$(node bench/peer-node/send.js "http://127.0.0.1:$NODE_PORT" --echo)" \
  '{"status":200,"matches":true}'

kill "$NODE_PID"
wait "$NODE_PID" 2>/dev/null || true
callbacks=$(sed -n 's/.*: \([0-9]*\) callbacks,.*/\1/p' "$WORK/node.log" | awk '{n += $1} END {print n + 0}')
keys=$(sed -n 's/.* callbacks, \([0-9]*\) dedupe keys.*/\1/p' "$WORK/node.log" | awk '{n += $1} END {print n + 0}')
refused=$(sed -n 's/.* keys, \([0-9]*\) bad signatures.*/\1/p' "$WORK/node.log" | awk '{n += $1} END {print n + 0}')
expect "node, callbacks accepted (its workers' counts)" "$callbacks" "$sent"
if [ -x "$BIN" ]; then
  # The simulator's events may share the Python peer's weak event key (user, second, type).
  echo "info node, distinct dedupe keys: $keys ($COUNT from requests.js, each its own key, + the corpus)"
  [ "$keys" -ge "$COUNT" ] || { echo "FAIL node, fewer keys than requests.js callbacks"; FAILED=1; }
else
  expect "node, distinct dedupe keys" "$keys" "$COUNT"
fi
expect "node, bad signatures refused (its workers' counts)" "$refused" "$COUNT"
exit "$FAILED"
