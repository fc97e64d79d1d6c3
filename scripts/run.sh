#!/usr/bin/env bash
# One command: set up, upgrade the database, load the demo county, serve at http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=wsgi.py
echo "==> upgrading the database"
.venv/bin/flask db upgrade
echo "==> loading the demo county"
.venv/bin/flask demo
# `flask run` turns debug off, so say how roster jobs run: in a thread of this one server process (nothing else to
# start or stop; Ctrl-C or killing the process group stops everything). ROSTER_JOB_RUNNER or REDIS_URL override it.
export ROSTER_JOB_RUNNER="${ROSTER_JOB_RUNNER:-thread}"
# E-mail and SMS go out from a thread of the same process too (app/notifications/sender.py); SMS land in the
# development outbox (/dev/outbox), e-mail only when MAIL_SERVER is set. NOTIFY_SENDER=off leaves them to
# `flask notifications send --loop`.
export NOTIFY_SENDER="${NOTIFY_SENDER:-thread}"
if [ -n "${REDIS_URL:-}" ]; then
  echo "==> REDIS_URL is set: roster jobs go to Redis; start 'rq worker --url \$REDIS_URL rosters' beside this server"
fi
echo "==> serving at http://127.0.0.1:${PORT:-5000} (Ctrl-C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
