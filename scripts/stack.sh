#!/usr/bin/env bash
# One command: the site's production processes (Procfile: web, roster worker, scheduler, sender) run together by
# honcho against PostgreSQL and Redis, on the demo county, at http://127.0.0.1:${PORT:-8000}. Ctrl-C stops it all.
# Without DATABASE_URL / REDIS_URL it starts throwaway servers (as the tests do) and deletes them at the end.
# A local smoke test of what production runs, with development settings (the demo, SMS in the log): README, Production.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python scripts/stack.py "$@"
