#!/usr/bin/env bash
# Starts a throwaway PostgreSQL and Redis on loopback for the tests that need
# them, under DIR (default build/services), and prints the environment that
# points the tests at them:
#   WARDEN_TEST_POSTGRES_URL=postgresql://warden@127.0.0.1:PORT/warden
#   WARDEN_TEST_REDIS_URL=redis://127.0.0.1:PORT
# `scripts/test-services.sh stop [DIR]` stops both (by the PIDs they wrote).
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` system user the Debian package creates.
set -euo pipefail
cd "$(dirname "$0")/.."

action=start
if [[ "${1:-}" == "stop" || "${1:-}" == "start" ]]; then
  action=$1
  shift
fi
dir=$(realpath -m "${1:-build/services}")
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  if [[ -f "$dir/pg/postmaster.pid" ]]; then
    as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -f "$dir/redis.pid" ]]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
}

# A port nothing answers on, from the ephemeral range's lower neighbour.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

if [[ $action == stop ]]; then
  stop
  exit 0
fi

stop
rm -rf "$dir"
mkdir -p "$dir"
[[ $(id -u) -eq 0 ]] && chown postgres "$dir"

pg_port=$(free_port)
as_pg "$pg_bin/initdb" -D "$dir/pg" -U warden --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir -c fsync=off" start >/dev/null
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U warden warden

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

echo "WARDEN_TEST_POSTGRES_URL=postgresql://warden@127.0.0.1:$pg_port/warden"
echo "WARDEN_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
