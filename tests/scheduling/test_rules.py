"""Each rule: where it binds the roster, and where breaking it is the only way to staff a session."""

import pytest

from tests.scheduling.conftest import (
    FRI,
    MON,
    SAT,
    TUE,
    entry,
    make_problem,
    make_session,
    make_staff,
    solve_checked,
)

PROVIDER = {"id": "p-1", "name": "星火体育", "categories": ["sports"], "status": "active",
            "vetted_until": "2027-06-30", "max_weekly_sessions": 10, "cost_per_session": 300}


# --- Plan rules: rejected sessions ------------------------------------------------------------

@pytest.mark.parametrize(("session", "code"), [
    (make_session("x", activity="new_lesson"), "NO_NEW_LESSONS"),
    (make_session("x", kind="holiday_care", activity="tutoring"), "HOLIDAY_ACTIVITY"),
    (make_session("x", kind="holiday_care", activity="reading", subject="数学"), "HOLIDAY_ACTIVITY"),
    (make_session("x", kind="holiday_care", activity="sports", date=SAT), "HOLIDAY_WEEKEND"),
    (make_session("x", date=SAT), "SCHOOL_DAY"),
    (make_session("x", kind="evening_study", activity="self_study", start="19:00", end="21:00", groups=["g-7"]),
     "EVENING_END"),
    (make_session("x", kind="evening_study", activity="self_study", start="19:00", end="20:30", groups=["g-1"]),
     "EVENING_JUNIOR_ONLY"),
])
def test_plan_rule_rejects_session(session, code):
    staff = [make_staff("t-1", skills=["homework_help", "tutoring", "self_study", "sports", "reading"],
                        subjects=["数学"])]
    roster = solve_checked(make_problem([session], staff))
    where, rules = entry(roster, "x")
    assert where == "rejected" and code in rules


def test_holiday_weekend_allowed_when_policy_says_so():
    doc = make_problem([make_session("x", kind="holiday_care", activity="sports", date=SAT)],
                       [make_staff("t-1", skills=["sports"])], policy={"holiday_weekends": True})
    assert entry(solve_checked(doc), "x")[0] == "assigned"


def test_two_hour_minimum_and_end_before_work_end_are_plan_errors():
    doc = make_problem([make_session("x", start="15:40", end="16:40")], [make_staff("t-1")])
    roster = solve_checked(doc)
    codes = {e["rule"] for e in roster["plan_errors"]}
    assert codes == {"TWO_HOUR_MINIMUM", "END_BEFORE_WORK_END"}
    assert entry(roster, "x")[0] == "assigned"  # children are still supervised


def test_two_hour_block_unstaffed_part_is_a_plan_error():
    sessions = [make_session("a", start="15:40", end="16:40"), make_session("b", start="16:40", end="17:40",
                                                                                 activity="science")]
    roster = solve_checked(make_problem(sessions, [make_staff("t-1")]))
    assert entry(roster, "b")[0] == "unstaffed"
    assert [e["rule"] for e in roster["plan_errors"]] == ["TWO_HOUR_MINIMUM"]


# --- Assignment rules ---------------------------------------------------------------------------

def two_teachers(**second):
    return [make_staff("t-1"), make_staff("t-2", **second)]


def test_coverage_needs_exact_number_of_people():
    doc = make_problem([make_session("x", staff_needed=2)], [make_staff("t-1")])
    assert entry(solve_checked(doc), "x") == ("unstaffed", ["COVERAGE"])
    doc = make_problem([make_session("x", staff_needed=2)], two_teachers())
    assert sorted(entry(solve_checked(doc), "x")[1]) == ["t-1", "t-2"]


def test_no_overlap():
    sessions = [make_session("a", start="15:40", end="17:40"), make_session("b", start="16:00", end="18:00")]
    roster = solve_checked(make_problem(sessions, [make_staff("t-1")]))
    assert sorted(k for k, _ in (entry(roster, "a"), entry(roster, "b"))) == ["assigned", "unstaffed"]
    unstaffed = [e for e in roster["unstaffed"]][0]
    assert "NO_OVERLAP" in unstaffed["rules"]
    roster = solve_checked(make_problem(sessions, two_teachers()))
    assert entry(roster, "a")[1] != entry(roster, "b")[1]


def test_touching_sessions_may_share_a_person():
    sessions = [make_session("a", start="15:40", end="16:40"), make_session("b", start="16:40", end="17:40")]
    roster = solve_checked(make_problem(sessions, [make_staff("t-1")]))
    assert entry(roster, "a") == entry(roster, "b") == ("assigned", ["t-1"])


def test_availability():
    away = {"unavailable": [{"date": MON, "start": "16:00", "end": "17:00"}]}
    roster = solve_checked(make_problem([make_session("x")], [make_staff("t-1", **away)]))
    assert entry(roster, "x") == ("unstaffed", ["AVAILABILITY"])
    roster = solve_checked(make_problem([make_session("x")], [make_staff("t-1", **away), make_staff("t-2")]))
    assert entry(roster, "x") == ("assigned", ["t-2"])


@pytest.mark.parametrize("flags", [{"opted_in": False}, {"exempt": True}])
def test_opt_in(flags):
    roster = solve_checked(make_problem([make_session("x")], [make_staff("t-1", **flags)]))
    assert entry(roster, "x") == ("unstaffed", ["OPT_IN"])
    roster = solve_checked(make_problem([make_session("x")], [make_staff("t-1", **flags), make_staff("t-2")]))
    assert entry(roster, "x") == ("assigned", ["t-2"])


def test_qualification_skill_and_subject():
    s = make_session("x", activity="tutoring", subject="数学")
    roster = solve_checked(make_problem([s], [make_staff("t-1", skills=["tutoring"], subjects=["语文"])]))
    assert entry(roster, "x") == ("unstaffed", ["QUALIFICATION"])
    staff = [make_staff("t-1", skills=["tutoring"], subjects=["语文"]),
             make_staff("t-2", skills=["tutoring"], subjects=["数学"])]
    assert entry(solve_checked(make_problem([s], staff)), "x") == ("assigned", ["t-2"])


def test_qualification_allows_one_unqualified_teacher_beside_a_qualified_one():
    s = make_session("x", activity="science", staff_needed=2)
    staff = [make_staff("t-1", skills=["science"]), make_staff("t-2", skills=[])]
    assert sorted(entry(solve_checked(make_problem([s], staff)), "x")[1]) == ["t-1", "t-2"]
    staff = [make_staff("t-1", skills=[]), make_staff("t-2", skills=[])]
    assert entry(solve_checked(make_problem([s], staff)), "x")[0] == "unstaffed"


def test_school_staff_only():
    staff = [make_staff("v-1", type="volunteer", skills=["homework_help"])]
    roster = solve_checked(make_problem([make_session("x")], staff))
    assert entry(roster, "x") == ("unstaffed", ["SCHOOL_STAFF_ONLY"])
    staff.append(make_staff("r-1", type="retired_teacher"))
    assert entry(solve_checked(make_problem([make_session("x")], staff)), "x") == ("assigned", ["r-1"])


def provider_case(provider=None, session=None, extra_staff=(), **policy):
    provider = {**PROVIDER, **(provider or {})}
    staff = [make_staff("ps-1", type="provider", skills=[], provider="p-1"), *extra_staff]
    session = session or make_session("x", activity="sports", staff_needed=2)
    return make_problem([session], staff, providers=[provider], policy=policy)


@pytest.mark.parametrize("change", [{"status": "suspended"}, {"vetted_until": "2026-11-01"}])
def test_provider_vetted(change):
    teachers = [make_staff("t-1", skills=[]), make_staff("t-2", skills=[])]
    roster = solve_checked(provider_case(change, extra_staff=teachers))
    where, rules = entry(roster, "x")
    assert where == "unstaffed" and "PROVIDER_VETTED" in rules
    roster = solve_checked(provider_case(extra_staff=teachers))
    assert "ps-1" in entry(roster, "x")[1]


def test_provider_non_subject():
    session = make_session("x", activity="arts", subject="语文", staff_needed=2)
    provider = {"categories": ["arts"]}
    teachers = [make_staff("t-1", skills=[]), make_staff("t-2", skills=[])]
    roster = solve_checked(provider_case(provider, session, teachers))
    where, rules = entry(roster, "x")
    assert where == "unstaffed" and "PROVIDER_NON_SUBJECT" in rules


def test_provider_needs_school_staff():
    session = make_session("x", activity="sports", staff_needed=1)
    roster = solve_checked(provider_case(session=session, extra_staff=[make_staff("v-1", type="volunteer",
                                                                                  skills=[])]))
    assert entry(roster, "x") == ("unstaffed", ["PROVIDER_NEEDS_SCHOOL_STAFF"])  # provider staff alone
    session2 = make_session("x", activity="sports", staff_needed=2)
    roster = solve_checked(provider_case(session=session2, extra_staff=[make_staff("v-1", type="volunteer",
                                                                                   skills=[])]))
    where, rules = entry(roster, "x")
    assert where == "unstaffed" and "PROVIDER_NEEDS_SCHOOL_STAFF" in rules
    roster = solve_checked(provider_case(session=session2, provider_needs_school_staff=False,
                                         extra_staff=[make_staff("v-1", type="volunteer", skills=[])]))
    assert sorted(entry(roster, "x")[1]) == ["ps-1", "v-1"]


def test_provider_weekly_sessions():
    sessions = [make_session(f"x{d}", date=d, activity="sports", staff_needed=2) for d in (MON, TUE)]
    staff = [make_staff("ps-1", type="provider", skills=[], provider="p-1"),
             make_staff("ps-2", type="provider", skills=[], provider="p-1"),
             make_staff("t-1", skills=[]), make_staff("t-2", skills=[])]
    doc = make_problem(sessions, staff, providers=[{**PROVIDER, "max_weekly_sessions": 1}])
    roster = solve_checked(doc)
    kinds = sorted(entry(roster, s["id"])[0] for s in sessions)
    assert kinds == ["assigned", "unstaffed"]
    assert "PROVIDER_WEEKLY_SESSIONS" in roster["unstaffed"][0]["rules"]


def test_teacher_weekly_limit():
    sessions = [make_session(f"x{d}", date=d) for d in (MON, TUE)]
    doc = make_problem(sessions, [make_staff("t-1")], policy={"teacher_max_weekly_minutes": 150})
    roster = solve_checked(doc)
    assert roster["metrics"]["staffed_sessions"] == 1
    assert roster["unstaffed"][0]["rules"] == ["TEACHER_WEEKLY_LIMIT"]
    doc["staff"][0]["max_weekly_minutes"] = 240  # own limit overrides the policy
    assert solve_checked(doc)["metrics"]["staffed_sessions"] == 2


def test_own_weekly_limit_applies_to_volunteers():
    sessions = [make_session(f"x{d}", date=d, activity="sports") for d in (MON, TUE)]
    doc = make_problem(sessions, [make_staff("v-1", type="volunteer", skills=["sports"], max_weekly_minutes=120)])
    assert solve_checked(doc)["metrics"]["staffed_sessions"] == 1


def test_teacher_days_limit():
    sessions = [make_session(f"x{d}", date=d, start="15:40", end="16:10") for d in (MON, TUE, FRI)]
    doc = make_problem(sessions, [make_staff("t-1", max_days=2)])
    roster = solve_checked(doc)
    assert roster["metrics"]["staffed_sessions"] == 2
    assert roster["unstaffed"][0]["rules"] == ["TEACHER_DAYS_LIMIT"]


def test_teacher_daily_limit():
    doc = make_problem([make_session("x")], [make_staff("t-1", teaching_minutes={MON: 450})])
    assert entry(solve_checked(doc), "x") == ("unstaffed", ["TEACHER_DAILY_LIMIT"])
    doc["staff"][0]["teaching_minutes"] = {MON: 420}
    assert entry(solve_checked(doc), "x")[0] == "assigned"


def test_rest_after_evening():
    sessions = [make_session("e", kind="evening_study", activity="self_study", start="19:00", end="20:30",
                             groups=["g-7"]),
                make_session("m", date=TUE, kind="morning", activity="supervision", start="07:20", end="08:00")]
    roster = solve_checked(make_problem(sessions, [make_staff("t-1", skills=["self_study"])]))
    assert sorted(k for k, _ in (entry(roster, "e"), entry(roster, "m"))) == ["assigned", "unstaffed"]
    assert "REST_AFTER_EVENING" in roster["unstaffed"][0]["rules"]


def test_pinned_pair_is_kept_over_fairness():
    sessions = [make_session("x")]
    doc = make_problem(sessions, [make_staff("t-1"), make_staff("t-2")], pinned=[{"session": "x", "staff": "t-2"}])
    assert entry(solve_checked(doc), "x") == ("assigned", ["t-2"])


def test_pinned_pair_that_breaks_a_rule_is_reported():
    away = {"unavailable": [{"date": MON, "start": "15:00", "end": "18:00"}]}
    doc = make_problem([make_session("x")], [make_staff("t-1"), make_staff("t-2", **away)],
                       pinned=[{"session": "x", "staff": "t-2"}])
    roster = solve_checked(doc)
    assert entry(roster, "x") == ("assigned", ["t-1"])
    assert roster["pin_conflicts"][0]["staff"] == "t-2"
    assert roster["pin_conflicts"][0]["rules"] == ["AVAILABILITY"]


def test_fewest_changes_against_previous():
    sessions = [make_session("x")]
    staff = [make_staff("t-1"), make_staff("t-2"), make_staff("t-3")]
    doc = make_problem(sessions, staff, previous=[{"session": "x", "staff": "t-3"}])
    roster = solve_checked(doc)
    assert entry(roster, "x") == ("assigned", ["t-3"])
    assert roster["metrics"]["changed_vs_previous"] == 0


def test_fairness_spreads_load():
    sessions = [make_session(f"x{d}", date=d) for d in (MON, TUE)]
    roster = solve_checked(make_problem(sessions, [make_staff("t-1"), make_staff("t-2")]))
    assert roster["metrics"]["max_teacher_minutes"] == 120
    assert roster["status"] == "optimal"


def test_all_rejected_is_infeasible_plan():
    roster = solve_checked(make_problem([make_session("x", activity="new_lesson")], [make_staff("t-1")]))
    assert roster["status"] == "infeasible_plan"
