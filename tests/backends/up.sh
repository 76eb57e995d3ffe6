#!/usr/bin/env bash
# Starts real MariaDB, Redis and a MongoDB-compatible server (SecantusDB, on MongoDB's WiredTiger
# engine) on loopback, as plain background processes (no systemd, no Docker), for tests.
# Installs what is missing (Debian packages; SecantusDB into a venv). Works as root on a fresh
# Debian 12 machine. Prints the environment to use and writes it to DIR/env.
#
#   up.sh DIR [MYSQL_PORT] [REDIS_PORT] [MONGO_PORT]     then:  source DIR/env
# (Adapted from the team recipe in ../shared/backends; used by tests/backends/test.sh.)
#   down.sh DIR                                            stops what up.sh started
set -euo pipefail
D=${1:?usage: up.sh DIR [mysql_port] [redis_port] [mongo_port]}
# Below 32768: outside the kernel's ephemeral range, so no outgoing connection can hold them.
MY=${2:-23306}; RP=${3:-26379}; MP=${4:-27117}
mkdir -p "$D"; D=$(cd "$D" && pwd)
VENV=${SECANTUS_VENV:-$HOME/.cache/pmc-test-venv}

need=()
command -v mariadbd >/dev/null || need+=(mariadb-server)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x "$VENV/bin/secantusd-py" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q secantusdb >/dev/null
fi

running() { [ -f "$D/$1/server.pid" ] && kill -0 "$(cat "$D/$1/server.pid")" 2>/dev/null; }

wait_for() {  # name pidfile command...
  local name=$1 pid=$2; shift 2
  for _ in $(seq 1 300); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$pid")" 2>/dev/null || { echo "$name exited; see $D" >&2; return 1; }
    sleep 0.1
  done
  echo "$name not ready in 30 s" >&2; return 1
}

# Each server is started only if it is not already running from DIR (so up.sh after
# down.sh DIR mysql brings back just MariaDB, on its old data).
# MariaDB: fresh datadir unless one exists (then it is reused, as after an outage)
mkdir -p "$D/mysql/run"
if ! running mysql; then
if [ ! -d "$D/mysql/data/mysql" ]; then
  mariadb-install-db --no-defaults --user=root --datadir="$D/mysql/data" --skip-test-db \
    --auth-root-authentication-method=socket >"$D/mysql/install.log" 2>&1
  FRESH=1
fi
mariadbd --no-defaults --user=root --datadir="$D/mysql/data" --socket="$D/mysql/run/mysqld.sock" \
  --pid-file="$D/mysql/run/mysqld.pid" --port="$MY" --bind-address=127.0.0.1 --skip-name-resolve \
  --log-error="$D/mysql/err.log" --innodb-buffer-pool-size=128M >"$D/mysql/stdout.log" 2>&1 &
echo $! >"$D/mysql/server.pid"
wait_for mariadb "$D/mysql/server.pid" mariadb-admin --socket="$D/mysql/run/mysqld.sock" -uroot ping
if [ "${FRESH:-0}" = 1 ]; then
  mariadb --socket="$D/mysql/run/mysqld.sock" -uroot -e "
    CREATE DATABASE pmc_webhook CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER 'pmc_user'@'127.0.0.1' IDENTIFIED BY 'pmc_pw';
    CREATE USER 'pmc_user'@'localhost' IDENTIFIED BY 'pmc_pw';
    GRANT ALL PRIVILEGES ON *.* TO 'pmc_user'@'127.0.0.1', 'pmc_user'@'localhost';"
fi
fi

# Redis with a password, no persistence needed for tests
mkdir -p "$D/redis"
if ! running redis; then
redis-server --port "$RP" --bind 127.0.0.1 --requirepass redis_pw --dir "$D/redis" --save '' \
  --appendonly no --daemonize no >"$D/redis/out.log" 2>&1 &
echo $! >"$D/redis/server.pid"
wait_for redis "$D/redis/server.pid" redis-cli -p "$RP" -a redis_pw --no-auth-warning ping
fi

# MongoDB wire protocol (SecantusDB); data kept in DIR/mongo across restarts
mkdir -p "$D/mongo"
if ! running mongo; then
"$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$MP" --storage-path "$D/mongo/data" --log-level WARNING \
  >"$D/mongo/out.log" 2>&1 &
echo $! >"$D/mongo/server.pid"
wait_for mongo "$D/mongo/server.pid" python3 -c "import socket; socket.create_connection(('127.0.0.1', $MP), 1)"
fi

cat >"$D/env" <<ENV
export MYSQL_HOST=127.0.0.1 MYSQL_PORT=$MY MYSQL_USER=pmc_user MYSQL_PASSWORD=pmc_pw MYSQL_DATABASE=pmc_webhook
export REDIS_HOST=127.0.0.1 REDIS_PORT=$RP REDIS_PASSWORD=redis_pw
export MONGODB_HOST=127.0.0.1 MONGODB_PORT=$MP MONGODB_DATABASE=pmc_logs
ENV
cat "$D/env"
