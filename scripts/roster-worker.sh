#!/usr/bin/env bash
# The roster worker the site's settings call for (the Procfile's `worker`, deploy/systemd/kehou-worker@.service):
# with REDIS_URL, an RQ worker on the `rosters` queue; without, the database worker (`flask rosters worker`).
# Both also run the county's coverage plans. Start more of them to run more roster jobs at once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${REDIS_URL:-}" ]; then
  exec .venv/bin/rq worker --url "$REDIS_URL" --path . rosters
fi
exec .venv/bin/flask --app wsgi rosters worker
