#!/usr/bin/env bash
# make bench: start the production stack as local processes, seed a large dataset, load-test
# each page with wrk on loopback and print the ratios to a bare Django view (bench/run.py).
#
# Environment (all optional):
#   BENCH_SCALE=full|small        full: 2,000 learners, 500 concepts, 1,000,000 attempts, 100 lessons
#   BENCH_LEARNERS, BENCH_CONCEPTS, BENCH_ATTEMPTS, BENCH_LESSONS    override the scale
#   BENCH_DURATION=15 BENCH_WARMUP=3 BENCH_SLICES=5 BENCH_THREADS=2 BENCH_CONNECTIONS=16 BENCH_SESSIONS=8
#   BENCH_REUSE=1                 keep the stack's database and its dataset from the last run
#   BENCH_OUT=artifacts/bench     where results.json and results.md go
#   STACK_DIR, PG_PORT, REDIS_PORT, WEB_PORT, WEB_WORKERS, WEB_NODES (2)    as for scripts/stack.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Ports and directory of their own, so that a benchmark never touches a `make stack` database.
export STACK_DIR=${STACK_DIR:-/tmp/studyhall-bench}
export PG_PORT=${PG_PORT:-55442}
export REDIS_PORT=${REDIS_PORT:-56389}
export WEB_PORT=${WEB_PORT:-8110}
# Production settings plus the route of the bare baseline view (see bench/settings.py).
export DJANGO_SETTINGS_MODULE=bench.settings
# Two web nodes: the single-node rows hit node 1 directly, the two-node rows go through nginx.
export WEB_NODES=${WEB_NODES:-2}
# wrk is one client on one address: nginx's per-client rate limit (300 r/s) would turn the
# two-node rows into 429s. The in-flight cap stays above wrk's connections.
export NGINX_RATE=${NGINX_RATE:-100000r/s} NGINX_BURST=${NGINX_BURST:-100000}

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "wrk is missing: install it (apt-get install wrk)" >&2; exit 1; fi
  echo "[bench] installing wrk" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
fi

if [ "${BENCH_REUSE:-0}" != 1 ]; then
  # A fresh database each run: the numbers must not depend on what earlier runs left.
  scripts/stack.sh destroy >/dev/null
fi
trap 'scripts/stack.sh stop' EXIT
scripts/stack.sh start
eval "$(scripts/stack.sh env)"
.venv/bin/python -m bench.run
