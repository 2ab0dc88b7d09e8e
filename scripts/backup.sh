#!/usr/bin/env bash
# Back up the PostgreSQL database in pg_dump's custom format (compressed; pg_restore can
# restore all of it or single tables). Written to a temporary name and renamed when the
# dump is complete and readable, so a failed or interrupted run never leaves a file that
# looks like a backup.
#
#   DATABASE_URL=postgres://user:pass@host:5432/studyhall scripts/backup.sh [OUTPUT_FILE]
#   (default OUTPUT_FILE: $BACKUP_DIR/studyhall-YYYYmmddTHHMMSSZ.dump, BACKUP_DIR=backups)
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/pg_dump" ] || PG_BIN=$(dirname "$(command -v pg_dump)")
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup: DATABASE_URL is not a PostgreSQL URL (the embedded SQLite file is backed up by copying it)" >&2; exit 2 ;;
esac

out=${1:-${BACKUP_DIR:-backups}/studyhall-$(date -u +%Y%m%dT%H%M%SZ).dump}
mkdir -p "$(dirname "$out")"
partial="$out.partial"
trap 'rm -f "$partial"' EXIT

# No owner or grants in the dump: it restores into any database the operator chooses.
"$PG_BIN/pg_dump" --format=custom --no-owner --no-acl --dbname="$DATABASE_URL" --file="$partial"
# A dump pg_restore cannot list is not a backup.
"$PG_BIN/pg_restore" --list "$partial" >/dev/null
mv "$partial" "$out"
trap - EXIT
echo "backup: $out ($(du -h "$out" | cut -f1))"
