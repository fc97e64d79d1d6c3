"""The engine's reasons ("中文 / English") shown in the reader's language only."""

import pytest
from flask_babel import force_locale

from app.rosters.words import in_language

# scheduling/explain.py's shape for a session nobody could take: one " / ", "；" and "; " inside each half.
ZH = "2名具备体育资质的人员：1名同一时段已有安排；有空的只有机构人员，且没有可陪同的本校教师"
EN = ("2 staff qualified for sports: 1 busy at that time; only provider staff are free and no teacher is free to "
      "accompany them")
REASON = f"{ZH} / {EN}"
LISTED = "已满 / full; 不在校 / away"


@pytest.mark.parametrize("sentence, zh, en", [
    (REASON, ZH, EN),
    (LISTED, "已满；不在校", "full; away"),
    ("no split", "no split", "no split"),
])
def test_one_language_only(app, sentence, zh, en):
    with app.test_request_context():
        with force_locale("zh"):
            assert in_language(sentence) == zh
        with force_locale("en"):
            assert in_language(sentence) == en
