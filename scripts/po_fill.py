"""Fill Chinese translations into app/translations/zh from a JSON object {english msgid: 中文}.

Usage: scripts/i18n.sh && .venv/bin/python scripts/po_fill.py FILE.json && scripts/i18n.sh compile
Existing translations not named in the file are kept; the untranslated ones left are listed.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "app/translations/zh/LC_MESSAGES/messages.po"


def main(path: str) -> int:
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN")
    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(message.id)
    with CATALOG.open("wb") as f:
        write_po(f, catalog, sort_output=True, no_location=True, width=120)
    for msgid in missing:
        print("untranslated:", json.dumps(msgid, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
