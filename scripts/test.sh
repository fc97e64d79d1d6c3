#!/usr/bin/env bash
# One command: set up (dependencies, PostgreSQL, Chromium) and run the whole test suite.
# Tests run in parallel, one worker per core (TEST_WORKERS=1 for a single process); each worker starts its own
# throwaway PostgreSQL server. Extra arguments go to pytest, e.g. scripts/test.sh -k accounts
# Without PostgreSQL or Chromium the tests that need them are skipped, unless CI is set: then they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadgroup --durations=10 "$@"
