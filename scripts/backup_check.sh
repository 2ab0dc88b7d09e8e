#!/usr/bin/env bash
# CI's proof that a backup restores: back up the stack's database, restore it into a
# fresh database on the same server, and compare the row count of every table. Fails on
# any difference, on a table missing from the copy, or on an empty source (nothing proven).
#
#   PG_PORT=55432 scripts/backup_check.sh      (the stack of scripts/stack.sh must be running)
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
STACK_DIR=${STACK_DIR:-/tmp/studyhall-stack}
export PGPASSWORD=studyhall
server="postgres://studyhall:studyhall@127.0.0.1:$PG_PORT"
source_db="$server/studyhall"
copy_name=studyhall_restore_check
copy_db="$server/$copy_name"
backup="$STACK_DIR/backup-check.dump"

psql_q() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 --dbname="$1" -c "$2"; }
counts() {  # "table count" per line, every table of the public schema, sorted
  local db=$1 table
  for table in $(psql_q "$db" "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
    echo "$table $(psql_q "$db" "SELECT count(*) FROM \"$table\"")"
  done
}

psql_q "$server/postgres" "DROP DATABASE IF EXISTS $copy_name"
psql_q "$server/postgres" "CREATE DATABASE $copy_name"
trap 'psql_q "$server/postgres" "DROP DATABASE IF EXISTS $copy_name" || true; rm -f "$backup"' EXIT

DATABASE_URL="$source_db" scripts/backup.sh "$backup"
DATABASE_URL="$copy_db" scripts/restore.sh "$backup"

before=$(counts "$source_db")
after=$(counts "$copy_db")
rows=$(echo "$before" | awk '{s += $2} END {print s + 0}')
tables=$(echo "$before" | wc -l)
if [ "$rows" -eq 0 ]; then
  echo "backup_check: the source database is empty; a restore of nothing proves nothing" >&2
  exit 1
fi
if [ "$before" != "$after" ]; then
  echo "backup_check: row counts differ after the restore (source, then copy):" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "backup_check: $tables tables, $rows rows, identical counts after backup and restore"
