#!/usr/bin/env bash
# Sets up everything the site (and, with --test, the test suite) needs on a fresh Debian machine:
# a virtual environment with the pinned dependencies, compiled translations, and for tests Debian's
# PostgreSQL and Redis servers and Chromium (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=false
[ "${1:-}" = "--test" ] && want_tests=true

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtual environment in .venv"
  "$PYTHON" -m venv .venv
fi
requirements=requirements.txt
$want_tests && requirements=requirements-dev.txt
hash=$(sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
stamp=".venv/.installed-$hash-$(basename $requirements)"
# The test set-up's requirements include the site's, so after ./scripts/test.sh the run command installs nothing.
if [ ! -f "$stamp" ] && [ ! -f ".venv/.installed-$hash-requirements-dev.txt" ]; then
  echo "==> installing pinned dependencies ($requirements)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi

echo "==> compiling translations"
PYBABEL=.venv/bin/pybabel scripts/i18n.sh compile >/dev/null

if $want_tests; then
  # PostgreSQL's and Redis's servers (the tests start their own throwaway ones), Chromium for the browser tests, and a
  # Chinese font so that screenshots show characters rather than empty boxes.
  missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "==> installing Debian packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "!! missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    fi
  fi
fi
