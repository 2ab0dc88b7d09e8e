#!/usr/bin/env bash
# CI on real components. Starts the production topology as local processes (scripts/stack.sh:
# PostgreSQL 15, Redis, two gunicorn nodes behind nginx, Celery worker and beat), loads the
# demo course into it, then
#   1. runs the README's test command (`make test`) with the suite on that PostgreSQL server
#      (pytest-django creates and drops test_studyhall there; no REDIS_URL, so tasks run eagerly
#      except where a test points Celery at a broker itself), and
#   2. runs the stack-marked integration tests against the running stack over HTTP, and
#   3. backs the stack's database up and restores it into a fresh one (scripts/backup_check.sh).
# Both always run; the stack is stopped (and its logs copied to artifacts/stack-logs) even on failure.
#
#   PG_PORT=55432 REDIS_PORT=56379 WEB_PORT=8100 STACK_DIR=/tmp/studyhall-ci-stack scripts/ci_postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export STACK_DIR=${STACK_DIR:-/tmp/studyhall-ci-stack}
export PG_PORT=${PG_PORT:-55432}
export REDIS_PORT=${REDIS_PORT:-56379}
export WEB_PORT=${WEB_PORT:-8100}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PY=.venv/bin
LOGS=artifacts/stack-logs

for need in "$PG_BIN/initdb" "$(command -v redis-server || echo redis-server)"; do
  if [ ! -x "$need" ]; then
    echo "ci_postgres: $need is missing (apt-get install postgresql-15 redis-server)" >&2
    exit 2
  fi
done

finish() {
  local status=$?
  mkdir -p "$LOGS"
  cp -r "$STACK_DIR/log/." "$LOGS/" 2>/dev/null || true
  scripts/stack.sh stop || true
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

make install
scripts/stack.sh start
STACK_ENV=$(scripts/stack.sh env)
DATABASE_URL_STACK=$(eval "$STACK_ENV" && echo "$DATABASE_URL")
# --no-history: the worker must be free for the stack tests, not busy with the demo learners' recomputes.
(eval "$STACK_ENV" && "$PY/python" manage.py load_demo --allow-production --no-history)

failed=()

echo
echo "== make test, on PostgreSQL ($DATABASE_URL_STACK)"
# Only the database comes from the stack: the rest of its environment (DEBUG off, a broker)
# is production's, and the unit suite is written for the embedded defaults.
if ! env -u DEBUG -u SECRET_KEY -u ALLOWED_HOSTS -u CSRF_TRUSTED_ORIGINS -u SECURE_SSL_REDIRECT \
  -u SESSION_COOKIE_SECURE -u CSRF_COOKIE_SECURE -u REDIS_URL -u EMAIL_BACKEND \
  -u STACK_URL -u STUDYHALL_REQUIRE_STACK \
  DATABASE_URL="$DATABASE_URL_STACK" STUDYHALL_REQUIRE_POSTGRES=1 make test; then
  failed+=("make test on PostgreSQL")
fi

echo
echo "== integration tests against the running stack (http://127.0.0.1:$WEB_PORT)"
if ! (
  eval "$STACK_ENV"
  export STACK_URL="http://127.0.0.1:$WEB_PORT" STUDYHALL_REQUIRE_STACK=1
  "$PY/pytest" tests/integration -m stack
); then
  failed+=("stack integration tests")
fi

echo
echo "== backup and restore: pg_dump the stack's database, restore into a fresh one, compare row counts"
# After the stack tests, so the source holds learners' answers, not only the demo course.
if ! PG_BIN="$PG_BIN" scripts/backup_check.sh; then
  failed+=("backup and restore check")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'ci_postgres: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "ci_postgres: make test on PostgreSQL, the stack integration tests and the backup check passed"
