#!/usr/bin/env bash
# One command: set up (dependencies, PostgreSQL, Chromium) and run the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k accounts
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
