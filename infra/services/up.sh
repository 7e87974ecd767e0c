#!/usr/bin/env bash
# Start the course's backing services on loopback, installing them first if needed (Debian/Ubuntu).
#
#   bash infra/services/up.sh                  # redis, postgres and rabbitmq
#   bash infra/services/up.sh redis postgres   # just these
#
# Idempotent: a service that already answers is left alone. No systemd needed: the daemons are
# started directly. Exits non-zero if a requested service is not up at the end.
#
#   Redis      redis://127.0.0.1:6379
#   PostgreSQL postgresql://daca:daca@127.0.0.1:5432/daca   (role and database created here)
#   RabbitMQ   amqp://guest:guest@127.0.0.1:5672
#
# Environment: DACA_SERVICES_DIR (data and logs, default /tmp/daca-services),
# DACA_SERVICES_INSTALL=0 to never run apt-get.
set -uo pipefail

DIR="${DACA_SERVICES_DIR:-/tmp/daca-services}"
mkdir -p "$DIR"
SERVICES=("$@")
[ ${#SERVICES[@]} -eq 0 ] && SERVICES=(redis postgres rabbitmq)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
log() { printf '[up.sh] %s\n' "$*" >&2; }

APT_UPDATED=0
install_pkgs() {  # install_pkgs <command-to-check> <debian packages...>
  local probe="$1"; shift
  command -v "$probe" >/dev/null 2>&1 && return 0
  if [ "${DACA_SERVICES_INSTALL:-1}" = "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    log "$probe not found and apt-get not usable; install: $*"; return 1
  fi
  log "installing $* (apt log: $DIR/apt.log)"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq >>"$DIR/apt.log" 2>&1 && APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >>"$DIR/apt.log" 2>&1 || { tail -20 "$DIR/apt.log" >&2; return 1; }
}

wait_for() {  # wait_for <seconds> <command...>
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.5
  done
}

redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
up_redis() {
  install_pkgs redis-server redis-server redis-tools || return 1
  redis_ok && return 0
  mkdir -p "$DIR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$DIR/redis" \
    --logfile "$DIR/redis/redis.log" --pidfile "$DIR/redis/redis.pid" --save "" >&2
  wait_for 15 redis_ok
}

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1; }
pg_ok() { pg_isready -q -h 127.0.0.1 -p 5432; }
psql_admin() { as_root runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAX "$@"; }
up_postgres() {
  install_pkgs pg_ctlcluster postgresql || return 1
  [ -n "$(pg_version)" ] || install_pkgs "/usr/lib/postgresql/missing" postgresql || return 1
  local v; v="$(pg_version)"
  if ! pg_ok; then
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -qx "$v main"; then
      as_root pg_createcluster "$v" main -p 5432 >&2 || return 1
    fi
    as_root pg_ctlcluster "$v" main start >&2 || true
    wait_for 30 pg_ok || return 1
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='daca'")" != "1" ]; then
    psql_admin -c "CREATE ROLE daca LOGIN PASSWORD 'daca' CREATEDB" >&2 || return 1
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='daca'")" != "1" ]; then
    psql_admin -c "CREATE DATABASE daca OWNER daca" >&2 || return 1
  fi
  PGPASSWORD=daca psql -h 127.0.0.1 -U daca -d daca -qtAX -c "SELECT 1" >/dev/null 2>&1
}

rabbit_ok() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
up_rabbitmq() {
  install_pkgs rabbitmq-server rabbitmq-server || return 1
  rabbit_ok && return 0
  mkdir -p "$DIR/rabbitmq"
  # rabbitmq-server drops to the rabbitmq user itself when started as root.
  as_root env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672 ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_DIST_PORT=25672 HOME=/var/lib/rabbitmq rabbitmq-server -detached >>"$DIR/rabbitmq/start.log" 2>&1
  wait_for 60 rabbit_ok
}

status=0
for s in "${SERVICES[@]}"; do
  case "$s" in
    redis) url="redis://127.0.0.1:6379" ;;
    postgres|postgresql) s=postgres; url="postgresql://daca:daca@127.0.0.1:5432/daca" ;;
    rabbitmq) url="amqp://guest:guest@127.0.0.1:5672" ;;
    *) log "unknown service '$s' (choose from: redis postgres rabbitmq)"; status=2; continue ;;
  esac
  if "up_$s"; then
    printf '%-9s up    %s\n' "$s" "$url"
  else
    printf '%-9s DOWN  (logs in %s)\n' "$s" "$DIR"; status=1
  fi
done
exit $status
