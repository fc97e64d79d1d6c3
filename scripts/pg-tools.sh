# Sourced by scripts/backup.sh and scripts/restore.sh: PG_BIN (the newest PostgreSQL client programs on this machine)
# and PG_URL (DATABASE_URL as libpq reads it: postgresql://user:password@host:port/name).
if command -v pg_dump >/dev/null 2>&1 && [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(dirname "$(command -v pg_dump)")
fi
if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/pg_dump" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -x "${PG_BIN:-}/pg_dump" ] || { echo "pg_dump not found: apt-get install postgresql-client" >&2; exit 2; }
PG_URL=${DATABASE_URL:?DATABASE_URL must name the site\'s PostgreSQL database}
PG_URL=$(printf %s "$PG_URL" | sed -E 's#^postgresql\+[a-z0-9]+:#postgresql:#')
PG_URL=${PG_URL/#postgres:/postgresql:}
case "$PG_URL" in
  postgresql:*) ;;
  *) echo "DATABASE_URL is not a PostgreSQL database (a SQLite file is backed up by copying it)" >&2; exit 2 ;;
esac
