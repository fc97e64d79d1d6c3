#!/usr/bin/env bash
# Back up the site's database (DATABASE_URL) with pg_dump in PostgreSQL's custom format: compressed, consistent
# (one snapshot, while the site runs), restored with scripts/restore.sh.
#   DATABASE_URL=postgresql://... scripts/backup.sh [FILE]     default: backups/kehou-<UTC date-time>.dump
# Prints the file's name. The file holds every family's personal data: keep it as the database is kept (README).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-tools.sh
file=${1:-backups/kehou-$(date -u +%Y%m%d-%H%M%S).dump}
mkdir -p "$(dirname "$file")"
umask 077
# Written aside and renamed: a backup cut short never looks like a whole one.
"$PG_BIN/pg_dump" --format=custom --no-owner --no-privileges --file="$file.partial" --dbname="$PG_URL"
mv "$file.partial" "$file"
echo "$file"
