#!/usr/bin/env bash
# Overload test (docs/deploy.md, "Overload"): 200 concurrent connections on loopback, for a
# bounded time, against the lesson page and the reveal POST; first straight to a baseline
# gunicorn as it was configured before (3 sync workers, default backlog), then through the
# stack's nginx in front of gthread gunicorn. wrk's --timeout is the 10 s deadline: a
# request not answered by then counts as a timeout. Prints one table row per run.
#
#   STACK_DIR=... PG_PORT=... REDIS_PORT=... WEB_PORT=... NGINX_PORT=... bench/overload.sh
#   (the stack of scripts/stack.sh must be running with the demo course loaded)
#   LOAD_DURATION=30 LOAD_CONNECTIONS=200 BASELINE_PORT=WEB_PORT+1
set -euo pipefail
cd "$(dirname "$0")/.."

WEB_PORT=${WEB_PORT:-8100}
NGINX_PORT=${NGINX_PORT:-$((WEB_PORT + 10))}
BASELINE_PORT=${BASELINE_PORT:-$((WEB_PORT + 1))}
DURATION=${LOAD_DURATION:-30}
CONNECTIONS=${LOAD_CONNECTIONS:-200}
STACK_DIR=${STACK_DIR:-/tmp/studyhall-stack}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }

eval "$(scripts/stack.sh env)"
lesson=$(curl -fsS "http://127.0.0.1:$NGINX_PORT/courses/database-internals/" \
  | grep -o 'href="/courses/database-internals/modules/[^"]*/[^"]*/"' | grep -v cheat-sheet | head -1 | cut -d'"' -f2)
[ -n "$lesson" ] || { echo "no demo lesson found: load_demo --allow-production first" >&2; exit 1; }
reveal=$(curl -fsS "http://127.0.0.1:$NGINX_PORT$lesson" | grep -o 'hx-post="[^"]*reveal/"' | head -1 | cut -d'"' -f2)
jar=$(mktemp)
curl -fsS -c "$jar" -o /dev/null "http://127.0.0.1:$NGINX_PORT$lesson"
export CSRF_TOKEN; CSRF_TOKEN=$(awk '$6 == "csrftoken" {print $7}' "$jar"); rm -f "$jar"

# The configuration the issue measured: sync workers, nothing in front.
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:$BASELINE_PORT" --workers 3 \
  --daemon --pid "$STACK_DIR/run/gunicorn-baseline.pid" --error-logfile "$STACK_DIR/log/gunicorn-baseline.log"
trap 'kill "$(cat "$STACK_DIR/run/gunicorn-baseline.pid")" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$BASELINE_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

run() {  # run LABEL PORT METHOD PATH
  local line
  line=$(LOAD_METHOD=$3 wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/overload.lua \
    "http://127.0.0.1:$2$4" | grep '^RESULT')
  echo "| $1 | $3 ${4} | ${line#RESULT } |"
  sleep 3  # let queues drain between runs
}

echo "| setup | request | wrk: ${CONNECTIONS} connections, ${DURATION} s, 10 s deadline |"
echo "| --- | --- | --- |"
run "baseline: gunicorn sync x3, no proxy" "$BASELINE_PORT" GET "$lesson"
run "baseline: gunicorn sync x3, no proxy" "$BASELINE_PORT" POST "$reveal"
run "nginx + gunicorn gthread 3x4" "$NGINX_PORT" GET "$lesson"
run "nginx + gunicorn gthread 3x4" "$NGINX_PORT" POST "$reveal"
