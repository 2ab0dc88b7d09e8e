#!/usr/bin/env bash
# Start the production topology of docker-compose.yml as plain processes on this machine:
# PostgreSQL 15 (a throwaway data dir), Redis, migrate, WEB_NODES gunicorn nodes, Celery
# worker and beat, and nginx in front of the nodes (Debian's nginx; skipped with a note when
# not installed) with the limits production needs under overload (docs/deploy.md, "Overload").
# Same commands and environment as the compose file; ports are loopback-only:
# gunicorn node 1 on WEB_PORT (what the tests hit), node k on WEB_PORT + 1000 × (k - 1)
# unless WEB_NODE_PORTS lists them ("8100 9100"), nginx on NGINX_PORT (default WEB_PORT + 10)
# with an upstream of every node. WEB_NODES=1 is the single-node stack of before.
#
#   scripts/stack.sh start | stop | status | env | destroy
set -euo pipefail
cd "$(dirname "$0")/.."

STACK_DIR=${STACK_DIR:-/tmp/studyhall-stack}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
WEB_PORT=${WEB_PORT:-8100}
NGINX_PORT=${NGINX_PORT:-$((WEB_PORT + 10))}
WEB_NODES=${WEB_NODES:-2}
if [ -z "${WEB_NODE_PORTS:-}" ]; then
  WEB_NODE_PORTS=$(for k in $(seq 1 "$WEB_NODES"); do printf '%s ' $((WEB_PORT + 1000 * (k - 1))); done)
fi
read -r -a NODE_PORTS <<<"$WEB_NODE_PORTS"
if [ "${NODE_PORTS[0]}" != "$WEB_PORT" ]; then
  echo "WEB_NODE_PORTS must start with WEB_PORT ($WEB_PORT): node 1 is what the tests hit" >&2; exit 2
fi
PY=${PY:-.venv/bin}

stack_env() {
  cat <<ENV
export DEBUG=false
export SECRET_KEY=${SECRET_KEY:-stack-local-secret-key-not-for-production-0123456789abcdef}
export ALLOWED_HOSTS=127.0.0.1,localhost
export CSRF_TRUSTED_ORIGINS=$(node_urls),http://127.0.0.1:${NGINX_PORT}
export SECURE_SSL_REDIRECT=false
export SESSION_COOKIE_SECURE=false
export CSRF_COOKIE_SECURE=false
export DATABASE_URL=postgres://studyhall:studyhall@127.0.0.1:${PG_PORT}/studyhall
export REDIS_URL=redis://127.0.0.1:${REDIS_PORT}/0
export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
export CACHE_URL=redis://127.0.0.1:${REDIS_PORT}/1
export CLIENT_IP_HEADER=HTTP_X_REAL_IP
export STATIC_ROOT=${STACK_DIR}/static
export STACK_NODE_URLS=$(node_urls)
export NGINX_PORT=${NGINX_PORT}
ENV
}

node_urls() {  # every gunicorn node, comma-separated: node 1 first
  local IFS=,; local urls=()
  for port in "${NODE_PORTS[@]}"; do urls+=("http://127.0.0.1:$port"); done
  echo "${urls[*]}"
}

node_name() {  # node 1 keeps the single-node stack's file names (gunicorn.pid, access.log)
  if [ "$1" = 1 ]; then echo gunicorn; else echo "gunicorn-$1"; fi
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
  # gthread: a slow request holds one thread, not a whole process; the backlog is bounded so
  # a flood queues in nginx (which refuses fast) rather than in a kernel queue nobody drains
  # in time; a request still running after --timeout has its worker restarted.
  local k=0
  for port in "${NODE_PORTS[@]}"; do
    k=$((k + 1))
    local name; name=$(node_name "$k")
    "$PY/gunicorn" config.wsgi:application --bind "127.0.0.1:$port" --workers "${WEB_WORKERS:-3}" \
      --worker-class gthread --threads "${WEB_THREADS:-4}" --backlog "${WEB_BACKLOG:-64}" \
      --timeout 30 --graceful-timeout 20 --keep-alive 5 \
      --daemon --pid "$STACK_DIR/run/$name.pid" --access-logfile "$STACK_DIR/log/access${name#gunicorn}.log" \
      --error-logfile "$STACK_DIR/log/$name.log"
  done
  "$PY/celery" -A config worker --loglevel info --concurrency 2 --detach \
    --pidfile "$STACK_DIR/run/worker.pid" --logfile "$STACK_DIR/log/worker.log"
  "$PY/celery" -A config beat --loglevel info --detach --enable-remote-control --schedule "$STACK_DIR/celerybeat-schedule" \
    --pidfile "$STACK_DIR/run/beat.pid" --logfile "$STACK_DIR/log/beat.log"
  for port in "${NODE_PORTS[@]}"; do wait_for "gunicorn on :$port" curl -fsS "http://127.0.0.1:$port/healthz"; done
  start_nginx
  # Beat answers pings too (remote control on): ask the worker by name.
  wait_for "celery worker" "$PY/celery" -A config inspect ping --timeout 1 --destination "celery@$(hostname)"
  echo "stack up: ${#NODE_PORTS[@]} web node(s) $(node_urls) (logs in $STACK_DIR/log)"
}

# nginx in front of gunicorn. The numbers, and why, are in docs/deploy.md ("Overload").
nginx_conf() {
  cat <<NGINX
worker_processes 1;
pid $STACK_DIR/run/nginx.pid;
error_log $STACK_DIR/log/nginx-error.log warn;
events { worker_connections 2048; }
http {
  access_log $STACK_DIR/log/nginx-access.log;
  client_body_temp_path $STACK_DIR/nginx/body;
  proxy_temp_path $STACK_DIR/nginx/proxy;
  fastcgi_temp_path $STACK_DIR/nginx/fastcgi;
  uwsgi_temp_path $STACK_DIR/nginx/uwsgi;
  scgi_temp_path $STACK_DIR/nginx/scgi;
  include /etc/nginx/mime.types;
  server_tokens off;

  # A slow client cannot hold a connection open for ever.
  client_header_timeout 10s;
  client_body_timeout 10s;
  send_timeout 10s;
  keepalive_timeout 15s;
  # Django refuses bodies over 2.5 MB itself; nginx stops larger ones before they reach it.
  client_max_body_size 3m;

  # In-flight requests to Django, all clients together: about what gunicorn's threads
  # finish within the deadline. Past it nginx answers 503 at once instead of queueing.
  limit_conn_zone \$server_port zone=app_total:1m;
  # Per client: a generous request rate with a burst, so one client cannot take it all.
  limit_req_zone \$binary_remote_addr zone=per_client:10m rate=${NGINX_RATE:-300r/s};
  limit_conn_status 503;
  limit_req_status 429;

  # Every web node; they share sessions, caches and throttles (PostgreSQL, Redis), so any
  # node may answer any request: no stickiness.
  upstream studyhall {
$(for port in "${NODE_PORTS[@]}"; do echo "    server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"; done)
    keepalive 16;
  }

  server {
    listen 127.0.0.1:$NGINX_PORT;

    location /static/ {
      alias $STACK_DIR/static/;
      expires 1y;
      add_header Cache-Control "public, immutable";
    }

    location / {
      limit_conn app_total ${NGINX_MAX_INFLIGHT:-$((24 * ${#NODE_PORTS[@]}))};
      limit_req zone=per_client burst=${NGINX_BURST:-600} nodelay;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      # The deadline: an answer within 10 s or a 504 at 9 s. A node that refuses the
      # connection (down, restarting) hands the request to the next; nothing that reached
      # a node is sent again (nginx never retries a POST that was sent).
      proxy_connect_timeout 2s;
      proxy_send_timeout 5s;
      proxy_read_timeout 9s;
      proxy_next_upstream error;
      proxy_next_upstream_tries 2;
      proxy_pass http://studyhall;
    }

    error_page 503 @busy;
    error_page 429 @slow_down;
    location @busy {
      default_type text/plain;
      add_header Retry-After 5 always;
      return 503 "Studyhall is busy right now. Please try again in a few seconds.";
    }
    location @slow_down {
      default_type text/plain;
      add_header Retry-After 2 always;
      return 429 "Too many requests from your address. Please slow down and try again.";
    }
  }
}
NGINX
}

start_nginx() {
  local nginx; nginx=$(command -v nginx || echo /usr/sbin/nginx)
  if [ ! -x "$nginx" ]; then
    echo "nginx is not installed (apt-get install nginx): gunicorn only, on :$WEB_PORT" >&2
    return 0
  fi
  mkdir -p "$STACK_DIR/nginx"
  nginx_conf >"$STACK_DIR/nginx.conf"
  "$nginx" -t -q -c "$STACK_DIR/nginx.conf" -e "$STACK_DIR/log/nginx-error.log"
  "$nginx" -c "$STACK_DIR/nginx.conf" -e "$STACK_DIR/log/nginx-error.log"
  wait_for nginx curl -fsS "http://127.0.0.1:$NGINX_PORT/healthz"
  echo "nginx in front: http://127.0.0.1:$NGINX_PORT"
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
  stop_pid "$STACK_DIR/run/nginx.pid"
  for file in "$STACK_DIR"/run/gunicorn*.pid; do stop_pid "$file"; done
  if [ -f "$STACK_DIR/run/redis.pid" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -f "$STACK_DIR/run/redis.pid"; fi
  if [ -f "$STACK_DIR/pg/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg" -m fast -w stop >/dev/null || true
  fi
  echo "stack stopped"
}

status() {
  local nodes=() k
  for k in $(seq 1 "${#NODE_PORTS[@]}"); do nodes+=("$(node_name "$k")"); done
  for name in nginx "${nodes[@]}" worker beat redis; do
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
