#!/usr/bin/env bash
# Re-extract every marked string, merge it into the Chinese catalog, and compile.
#   scripts/i18n.sh           extract + update + compile
#   scripts/i18n.sh compile   compile only (what setup does)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
if [ "${1:-}" != "compile" ]; then
  "$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
    -o app/translations/messages.pot app >/dev/null 2>&1
  "$PYBABEL" update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete --width 120 >/dev/null 2>&1
fi
"$PYBABEL" compile -d app/translations --statistics 2>&1 | grep -v '^compiling' || true
