"""EVERY_SCHOOL_DAY (extension): a class with after-school service that week has it on every service day."""

import pytest

from scheduling import ProblemError, parse_problem, validate
from tests.scheduling.conftest import FRI, MON, THU, TUE, WED, make_problem, make_session, make_staff, solve_checked

WEEK = (MON, TUE, WED, THU, FRI)


def week_of_sessions(days, group="g-1"):
    return [make_session(f"{group}-{day}", date=day, groups=(group,)) for day in days]


def staff():
    return [make_staff(f"t-{i}", max_days=5) for i in range(3)]


def plan_errors(roster, rule="EVERY_SCHOOL_DAY"):
    return [(e["group"], e["date"]) for e in roster["plan_errors"] if e["rule"] == rule]


def test_a_missing_school_day_is_a_plan_error_naming_class_and_date():
    doc = make_problem(week_of_sessions((MON, TUE, WED, FRI)), staff(), policy={"every_school_day": True})
    roster = solve_checked(doc)
    assert plan_errors(roster) == [("g-1", THU)]
    reason = next(e["reason"] for e in roster["plan_errors"] if e["rule"] == "EVERY_SCHOOL_DAY")
    assert "一年级1班" in reason and "周四" in reason and "Thursday" in reason


def test_off_by_default_so_contract_problems_behave_as_written():
    doc = make_problem(week_of_sessions((MON, TUE, WED, FRI)), staff())
    assert plan_errors(solve_checked(doc)) == []


def test_declared_exception_weekday_is_no_gap():
    groups = [{"id": "g-1", "label": "一年级1班", "grade": 1, "exception_weekdays": [3]}]
    doc = make_problem(week_of_sessions((MON, TUE, WED, FRI)), staff(), groups=groups,
                       policy={"every_school_day": True})
    assert plan_errors(solve_checked(doc)) == []


def test_a_class_without_any_service_that_week_has_no_gap_and_holidays_are_not_service_days():
    groups = [{"id": "g-1", "label": "一年级1班", "grade": 1}, {"id": "g-7", "label": "七年级1班", "grade": 7}]
    doc = make_problem(week_of_sessions((MON, TUE, WED, FRI)), staff(), groups=groups,
                       policy={"every_school_day": True})
    doc["calendar"] = {"school_days": [MON, TUE, WED, FRI], "public_holidays": [THU]}
    assert plan_errors(solve_checked(doc)) == []  # g-7 has no service at all; Thursday is a holiday


def test_a_short_day_stays_two_hour_minimum_not_every_school_day():
    sessions = week_of_sessions((MON, TUE, WED, THU))
    sessions.append(make_session("short", date=FRI, start="15:40", end="16:40"))
    roster = solve_checked(make_problem(sessions, staff(), policy={"every_school_day": True}))
    assert plan_errors(roster) == []
    assert ("g-1", FRI) in plan_errors(roster, "TWO_HOUR_MINIMUM")


def test_validate_wants_the_gap_listed_and_refuses_an_invented_one():
    doc = make_problem(week_of_sessions((MON, TUE, WED, FRI)), staff(), policy={"every_school_day": True})
    problem = parse_problem(doc)
    base = {"status": "feasible", "unstaffed": [], "rejected": [], "metrics": {},
            "assignments": [{"session": f"g-1-{d}", "staff": f"t-{i % 3}"}
                            for i, d in enumerate((MON, TUE, WED, FRI))]}
    missing = validate(problem, base | {"plan_errors": []})
    assert [v["rule"] for v in missing] == ["EVERY_SCHOOL_DAY"]
    gap = {"rule": "EVERY_SCHOOL_DAY", "group": "g-1", "date": THU, "reason": "r"}
    assert validate(problem, base | {"plan_errors": [gap]}) == []
    invented = {"rule": "EVERY_SCHOOL_DAY", "group": "g-1", "date": WED, "reason": "r"}
    assert [v["rule"] for v in validate(problem, base | {"plan_errors": [gap, invented]})] == ["STRUCTURE"]


def test_exception_weekdays_are_checked():
    groups = [{"id": "g-1", "label": "一年级1班", "grade": 1, "exception_weekdays": [7]}]
    with pytest.raises(ProblemError) as err:
        parse_problem(make_problem(week_of_sessions(WEEK), staff(), groups=groups))
    assert err.value.field == "groups[0].exception_weekdays[0]"
