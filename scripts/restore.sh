#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a PostgreSQL database, in one
# transaction: either every table is restored or the database is left as it was.
# Objects the dump contains are dropped first (--clean), so restoring over a damaged
# copy of the same database works; restoring into a fresh empty database works too.
#
#   DATABASE_URL=postgres://user:pass@host:5432/studyhall scripts/restore.sh BACKUP_FILE
#
# Stop the web app and the Celery worker/beat first: they would write while it runs.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/pg_restore" ] || PG_BIN=$(dirname "$(command -v pg_restore)")
backup=${1:?usage: scripts/restore.sh BACKUP_FILE (DATABASE_URL names the target database)}
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to restore into}"
[ -r "$backup" ] || { echo "restore: cannot read $backup" >&2; exit 2; }

"$PG_BIN/pg_restore" --list "$backup" >/dev/null
"$PG_BIN/pg_restore" --clean --if-exists --no-owner --no-acl --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$backup"
echo "restore: $backup restored into the database"
