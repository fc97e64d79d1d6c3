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
echo "==> serving at http://127.0.0.1:5000 (Ctrl-C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
