"""Lower bound on the largest weekly load of an in-service teacher, computed outside CP-SAT.

Argument (per ISO week, valid for every roster that staffs a given number of sessions):

* the staffed sessions need Σ staff_needed × minutes person-minutes; with k sessions staffed that is at
  least the sum of the k smallest such needs among the sessions that can be staffed;
* people who are not in-service teachers can give at most Σ over them of min(own weekly cap, minutes they
  could reach at all), where "reach" sums, over their best `max_days` dates, min(daily budget, minutes of
  their candidate sessions that date); a provider's staff together give at most the minutes of its
  `max_weekly_sessions` largest places (a place = session minutes × the people the provider may put in);
* the rest, T, is given by in-service teachers, each at most min(L, cap, reach) when the largest load is L,
  so L must satisfy Σ_t min(L, cap_t, reach_t) ≥ T. The smallest such L, rounded up to a multiple of the
  greatest common divisor of the session lengths (every load is such a multiple), is the bound.
"""

from __future__ import annotations

import datetime as dt
import math
import time

from scheduling import policy, rules
from scheduling.problem import Problem, week_of


def reach(problem: Problem, person, sessions) -> int:
    """Most minutes a person could work in the sessions given (a week), by daily budgets and the days cap."""
    per_day: dict[dt.date, int] = {}
    for s in sessions:
        per_day[s.date] = per_day.get(s.date, 0) + s.minutes
    days = sorted((min(m, max(0, rules.daily_budget(problem, person, d))) for d, m in per_day.items()), reverse=True)
    cap_days = rules.days_cap(problem, person)
    if cap_days is not None:
        days = days[:cap_days]
    total = sum(days)
    cap = rules.weekly_cap(problem, person)
    return total if cap is None else min(total, cap)


def max_load_lower_bound(problem: Problem, sids: list[str], candidates: dict[str, list[str]],
                         staffed_count: int | None = None) -> int:
    """Lower bound of the largest in-service teacher weekly load over rosters staffing staffed_count sessions.

    staffed_count None means every session in sids that has candidates is staffed (full coverage).
    """
    by_week: dict[dt.date, list] = {}
    for sid in sids:
        if candidates.get(sid):
            s = problem.sessions[sid]
            by_week.setdefault(week_of(s.date), []).append(s)
    best = 0
    minutes = [problem.sessions[sid].minutes for sid in sids if candidates.get(sid)]
    step = math.gcd(*minutes) if minutes else 1
    n_weeks = len(by_week)
    for _week, sessions in by_week.items():
        needs = sorted(s.staff_needed * s.minutes for s in sessions)
        if staffed_count is not None:  # sessions of other weeks may be the staffed ones
            k = max(0, staffed_count - sum(len(v) for v in by_week.values()) + len(sessions)) if n_weeks > 1 \
                else staffed_count
            needs = needs[:k]
        total = sum(needs)
        person_sessions: dict[str, list] = {}
        for s in sessions:
            for pid in candidates[s.id]:
                person_sessions.setdefault(pid, []).append(s)
        others = 0
        provider_places: dict[str, list[int]] = {}
        teacher_room = []
        needs_school = problem.policy.provider_needs_school_staff
        for pid, its in person_sessions.items():
            person = problem.staff[pid]
            if person.type == policy.TEACHER:
                teacher_room.append(reach(problem, person, its))
            elif person.type == policy.PROVIDER_TYPE:
                others += 0  # counted per provider below (its reach also bounds it)
            else:
                others += reach(problem, person, its)
        for s in sessions:
            prov_people: dict[str, int] = {}
            for pid in candidates[s.id]:
                prov = problem.staff[pid].provider
                if prov is not None and problem.staff[pid].type == policy.PROVIDER_TYPE:
                    prov_people[prov] = prov_people.get(prov, 0) + 1
            for prov, n in prov_people.items():
                places = min(n, s.staff_needed - (1 if needs_school else 0))
                if places > 0:
                    provider_places.setdefault(prov, []).append(places * s.minutes)
        for prov, places in provider_places.items():
            limit = problem.providers[prov].max_weekly_sessions
            places.sort(reverse=True)
            others += sum(places if limit is None else places[:limit])
        need = total - others
        if need <= 0 or not teacher_room:
            continue
        if sum(teacher_room) < need:  # teachers cannot cover it at all: any load up to their reach
            best = max(best, max(teacher_room))
            continue
        lo, hi = 0, max(teacher_room)
        while lo < hi:
            mid = (lo + hi) // 2
            if sum(min(mid, r) for r in teacher_room) >= need:
                hi = mid
            else:
                lo = mid + 1
        best = max(best, lo)
    return -(-best // step) * step


def coverage_upper_bound(problem: Problem, sids: list[str], candidates: dict[str, list[str]]) -> int:
    """Most sessions any roster can staff: a session needs staff_needed candidates and a qualified one, and
    sessions with the same date and times need distinct qualified people (NO_OVERLAP), so among each such
    set at most a maximum matching of sessions to their qualified candidates can be staffed."""
    slots: dict[tuple, list[str]] = {}
    total = 0
    for sid in sids:
        s = problem.sessions[sid]
        people = candidates.get(sid, [])
        qualified = [p for p in people if rules.is_qualified(problem, problem.staff[p], s)]
        if len(people) >= s.staff_needed and qualified:
            slots.setdefault((s.date, s.start, s.end), []).append((sid, qualified))
    for items in slots.values():
        total += _matching([q for _sid, q in items])
    return total


def _matching(options: list[list[str]]) -> int:
    """Size of a maximum matching of items to people (augmenting paths)."""
    owner: dict[str, int] = {}

    def augment(i: int, seen: set[str]) -> bool:
        for p in options[i]:
            if p in seen:
                continue
            seen.add(p)
            if p not in owner or augment(owner[p], seen):
                owner[p] = i
                return True
        return False

    return sum(1 for i in range(len(options)) if augment(i, set()))


def load_cap_refuted(problem: Problem, sids: list[str], candidates: dict[str, list[str]], limit: int,
                     staffed_count: int, time_limit: float, deterministic: bool = False) -> tuple[bool, float]:
    """(refuted, deterministic time used): refuted is True when CP-SAT proves that no roster staffing at
    least staffed_count of sids keeps every in-service teacher's weekly load ≤ limit (then limit + 1 is a
    lower bound of the largest load).

    The model is a relaxation of the roster model over the full candidate lists, aggregated by class:
    sessions with the same date, times, kind (evening/morning), staff_needed, candidates and qualified
    candidates are interchangeable, and nobody can be in two of them (same times), so y[class, person] is
    a 0/1 "serves one of them" and z[class] the number staffed: Σ y = staff_needed × z, Σ qualified y ≥ z.
    Kept per person: NO_OVERLAP (one class per overlapping times), weekly caps, daily budgets, days caps,
    REST_AFTER_EVENING, providers' weekly sessions (a served session holds at most its provider places).
    Every roster maps onto a solution, so infeasibility is a proof for the full problem.
    """
    from ortools.sat.python import cp_model  # noqa: PLC0415  (OR-Tools only when a proof is wanted)

    started = time.monotonic()
    model = cp_model.CpModel()
    needs_school = problem.policy.provider_needs_school_staff
    classes: dict[tuple, list] = {}
    for sid in sids:
        people = candidates.get(sid)
        if not people:
            continue
        s = problem.sessions[sid]
        qualified = frozenset(p for p in people if rules.is_qualified(problem, problem.staff[p], s))
        key = (s.date, s.start, s.end, s.kind == policy.EVENING_KIND, s.kind == policy.MORNING_KIND,
               s.staff_needed, frozenset(people), qualified)
        classes.setdefault(key, []).append(s)
    staffed_terms = []
    person_items: dict[str, list] = {}  # pid -> [(key, minutes, y)]
    provider_serves: dict[tuple[str, dt.date], list] = {}
    for n, (key, members) in enumerate(sorted(classes.items(), key=lambda kv: _members_key(kv[1]))):
        day, _start, _end, _ev, _mo, k, people, qualified = key
        z = model.new_int_var(0, len(members), f"z{n}")
        staffed_terms.append(z)
        ys = {p: model.new_bool_var(f"y{n}_{p}") for p in sorted(people)}
        model.add(sum(ys.values()) == k * z)
        model.add(sum(ys[p] for p in qualified) >= z)
        minutes = members[0].minutes
        by_prov: dict[str, list] = {}
        for p, y in ys.items():
            person_items.setdefault(p, []).append((key, minutes, y))
            prov = problem.staff[p].provider
            if prov is not None and problem.staff[p].type == policy.PROVIDER_TYPE:
                by_prov.setdefault(prov, []).append(y)
        for prov, yp in by_prov.items():
            places = min(len(yp), k - (1 if needs_school else 0))
            if places <= 0:
                for y in yp:
                    model.add(y == 0)
                continue
            served = model.new_int_var(0, len(members), f"sv{n}_{prov}")
            model.add(sum(yp) <= places * served)
            provider_serves.setdefault((prov, week_of(day)), []).append(served)
    model.add(sum(staffed_terms) >= staffed_count)
    for (prov, _week), served in provider_serves.items():
        cap = problem.providers[prov].max_weekly_sessions
        if cap is not None:
            model.add(sum(served) <= cap)
    for pid, items in person_items.items():
        person = problem.staff[pid]
        weeks: dict[dt.date, list] = {}
        for item in items:
            weeks.setdefault(week_of(item[0][0]), []).append(item)
        for wk_items in weeks.values():
            load = sum(m * y for _k, m, y in wk_items)
            cap = rules.weekly_cap(problem, person)
            if cap is not None:
                model.add(load <= cap)
            if person.type == policy.TEACHER:
                model.add(load <= limit)
            days: dict[dt.date, list] = {}
            for item in wk_items:
                days.setdefault(item[0][0], []).append(item)
            cap_days = rules.days_cap(problem, person)
            works = []
            for day, its in days.items():
                model.add(sum(m * y for _k, m, y in its) <= rules.daily_budget(problem, person, day))
                for t in sorted({key[1] for key, _m, _y in its}):
                    active = [y for key, _m, y in its if key[1] <= t < key[2]]
                    if len(active) > 1:
                        model.add_at_most_one(active)
                if cap_days is not None and cap_days < len(days):
                    w = model.new_bool_var(f"w_{pid}_{day}")
                    for _k, _m, y in its:
                        model.add_implication(y, w)
                    works.append(w)
            if works:
                model.add(sum(works) <= cap_days)
        for key, _m, y in items:
            if key[3]:  # evening: no morning the next date
                for key2, _m2, y2 in items:
                    if key2[4] and key2[0] == key[0] + dt.timedelta(days=1):
                        model.add_bool_or([y.negated(), y2.negated()])
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = 1  # measured: the single-worker search refutes far faster than a 2-worker portfolio
    params.random_seed = 1
    # Wall time: the limit includes building the model (deterministic time: only the search counts).
    left = time_limit if deterministic else time_limit - (time.monotonic() - started)
    if left < 0.05:
        return False, 0.0
    params.max_time_in_seconds = left * (30 if deterministic else 1)
    if deterministic:
        params.max_deterministic_time = max(0.05, time_limit)
    status = solver.solve(model)
    return status == cp_model.INFEASIBLE, solver.deterministic_time


def _members_key(members) -> str:
    """A stable order for classes (the model, and so the search, is the same for the same input)."""
    return min(s.id for s in members)


def flow_load_bound(problem: Problem, sids: list[str], candidates: dict[str, list[str]], lower: int,
                    upper: int) -> int:
    """Least largest teacher load L in [lower, upper] (multiples of the session lengths' gcd) for which the
    sessions can all be served at all, in a flow relaxation over the sessions only some people can take
    (valid when every session of sids with candidates is staffed, i.e. full coverage):

    source → session (staff_needed × minutes) → person-day (the session's minutes: one person, one place) →
    person-week (daily budget, and the minutes of their candidate sessions that day) → sink (weekly cap, reach
    over their best max_days dates, and L for an in-service teacher). Provider staff pass through one node per
    session (its provider places: one fewer when providers need school staff) and one per provider-week (its
    max_weekly_sessions largest places). Every roster is a flow, so when the flow cannot carry every session
    the largest load is above L. Returns lower when even upper does not pass (the relaxation says nothing)."""
    from ortools.graph.python import max_flow  # noqa: PLC0415

    sessions = [problem.sessions[sid] for sid in sids if candidates.get(sid)]
    if not sessions or upper <= lower:
        return upper
    step = math.gcd(*(s.minutes for s in sessions))
    flow = max_flow.SimpleMaxFlow()
    nodes: dict = {}

    def node(key) -> int:
        if key not in nodes:
            nodes[key] = len(nodes)
        return nodes[key]

    source, sink = node("source"), node("sink")
    needs_school = problem.policy.provider_needs_school_staff
    need = 0
    day_minutes: dict[tuple[str, dt.date], int] = {}
    person_sessions: dict[tuple[str, dt.date], list] = {}
    provider_places: dict[tuple[str, dt.date], list[int]] = {}
    for s in sessions:
        need += s.staff_needed * s.minutes
        flow.add_arc_with_capacity(source, node(("s", s.id)), s.staff_needed * s.minutes)
        by_prov: dict[str, list[str]] = {}
        for pid in candidates[s.id]:
            person = problem.staff[pid]
            day_minutes[(pid, s.date)] = day_minutes.get((pid, s.date), 0) + s.minutes
            person_sessions.setdefault((pid, week_of(s.date)), []).append(s)
            if person.type == policy.PROVIDER_TYPE and person.provider is not None:
                by_prov.setdefault(person.provider, []).append(pid)
            else:
                flow.add_arc_with_capacity(node(("s", s.id)), node(("d", pid, s.date)), s.minutes)
        for prov, people in by_prov.items():
            places = min(len(people), s.staff_needed - (1 if needs_school else 0))
            if places <= 0:
                continue
            via = node(("sp", s.id, prov))
            flow.add_arc_with_capacity(node(("s", s.id)), via, places * s.minutes)
            for pid in people:
                flow.add_arc_with_capacity(via, node(("d", pid, s.date)), s.minutes)
            provider_places.setdefault((prov, week_of(s.date)), []).append(places * s.minutes)
    for (pid, day), minutes in day_minutes.items():
        budget = max(0, rules.daily_budget(problem, problem.staff[pid], day))
        flow.add_arc_with_capacity(node(("d", pid, day)), node(("w", pid, week_of(day))), min(minutes, budget))
    for (prov, week), places in provider_places.items():
        limit = problem.providers[prov].max_weekly_sessions
        places.sort(reverse=True)
        flow.add_arc_with_capacity(node(("pw", prov, week)), sink, sum(places if limit is None else places[:limit]))
    teacher_arcs = []
    for (pid, week), its in person_sessions.items():
        person = problem.staff[pid]
        room = reach(problem, person, its)
        if person.type == policy.PROVIDER_TYPE and person.provider is not None:
            flow.add_arc_with_capacity(node(("w", pid, week)), node(("pw", person.provider, week)), room)
        elif person.type == policy.TEACHER:
            teacher_arcs.append((flow.add_arc_with_capacity(node(("w", pid, week)), sink, room), room))
        else:
            flow.add_arc_with_capacity(node(("w", pid, week)), sink, room)

    def carries(limit: int) -> bool:
        for arc, room in teacher_arcs:
            flow.set_arc_capacity(arc, min(room, limit))
        return flow.solve(source, sink) == flow.OPTIMAL and flow.optimal_flow() >= need

    lo, hi = -(-lower // step), upper // step  # in steps; hi passes or is the answer by default
    if not carries(hi * step):
        return lower
    while lo < hi:
        mid = (lo + hi) // 2
        if carries(mid * step):
            hi = mid
        else:
            lo = mid + 1
    return max(lower, lo * step)
