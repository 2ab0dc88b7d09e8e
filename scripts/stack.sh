#!/usr/bin/env bash
# Start the production topology of docker-compose.yml as plain processes on this machine:
# PostgreSQL 15 (a throwaway data dir), Redis, migrate, gunicorn, Celery worker and beat.
# Same commands and environment as the compose file; ports are loopback-only.
#
#   scripts/stack.sh start | stop | status | env
set -euo pipefail
cd "$(dirname "$0")/.."

STACK_DIR=${STACK_DIR:-/tmp/studyhall-stack}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
WEB_PORT=${WEB_PORT:-8100}
PY=${PY:-.venv/bin}

stack_env() {
  cat <<ENV
export DEBUG=false
export SECRET_KEY=${SECRET_KEY:-stack-local-secret-key-not-for-production-0123456789abcdef}
export ALLOWED_HOSTS=127.0.0.1,localhost
export CSRF_TRUSTED_ORIGINS=http://127.0.0.1:${WEB_PORT}
export SECURE_SSL_REDIRECT=false
export SESSION_COOKIE_SECURE=false
export CSRF_COOKIE_SECURE=false
export DATABASE_URL=postgres://studyhall:studyhall@127.0.0.1:${PG_PORT}/studyhall
export REDIS_URL=redis://127.0.0.1:${REDIS_PORT}/0
export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
export STATIC_ROOT=${STACK_DIR}/static
ENV
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() {  # wait_for "description" command...
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $what" >&2
  return 1
}

start() {
  mkdir -p "$STACK_DIR/run" "$STACK_DIR/log"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$STACK_DIR/run"; chmod 777 "$STACK_DIR/log"; fi
  if [ ! -s "$STACK_DIR/pg/PG_VERSION" ]; then
    mkdir -p "$STACK_DIR/pg"; [ "$(id -u)" = 0 ] && chown postgres "$STACK_DIR/pg"
    echo studyhall > "$STACK_DIR/pwfile"; chmod 644 "$STACK_DIR/pwfile"
    as_postgres "$PG_BIN/initdb" -D "$STACK_DIR/pg" -U studyhall --pwfile="$STACK_DIR/pwfile" \
      --auth=scram-sha-256 -E UTF8 >"$STACK_DIR/log/initdb.log"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg" -l "$STACK_DIR/log/postgres.log" -w \
    -o "-p $PG_PORT -k $STACK_DIR/run -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  wait_for postgres "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
  PGPASSWORD=studyhall "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U studyhall -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='studyhall'" | grep -q 1 \
    || PGPASSWORD=studyhall "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U studyhall studyhall

  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$STACK_DIR" \
    --pidfile "$STACK_DIR/run/redis.pid" --logfile "$STACK_DIR/log/redis.log" --save "" --appendonly no
  wait_for redis redis-cli -p "$REDIS_PORT" ping

  eval "$(stack_env)"
  "$PY/python" manage.py migrate --noinput >"$STACK_DIR/log/migrate.log"
  "$PY/python" manage.py setup_roles >>"$STACK_DIR/log/migrate.log"
  "$PY/python" manage.py collectstatic --noinput >"$STACK_DIR/log/collectstatic.log"
  "$PY/gunicorn" config.wsgi:application --bind "127.0.0.1:$WEB_PORT" --workers "${WEB_WORKERS:-3}" \
    --daemon --pid "$STACK_DIR/run/gunicorn.pid" --access-logfile "$STACK_DIR/log/access.log" \
    --error-logfile "$STACK_DIR/log/gunicorn.log"
  "$PY/celery" -A config worker --loglevel info --concurrency 2 --detach \
    --pidfile "$STACK_DIR/run/worker.pid" --logfile "$STACK_DIR/log/worker.log"
  "$PY/celery" -A config beat --loglevel info --detach --enable-remote-control --schedule "$STACK_DIR/celerybeat-schedule" \
    --pidfile "$STACK_DIR/run/beat.pid" --logfile "$STACK_DIR/log/beat.log"
  wait_for gunicorn curl -fsS "http://127.0.0.1:$WEB_PORT/healthz"
  # Beat answers pings too (remote control on): ask the worker by name.
  wait_for "celery worker" "$PY/celery" -A config inspect ping --timeout 1 --destination "celery@$(hostname)"
  echo "stack up: http://127.0.0.1:$WEB_PORT (logs in $STACK_DIR/log)"
}

stop_pid() {
  local file=$1
  if [ -f "$file" ]; then
    local pid; pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
  fi
}

stop() {
  stop_pid "$STACK_DIR/run/beat.pid"
  stop_pid "$STACK_DIR/run/worker.pid"
  stop_pid "$STACK_DIR/run/gunicorn.pid"
  if [ -f "$STACK_DIR/run/redis.pid" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -f "$STACK_DIR/run/redis.pid"; fi
  if [ -f "$STACK_DIR/pg/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg" -m fast -w stop >/dev/null || true
  fi
  echo "stack stopped"
}

status() {
  for name in gunicorn worker beat redis; do
    if [ -f "$STACK_DIR/run/$name.pid" ] && kill -0 "$(cat "$STACK_DIR/run/$name.pid")" 2>/dev/null; then
      echo "$name: running"; else echo "$name: stopped"; fi
  done
  if "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; then echo "postgres: running"; else echo "postgres: stopped"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) stack_env ;;
  destroy) stop; rm -rf "$STACK_DIR" ;;
  *) echo "usage: $0 start|stop|status|env|destroy" >&2; exit 2 ;;
esac
