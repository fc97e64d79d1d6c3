"""Fairer rosters: the careful greedy (repair, rebalancing), the engine never less fair than it, honest bounds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling import bounds, greedy, loads, parse_problem, solve, validate
from scheduling.generate import generate
from scheduling.solver import careful_greedy
from tests.scheduling.conftest import MON, THU, TUE, WED, make_problem, make_session, make_staff
from tests.scheduling.test_properties import random_problem

DAYS = (MON, TUE, WED, THU)


def _four_hours(**b_extra):
    """Four one-hour sessions on four dates; a and b may take any of them."""
    return make_problem([make_session(f"x{i}", date=d, start="15:40", end="16:40") for i, d in enumerate(DAYS)],
                        [make_staff("a"), make_staff("b", **b_extra)])


def _all_to_a(problem):
    return {(sid, "a") for sid in problem.sessions}


def _candidates(problem):
    return greedy.candidate_lists(problem, list(problem.sessions))


def test_rebalancing_lowers_the_largest_load_and_evens_the_rest():
    problem = parse_problem(_four_hours())
    before = loads.fairness(problem, _all_to_a(problem))
    after = loads.fairness(problem, greedy.rebalance(problem, _candidates(problem), _all_to_a(problem)))
    assert (before.max_minutes, before.sd) == (240, 120.0)
    assert (after.max_minutes, after.sd) == (120, 0.0)


def test_rebalancing_keeps_the_rules_and_fixed_pairs():
    # b may work 60 minutes a week only; x0 is fixed on a (a pin or a kept previous pair).
    problem = parse_problem(_four_hours(max_weekly_minutes=60))
    pairs = greedy.rebalance(problem, _candidates(problem), _all_to_a(problem), fixed={("x0", "a")})
    assert ("x0", "a") in pairs
    assert {sid for sid, _ in pairs} == set(problem.sessions)  # coverage unchanged
    week = loads.teacher_week_loads(problem, pairs)
    assert sorted(week.values()) == [60, 180]


def test_swaps_even_out_when_no_single_move_helps():
    # a has a 90-minute (Monday) and a 60-minute session (Tuesday), b a 30-minute one at the same time as a's
    # Tuesday one and is away on Monday: no session can move, but a and b can trade their Tuesday sessions.
    doc = make_problem(
        [make_session("long", date=MON, start="15:40", end="17:10"),
         make_session("mid", date=TUE, start="15:40", end="16:40"),
         make_session("short", date=TUE, start="15:40", end="16:10")],
        [make_staff("a"), make_staff("b", unavailable=[{"date": MON, "start": "15:00", "end": "18:00"}])])
    problem = parse_problem(doc)
    start = {("long", "a"), ("mid", "a"), ("short", "b")}
    pairs = greedy.rebalance(problem, _candidates(problem), start)
    assert loads.fairness(problem, start).max_minutes == 150
    assert pairs == {("long", "a"), ("short", "a"), ("mid", "b")}
    assert loads.fairness(problem, pairs).max_minutes == 120


@pytest.mark.parametrize("holiday", [False, True])
def test_careful_greedy_breaks_no_rule(holiday):
    problem = parse_problem(generate("small", 3, holiday=holiday))
    assert validate(problem, careful_greedy(problem)) == []


def test_repair_never_leaves_provider_staff_alone():
    # The repair once moved a provider's coach alone into a one-person session (PROVIDER_NEEDS_SCHOOL_STAFF).
    problem = parse_problem(random_problem(31342))
    assert validate(problem, careful_greedy(problem)) == []


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 1_000_000))
def test_careful_greedy_breaks_no_rule_on_random_instances(seed):
    problem = parse_problem(random_problem(seed))
    assert validate(problem, careful_greedy(problem)) == []


@pytest.mark.parametrize("holiday", [False, True])
def test_engine_never_less_fair_than_its_greedy_start(holiday):
    problem = parse_problem(generate("small", 2, holiday=holiday))
    start = careful_greedy(problem).metrics
    m = solve(problem, time_limit=3, workers=2).metrics
    assert m["staffed_sessions"] >= start["staffed_sessions"]
    assert m["max_teacher_minutes"] <= start["max_teacher_minutes"]
    if m["max_teacher_minutes"] == start["max_teacher_minutes"]:
        assert m["teacher_minutes_sd"] <= start["teacher_minutes_sd"]


def test_metrics_say_how_far_the_spread_is_from_its_bound():
    problem = parse_problem(generate("small", 1, holiday=True))
    roster = solve(problem, time_limit=3, workers=2)
    m = roster.metrics
    fair = loads.fairness(problem, {(a["session"], a["staff"]) for a in roster.assignments})
    assert m["teacher_minutes_sd"] == round(fair.sd, 2)
    assert 0 <= m["teacher_minutes_sd_bound"] <= m["teacher_minutes_sd"]
    assert m["teacher_minutes_sd_gap"] == pytest.approx(m["teacher_minutes_sd"] - m["teacher_minutes_sd_bound"])
    spread = m["stages"]["spread"]
    assert 0 <= spread["bound"] <= spread["value"]
    assert m["max_teacher_minutes_bound"] <= m["max_teacher_minutes"]


def _only_a_tutors():
    """Four maths tutoring hours only a can take; two homework hours b or c can take."""
    return make_problem(
        [make_session(f"t{i}", date=d, end="16:40", activity="tutoring", subject="数学") for i, d in enumerate(DAYS)]
        + [make_session(f"h{i}", date=d, start="16:40", end="17:40") for i, d in enumerate((MON, TUE))],
        [make_staff("a", skills=["tutoring"], subjects=["数学"]), make_staff("b"), make_staff("c")])


def test_flow_bound_sees_sessions_only_some_people_can_take():
    problem = parse_problem(_only_a_tutors())
    sids, cands = list(problem.sessions), _candidates(problem)
    counting = bounds.max_load_lower_bound(problem, sids, cands)
    assert counting == 120  # 360 minutes over three teachers, a's reach 240: it does not see a alone can tutor
    assert bounds.flow_load_bound(problem, sids, cands, counting, 300) == 240
    m = solve(problem, time_limit=3, workers=2).metrics
    assert (m["max_teacher_minutes"], m["max_teacher_minutes_gap"]) == (240, 0)


def test_spread_bound_counts_whole_steps_and_reach():
    # 25 teachers, 5,870 minutes in 10-minute steps: at best 13 at 230 and 12 at 240 (sd ≈ 5), not all at 234.8.
    squares = loads.even_squares_bound(5870, [240] * 25, 10)
    assert squares == 13 * 230 ** 2 + 12 * 240 ** 2
    assert loads.sd_of(squares, 5870, 25) == pytest.approx(5.0, abs=0.01)
    # one teacher can reach only 60 minutes: the other two share the rest
    assert loads.even_squares_bound(300, [60, 1000, 1000], 30) == 60 ** 2 + 2 * 120 ** 2
