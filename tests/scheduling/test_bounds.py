"""Lower bounds of the largest teacher load: the counting bound and the refutation on the relaxation."""

from scheduling import bounds, parse_problem, solve
from tests.scheduling.conftest import MON, TUE, WED, make_problem, make_session, make_staff


def _three_sessions_two_teachers():
    # 90 + 90 + 60 minutes on three dates, two teachers: counting gives 240 / 2 = 120, the best roster 150.
    return make_problem(
        [make_session("x1", date=MON, start="15:40", end="17:10"),
         make_session("x2", date=TUE, start="15:40", end="17:10"),
         make_session("x3", date=WED, start="15:40", end="16:40")],
        [make_staff("a"), make_staff("b")])


def _candidates(problem):
    return {sid: list(problem.staff) for sid in problem.sessions}


def test_counting_bound_is_weak_here():
    problem = parse_problem(_three_sessions_two_teachers())
    assert bounds.max_load_lower_bound(problem, list(problem.sessions), _candidates(problem)) == 120


def test_relaxation_refutes_below_the_optimum_only():
    problem = parse_problem(_three_sessions_two_teachers())
    sids, cands = list(problem.sessions), _candidates(problem)
    refuted, _ = bounds.load_cap_refuted(problem, sids, cands, 149, 3, time_limit=5)
    assert refuted
    refuted, _ = bounds.load_cap_refuted(problem, sids, cands, 150, 3, time_limit=5)
    assert not refuted
    refuted, _ = bounds.load_cap_refuted(problem, sids, cands, 60, 1, time_limit=5)  # one session staffed
    assert not refuted


def test_relaxation_keeps_no_overlap_and_days_cap():
    # Two 60-minute sessions at the same time need both teachers; b may work one day only, so the
    # Tuesday session falls to a: a carries 120 minutes.
    doc = make_problem(
        [make_session("x1", date=MON, start="15:40", end="16:40"),
         make_session("x2", date=MON, start="15:40", end="16:40"),
         make_session("x3", date=TUE, start="15:40", end="16:40")],
        [make_staff("a"), make_staff("b", max_days=1)])
    problem = parse_problem(doc)
    sids, cands = list(problem.sessions), _candidates(problem)
    assert bounds.load_cap_refuted(problem, sids, cands, 119, 3, time_limit=5)[0]
    roster = solve(doc, time_limit=2)
    assert roster.status == "optimal"
    assert roster.metrics["max_teacher_minutes"] == 120
    assert roster.metrics["max_teacher_minutes_bound"] == 120
