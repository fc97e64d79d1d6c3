#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW, EMPTY database (DATABASE_URL), in one transaction: all of it
# or, on any error, nothing. Then point the site at it (and run `flask --app wsgi db upgrade` if the code is newer).
#   createdb -O kehou kehou_restored
#   DATABASE_URL=postgresql://kehou@localhost/kehou_restored scripts/restore.sh backups/kehou-20270115-020000.dump
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-tools.sh
file=${1:?usage: scripts/restore.sh BACKUP_FILE (DATABASE_URL: the new, empty database)}
[ -f "$file" ] || { echo "no such backup: $file" >&2; exit 2; }
"$PG_BIN/pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$PG_URL" "$file"
echo "restored $file"
