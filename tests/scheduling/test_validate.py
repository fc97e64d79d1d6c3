"""The validator catches each broken hard rule in a hand-made bad roster."""

import pytest

from scheduling import validate
from tests.scheduling.conftest import MON, TUE, make_problem, make_session, make_staff

PROVIDER = {"id": "p-1", "name": "星火体育", "categories": ["sports"], "status": "active",
            "vetted_until": "2027-06-30", "max_weekly_sessions": 1, "cost_per_session": 300}


def roster(*pairs, unstaffed=(), rejected=(), plan_errors=()):
    return {"status": "feasible", "assignments": [{"session": s, "staff": p} for s, p in pairs],
            "unstaffed": [{"session": s, "rules": ["COVERAGE"], "reason": "r"} for s in unstaffed],
            "rejected": [{"session": s, "rules": ["NO_NEW_LESSONS"], "reason": "r"} for s in rejected],
            "plan_errors": list(plan_errors), "metrics": {}}


def rules_of(problem, r):
    return {v["rule"] for v in validate(problem, r)}


def test_good_roster_passes():
    doc = make_problem([make_session("x")], [make_staff("t-1")])
    assert validate(doc, roster(("x", "t-1"))) == []


CASES = [
    ("COVERAGE", [make_session("x", staff_needed=2)], [make_staff("t-1")], [("x", "t-1")]),
    ("NO_OVERLAP", [make_session("a"), make_session("b", start="16:00", end="18:00")], [make_staff("t-1")],
     [("a", "t-1"), ("b", "t-1")]),
    ("AVAILABILITY", [make_session("x")],
     [make_staff("t-1", unavailable=[{"date": MON, "start": "17:00", "end": "18:00"}])], [("x", "t-1")]),
    ("OPT_IN", [make_session("x")], [make_staff("t-1", opted_in=False)], [("x", "t-1")]),
    ("QUALIFICATION", [make_session("x", activity="science")], [make_staff("t-1")], [("x", "t-1")]),
    ("SCHOOL_STAFF_ONLY", [make_session("x")], [make_staff("v-1", type="volunteer")], [("x", "v-1")]),
    ("TEACHER_WEEKLY_LIMIT", [make_session("a"), make_session("b", date=TUE)],
     [make_staff("t-1", max_weekly_minutes=200)], [("a", "t-1"), ("b", "t-1")]),
    ("TEACHER_DAYS_LIMIT", [make_session("a"), make_session("b", date=TUE)], [make_staff("t-1", max_days=1)],
     [("a", "t-1"), ("b", "t-1")]),
    ("TEACHER_DAILY_LIMIT", [make_session("x")], [make_staff("t-1", teaching_minutes={MON: 480})], [("x", "t-1")]),
    ("REST_AFTER_EVENING",
     [make_session("e", kind="evening_study", activity="self_study", start="19:00", end="20:30", groups=["g-7"]),
      make_session("m", date=TUE, kind="morning", activity="supervision", start="07:20", end="08:00")],
     [make_staff("t-1", skills=["self_study"])], [("e", "t-1"), ("m", "t-1")]),
]


@pytest.mark.parametrize(("code", "sessions", "staff", "pairs"), CASES, ids=[c[0] for c in CASES])
def test_validator_catches(code, sessions, staff, pairs):
    doc = make_problem(sessions, staff)
    assert code in rules_of(doc, roster(*pairs))


def provider_doc(provider=None, **session):
    s = make_session("x", activity=session.pop("activity", "sports"), staff_needed=session.pop("staff_needed", 2),
                     **session)
    staff = [make_staff("ps-1", type="provider", skills=[], provider="p-1"), make_staff("t-1", skills=[]),
             make_staff("v-1", type="volunteer", skills=[])]
    return make_problem([s], staff, providers=[{**PROVIDER, **(provider or {})}])


def test_validator_provider_rules():
    assert "PROVIDER_VETTED" in rules_of(provider_doc({"status": "suspended"}), roster(("x", "ps-1"), ("x", "t-1")))
    assert "PROVIDER_NON_SUBJECT" in rules_of(provider_doc(subject="数学"), roster(("x", "ps-1"), ("x", "t-1")))
    assert "PROVIDER_NEEDS_SCHOOL_STAFF" in rules_of(provider_doc(), roster(("x", "ps-1"), ("x", "v-1")))
    doc = provider_doc()
    doc["sessions"].append(make_session("y", date=TUE, activity="sports", staff_needed=2))
    assert "PROVIDER_WEEKLY_SESSIONS" in rules_of(doc, roster(("x", "ps-1"), ("x", "t-1"), ("y", "ps-1"),
                                                              ("y", "t-1")))


def test_validator_catches_structure_faults():
    doc = make_problem([make_session("x"), make_session("y", date=TUE)], [make_staff("t-1")])
    assert "STRUCTURE" in rules_of(doc, roster(("x", "t-1")))  # y missing
    assert "STRUCTURE" in rules_of(doc, roster(("x", "t-1"), ("y", "t-1"), unstaffed=["y"]))  # y twice
    assert "STRUCTURE" in rules_of(doc, roster(("x", "t-1"), rejected=["y"]))  # rejected for nothing


def test_validator_catches_unrejected_plan_break_and_missing_plan_error():
    doc = make_problem([make_session("x", activity="new_lesson")], [make_staff("t-1")])
    assert "NO_NEW_LESSONS" in rules_of(doc, roster(("x", "t-1")))
    doc = make_problem([make_session("x", end="16:40")], [make_staff("t-1")])
    found = rules_of(doc, roster(("x", "t-1")))
    assert {"TWO_HOUR_MINIMUM", "END_BEFORE_WORK_END"} <= found


def test_validator_catches_dropped_pin():
    doc = make_problem([make_session("x")], [make_staff("t-1"), make_staff("t-2")],
                       pinned=[{"session": "x", "staff": "t-2"}])
    assert "PINNED" in rules_of(doc, roster(("x", "t-1")))


def test_package_validate_stays_the_function_after_the_submodule_is_imported():
    import importlib

    import scheduling

    importlib.import_module("scheduling.validate")
    assert callable(scheduling.validate)
    problem = scheduling.parse_problem({
        "school": {"id": "s"}, "groups": [{"id": "g", "grade": 3}],
        "sessions": [{"id": "x", "date": "2026-11-23", "start": "15:40", "end": "16:40", "kind": "after_school",
                      "activity": "supervision", "groups": ["g"], "staff_needed": 1}],
        "staff": [{"id": "t", "type": "teacher"}],
    })
    roster = scheduling.roster_from_dict({"status": "feasible", "assignments": [], "unstaffed": [], "rejected": [],
                                          "plan_errors": [], "metrics": {}})
    assert scheduling.validate(problem, roster), "a session missing from the roster must be reported"
