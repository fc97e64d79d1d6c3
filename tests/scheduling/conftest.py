"""Builders for small rostering problems (plain dicts, as the web app would send them)."""

import pytest

from scheduling import parse_problem, solve, validate
from scheduling.roster import roster_to_dict

MON, TUE, WED, THU, FRI, SAT = (f"2026-11-{d}" for d in (23, 24, 25, 26, 27, 28))


def make_session(sid, date=MON, start="15:40", end="17:40", kind="after_school", activity="homework_help",
                 groups=("g-1",), staff_needed=1, **extra):
    """One session dict with sensible defaults."""
    return {"id": sid, "date": date, "start": start, "end": end, "kind": kind, "activity": activity,
            "subject": extra.pop("subject", None), "groups": list(groups), "enrolled": 30,
            "staff_needed": staff_needed, **extra}


def make_staff(pid, type="teacher", skills=("homework_help",), **extra):
    """One staff dict with sensible defaults."""
    return {"id": pid, "name": f"{pid}老师", "type": type, "opted_in": True, "exempt": False,
            "skills": list(skills), "subjects": extra.pop("subjects", []), **extra}


def make_problem(sessions, staff, groups=None, providers=None, **extra):
    """A problem dict; groups default to g-1 (grade 1) and g-7 (grade 7)."""
    return {
        "school": {"id": "s-1", "name": "实验学校", "work_end": "17:30"},
        "calendar": {"school_days": [MON, TUE, WED, THU, FRI], "public_holidays": []},
        "groups": groups or [{"id": "g-1", "label": "一年级1班", "grade": 1},
                             {"id": "g-7", "label": "七年级1班", "grade": 7}],
        "sessions": sessions, "staff": staff, "providers": providers or [], **extra,
    }


def solve_checked(doc, time_limit=3.0, workers=2):
    """Solve and assert the independent validator finds nothing; return the roster as a dict."""
    roster = solve(doc, time_limit=time_limit, workers=workers)
    violations = validate(parse_problem(doc), roster)
    assert violations == [], violations
    return roster_to_dict(roster)


def entry(roster, sid):
    """Where one session ended up: ('assigned', [staff]) / ('unstaffed', rules) / ('rejected', rules)."""
    people = [a["staff"] for a in roster["assignments"] if a["session"] == sid]
    if people:
        return "assigned", people
    for key in ("unstaffed", "rejected"):
        for e in roster[key]:
            if e["session"] == sid:
                return key, e["rules"]
    raise AssertionError(f"{sid} missing from roster")


@pytest.fixture
def solved():
    return solve_checked
