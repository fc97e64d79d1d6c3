"""Fairness figures of a roster: in-service teachers' weekly minutes, the largest, and how evenly they spread.

Counted: every in-service teacher (type `teacher`) who takes part in the service (opted in, not exempt), for
every ISO week a session falls in, a week without sessions for them counting 0 minutes. The same figures are
used by the engine (its start, its tie-break and its metrics) and by the benchmark's greedy column, so the two
are compared on one measure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from scheduling import policy
from scheduling.problem import Problem, week_of


@dataclass(frozen=True)
class Fairness:
    """Largest in-service teacher weekly load and the population standard deviation of those loads."""

    max_minutes: int
    sd: float
    total: int  # teacher minutes in all
    count: int  # teacher-weeks counted


def teacher_week_loads(problem: Problem, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, dt.date], int]:
    """(teacher, week) → session minutes, for every counted teacher and week (zeros included)."""
    weeks = {week_of(s.date) for s in problem.sessions.values()}
    loads = {(p.id, w): 0 for p in problem.staff.values() if counted(p) for w in weeks}
    for sid, pid in pairs:
        s = problem.sessions[sid]
        key = (pid, week_of(s.date))
        if key in loads:
            loads[key] += s.minutes
    return loads


def counted(person) -> bool:
    """An in-service teacher taking part in the service."""
    return person.type == policy.TEACHER and person.opted_in and not person.exempt


def fairness(problem: Problem, pairs: Iterable[tuple[str, str]]) -> Fairness:
    """The fairness figures of a set of (session, staff) pairs."""
    loads = list(teacher_week_loads(problem, pairs).values())
    return from_loads(loads)


def from_loads(loads: list[int]) -> Fairness:
    if not loads:
        return Fairness(0, 0.0, 0, 0)
    n, total = len(loads), sum(loads)
    squares = sum(v * v for v in loads)
    return Fairness(max(loads), sd_of(squares, total, n), total, n)


def sd_of(squares: float, total: float, n: int) -> float:
    """Population standard deviation from the sum of squares, the sum and the count."""
    if n == 0:
        return 0.0
    return math.sqrt(max(0.0, squares / n - (total / n) ** 2))


def fairer(a: Fairness, b: Fairness) -> bool:
    """a is strictly better than b: a lower largest load, or the same one spread more evenly."""
    return (a.max_minutes, round(a.sd, 6)) < (b.max_minutes, round(b.sd, 6))


def even_squares_bound(total: int, rooms: list[int], step: int = 1) -> float:
    """Least Σ load² over loads that are multiples of step with Σ load = total and 0 ≤ load_i ≤ rooms[i]
    (water-filling: load_i = min(room_i, λ), the rest spread as evenly as multiples of step allow); a lower
    bound of the sum of squares of any roster giving those people `total` minutes."""
    units = sorted(room // step for room in rooms)
    left, n = total // step, len(units)
    squares = 0
    for i, room in enumerate(units):
        k = n - i
        share, extra = divmod(left, k)
        if room <= share:
            squares += room * room
            left -= room
        else:  # every room from here is above the share: extra people at share + 1, the rest at share
            squares += extra * (share + 1) ** 2 + (k - extra) * share * share
            return float(squares * step * step)
    return float(squares * step * step)
