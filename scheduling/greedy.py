"""A careful rule-respecting roster: greedy, repair, rebalancing; the engine's start and the benchmark's baseline.

`careful_roster` is the whole of it for one problem; the engine runs the same pieces per component
(`greedy_roster`, then `rebalance`) and starts CP-SAT from the result, so it never returns worse.
"""

from __future__ import annotations

import datetime as dt
import functools

from scheduling import bounds, plan, policy, rules
from scheduling.problem import Problem, Session
from scheduling.problem import week_of as _week_of

week_of = functools.lru_cache(maxsize=4096)(_week_of)  # called for every check of the ledger


def candidate_lists(problem: Problem, active: list[str]) -> dict[str, list[str]]:
    """Pre-filter: per session, the people who break no single-pair rule (rules.pair_blockers)."""
    by_campus: dict = {}
    for p in problem.staff.values():
        by_campus.setdefault(p.campus, []).append(p)
    candidates: dict[str, list[str]] = {}
    for sid in active:
        s = problem.sessions[sid]
        campuses = rules.session_campus(problem, s)
        if len(by_campus) == 1:
            pool = list(problem.staff.values())
        else:  # campus extension: only people of no campus or of this session's one campus can pass
            pool = [p for p in problem.staff.values() if p.campus is None or {p.campus} == campuses]
        people = [p for p in pool if not rules.pair_blockers(problem, p, s)]
        if s.staff_needed == 1:  # QUALIFICATION: a person alone in a session must be qualified
            people = [p for p in people if rules.is_qualified(problem, p, s)]
        candidates[sid] = [p.id for p in people]
    return candidates


def usable_pins(problem: Problem, rejected, candidates) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(pins that may be kept, pins that break a rule on their own or exceed their session's places)."""
    conflicts: list[tuple[str, str]] = []
    ok: list[tuple[str, str]] = []
    per_session: dict[str, int] = {}
    for pair in problem.pinned:
        sid, pid = pair.session, pair.staff
        if sid in rejected or pid not in candidates.get(sid, []):
            conflicts.append((sid, pid))
            continue
        per_session[sid] = per_session.get(sid, 0) + 1
        if per_session[sid] > problem.sessions[sid].staff_needed:
            conflicts.append((sid, pid))
            continue
        ok.append((sid, pid))
    return ok, conflicts


def careful_roster(problem: Problem) -> set[tuple[str, str]]:
    """The careful greedy for a whole problem: plan rules, pre-filter, greedy with the load target, repair,
    then rebalancing (pins and kept previous pairs stay). Deterministic."""
    rejected = plan.reject_sessions(problem)
    active = [sid for sid in problem.sessions if sid not in rejected]
    candidates = candidate_lists(problem, active)
    pins, _ = usable_pins(problem, rejected, candidates)
    previous = [(p.session, p.staff) for p in problem.previous]
    target = bounds.max_load_lower_bound(problem, active, candidates)
    pairs = greedy_roster(problem, active, candidates, pins, previous, target=target)
    return rebalance(problem, candidates, pairs, fixed=set(pins) | (set(previous) & pairs))


class _Ledger:
    """Running totals per person and provider, to test the cross-session rules."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.by_person: dict[str, list[Session]] = {}
        self.week_minutes: dict[tuple[str, dt.date], int] = {}
        self.day_minutes: dict[tuple[str, dt.date], int] = {}
        self.week_days: dict[tuple[str, dt.date], set] = {}
        self.provider_week: dict[tuple[str, dt.date], set] = {}

    def fits(self, pid: str, s: Session) -> bool:
        p = self.problem.staff[pid]
        week = week_of(s.date)
        for o in self.by_person.get(pid, []):
            if rules.sessions_overlap(o, s):
                return False
            if o.kind == policy.EVENING_KIND and s.kind == policy.MORNING_KIND and o.date + dt.timedelta(1) == s.date:
                return False
            if o.kind == policy.MORNING_KIND and s.kind == policy.EVENING_KIND and s.date + dt.timedelta(1) == o.date:
                return False
        if self.day_minutes.get((pid, s.date), 0) + s.minutes > rules.daily_budget(self.problem, p, s.date):
            return False
        cap = rules.weekly_cap(self.problem, p)
        if cap is not None and self.week_minutes.get((pid, week), 0) + s.minutes > cap:
            return False
        cap_days = rules.days_cap(self.problem, p)
        days = self.week_days.get((pid, week), set())
        if cap_days is not None and s.date not in days and len(days) >= cap_days:
            return False
        if p.provider is not None:
            limit = self.problem.providers[p.provider].max_weekly_sessions
            used = self.provider_week.get((p.provider, week), set())
            if limit is not None and s.id not in used and len(used) >= limit:
                return False
        return True

    def add(self, pid: str, s: Session) -> None:
        p = self.problem.staff[pid]
        week = week_of(s.date)
        self.by_person.setdefault(pid, []).append(s)
        self.week_minutes[(pid, week)] = self.week_minutes.get((pid, week), 0) + s.minutes
        self.day_minutes[(pid, s.date)] = self.day_minutes.get((pid, s.date), 0) + s.minutes
        self.week_days.setdefault((pid, week), set()).add(s.date)
        if p.provider is not None:
            self.provider_week.setdefault((p.provider, week), set()).add(s.id)

    def remove(self, pid: str, s: Session) -> None:
        p = self.problem.staff[pid]
        week = week_of(s.date)
        self.by_person[pid].remove(s)
        self.week_minutes[(pid, week)] -= s.minutes
        self.day_minutes[(pid, s.date)] -= s.minutes
        if not any(o.date == s.date for o in self.by_person[pid]):
            self.week_days[(pid, week)].discard(s.date)
        if p.provider is not None and not any(
                o.id == s.id for q in self.problem.staff.values() if q.provider == p.provider
                for o in self.by_person.get(q.id, [])):
            self.provider_week[(p.provider, week)].discard(s.id)

    def load(self, pid: str, s: Session) -> int:
        return self.week_minutes.get((pid, week_of(s.date)), 0)


def _team_ok(problem: Problem, team: list[str], s: Session) -> bool:
    needs_school = problem.policy.provider_needs_school_staff
    return (len(team) == s.staff_needed
            and any(rules.is_qualified(problem, problem.staff[p], s) for p in team)
            and not (needs_school and any(problem.staff[p].type == policy.PROVIDER_TYPE for p in team)
                     and not any(rules.is_school_staff(problem.staff[p]) for p in team)))


def greedy_roster(problem: Problem, sids: list[str], candidates: dict[str, list[str]],
                  pins: list[tuple[str, str]], previous: list[tuple[str, str]] = (),
                  target: int | None = None) -> set[tuple[str, str]]:
    """Staff the hardest sessions first with the least-loaded people who break no rule.

    target: a teacher load the greedy tries not to pass (the max-load lower bound); below it, a person
    already in the session's series is preferred (continuity). Sessions left unstaffed are then repaired
    by moving one person out of another session and replacing them there. Pins come first; then every
    previous pair that is still allowed is reserved before anything else (so a
    re-solve starts from the published roster and only repairs what broke).
    """
    ledger = _Ledger(problem)
    pinned: dict[str, list[str]] = {}
    for sid, pid in pins:
        pinned.setdefault(sid, []).append(pid)
    reserved: dict[str, list[str]] = {}
    sset = set(sids)
    for sid, pid in list(pins) + list(previous):
        if sid in sset and pid in candidates[sid] and pid not in reserved.get(sid, []):
            s = problem.sessions[sid]
            if len(reserved.get(sid, [])) < s.staff_needed and ledger.fits(pid, s):
                ledger.add(pid, s)
                reserved.setdefault(sid, []).append(pid)
    order = sorted(sids, key=lambda s: (s not in pinned, len(candidates[s]) / problem.sessions[s].staff_needed,
                                        problem.sessions[s].date, problem.sessions[s].start, s))
    series_people: dict[str, set[str]] = {}
    chosen_pairs: set[tuple[str, str]] = set()
    needs_school = problem.policy.provider_needs_school_staff
    for sid in order:
        s = problem.sessions[sid]
        for p in reserved.get(sid, []):
            ledger.remove(p, s)
        team = [p for p in reserved.get(sid, []) if ledger.fits(p, s)]
        usual = series_people.get(s.series, set()) if s.series else set()

        def score(pid, s=s, usual=usual):
            person = problem.staff[pid]
            load = ledger.load(pid, s)
            teacher = person.type == policy.TEACHER
            over = teacher and target is not None and load + s.minutes > target
            return (over, pid not in usual, teacher, load, s.date in person.avoid_days)

        ranked = sorted((p for p in candidates[sid] if p not in team), key=score)
        fits = {}  # checked lazily, in rank order (the ledger does not change while the team is chosen)

        def free(p, s=s, fits=fits):
            if p not in fits:
                fits[p] = ledger.fits(p, s)
            return fits[p]

        if not any(rules.is_qualified(problem, problem.staff[p], s) for p in team):
            first = next((p for p in ranked if rules.is_qualified(problem, problem.staff[p], s) and free(p)), None)
            if first is not None:
                team.append(first)
        for p in ranked:
            if len(team) >= s.staff_needed:
                break
            if p in team or not free(p):
                continue
            person = problem.staff[p]
            if person.type == policy.PROVIDER_TYPE and needs_school:
                if not any(rules.is_school_staff(problem.staff[q]) for q in team) and len(team) + 1 >= s.staff_needed:
                    continue
            team.append(p)
        if not _team_ok(problem, team, s):
            continue
        # provider limit counts sessions, so two staff of one provider in a session count once
        for p in team:
            ledger.add(p, s)
            chosen_pairs.add((sid, p))
            if s.series:
                series_people.setdefault(s.series, set()).add(p)
    _repair(problem, order, candidates, ledger, chosen_pairs, {pin for pin in pins})
    return chosen_pairs


def _repair(problem, order, candidates, ledger, chosen, pins) -> None:
    """Staff sessions left empty (staff_needed 1) by moving a qualified person q out of one other session o
    and putting a free person r in o instead (one augmenting step)."""
    team_of: dict[str, list[str]] = {}
    for sid, pid in chosen:
        team_of.setdefault(sid, []).append(pid)
    for sid in order:
        s = problem.sessions[sid]
        if sid in team_of or s.staff_needed != 1:
            continue
        done = False
        for q in candidates[sid]:
            if done:
                break
            if not _team_ok(problem, [q], s):  # qualified, and not provider staff alone when they need school staff
                continue
            for o in list(ledger.by_person.get(q, [])):
                if (o.id, q) in pins:
                    continue
                ledger.remove(q, o)
                if not ledger.fits(q, s):
                    ledger.add(q, o)
                    continue
                ledger.add(q, s)
                rest = [p for p in team_of[o.id] if p != q]
                for r in candidates[o.id]:
                    if r in team_of[o.id] or not ledger.fits(r, o) or not _team_ok(problem, rest + [r], o):
                        continue
                    ledger.add(r, o)
                    team_of[o.id] = rest + [r]
                    team_of[sid] = [q]
                    chosen.discard((o.id, q))
                    chosen.add((o.id, r))
                    chosen.add((sid, q))
                    done = True
                    break
                if done:
                    break
                ledger.remove(q, s)
                ledger.add(q, o)


def rebalance(problem: Problem, candidates: dict[str, list[str]], pairs: set[tuple[str, str]],
              fixed: set[tuple[str, str]] = frozenset(), max_passes: int = 30) -> set[tuple[str, str]]:
    """Moves and swaps that first lower the largest in-service teacher weekly load, then spread the loads more
    evenly (each step lowers the sum of squares of teacher loads at the same teacher total), never breaking a
    rule (the greedy's ledger checks every step) and never touching a fixed pair. Every session keeps its staff
    count, so coverage is unchanged. Deterministic."""
    state = _Rebalancer(problem, candidates, pairs, fixed)
    state.lower_max(max_passes * 20)
    state.even_out(max_passes)
    return state.pairs()


class _Rebalancer:
    def __init__(self, problem, candidates, pairs, fixed):
        self.problem, self.candidates, self.fixed = problem, candidates, set(fixed)
        self.ledger = _Ledger(problem)
        self.team: dict[str, list[str]] = {}
        order = {sid: i for i, sid in enumerate(problem.sessions)}
        for sid, pid in sorted(pairs, key=lambda pair: (order[pair[0]], pair[1])):
            self.ledger.add(pid, problem.sessions[sid])
            self.team.setdefault(sid, []).append(pid)
        self.teacher = {pid for pid, p in problem.staff.items() if p.type == policy.TEACHER}
        self.week = {sid: week_of(s.date) for sid, s in problem.sessions.items()}
        self.minutes = {sid: s.minutes for sid, s in problem.sessions.items()}

    def pairs(self) -> set[tuple[str, str]]:
        return {(sid, pid) for sid, people in self.team.items() for pid in people}

    def load(self, pid: str, week: dt.date) -> int:
        return self.ledger.week_minutes.get((pid, week), 0)

    def teacher_loads(self) -> dict[tuple[str, dt.date], int]:
        return {key: m for key, m in self.ledger.week_minutes.items() if key[0] in self.teacher and m > 0}

    def movable(self, pid: str, week: dt.date, ordered: bool = True) -> list[Session]:
        its = [s for s in self.ledger.by_person.get(pid, []) if self.week[s.id] == week
               and (s.id, pid) not in self.fixed]
        return sorted(its, key=lambda s: (-self.minutes[s.id], s.id)) if ordered else its

    def move(self, s: Session, old: str, new: str) -> bool:
        team = self.team[s.id]
        if new in team:
            return False
        new_team = [new if p == old else p for p in team]
        if not _team_ok(self.problem, new_team, s):
            return False
        self.ledger.remove(old, s)
        if self.ledger.fits(new, s):
            self.ledger.add(new, s)
            self.team[s.id] = new_team
            return True
        self.ledger.add(old, s)
        return False

    def swap(self, s1: Session, a: str, s2: Session, b: str) -> bool:
        """a leaves s1 for s2, b leaves s2 for s1."""
        t1, t2 = self.team[s1.id], self.team[s2.id]
        if s1.id == s2.id or b in t1 or a in t2 or (s2.id, b) in self.fixed:
            return False
        if a not in self.candidates[s2.id] or b not in self.candidates[s1.id]:
            return False
        n1, n2 = [b if p == a else p for p in t1], [a if p == b else p for p in t2]
        if not (_team_ok(self.problem, n1, s1) and _team_ok(self.problem, n2, s2)):
            return False
        self.ledger.remove(a, s1)
        self.ledger.remove(b, s2)
        if self.ledger.fits(a, s2):
            self.ledger.add(a, s2)
            if self.ledger.fits(b, s1):
                self.ledger.add(b, s1)
                self.team[s1.id], self.team[s2.id] = n1, n2
                return True
            self.ledger.remove(a, s2)
        self.ledger.add(a, s1)
        self.ledger.add(b, s2)
        return False

    def shed(self, pid: str, week: dt.date, below: int, teachers_only: bool) -> bool:
        """Move one of pid's sessions (or swap it for a shorter one) so that nobody involved ends at or above
        `below`; teachers_only keeps the teacher total (moves to other people lower it)."""
        mine = self.movable(pid, week)
        for s in mine:
            m = self.minutes[s.id]
            others = [r for r in self.candidates[s.id] if r != pid and r not in self.team[s.id]]
            teachers = sorted((r for r in others if r in self.teacher and self.load(r, week) + m < below),
                              key=lambda r: (self.load(r, week), r))
            for r in teachers:
                if self.move(s, pid, r):
                    return True
            if not teachers_only:
                for r in others:
                    if r not in self.teacher and self.move(s, pid, r):
                        return True
        for s in mine:  # swaps: pid takes a shorter session of a less-loaded teacher
            m = self.minutes[s.id]
            for r in self.candidates[s.id]:
                if r not in self.teacher or r == pid or r in self.team[s.id]:
                    continue
                theirs = self.load(r, week)
                if theirs + 1 >= below:
                    continue
                for s2 in self.movable(r, week, ordered=False):
                    gain = m - self.minutes[s2.id]
                    if gain <= 0 or theirs + gain >= below:
                        continue
                    if self.swap(s, pid, s2, r):
                        return True
        return False

    def lower_max(self, max_steps: int) -> None:
        """While every teacher at the largest load can shed a session, the largest load goes down."""
        for _ in range(max_steps):
            current = self.teacher_loads()
            if not current:
                return
            top = max(current.values())
            for pid, week in sorted(key for key, m in current.items() if m == top):
                if not self.shed(pid, week, top, teachers_only=False):
                    return

    def even_out(self, max_passes: int) -> None:
        """Most-loaded teachers first: move or swap a session to a teacher who stays below them."""
        for _ in range(max_passes):
            improved = False
            current = self.teacher_loads()
            for (pid, week), _m in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])):
                while self.shed(pid, week, self.load(pid, week), teachers_only=True):
                    improved = True
            if not improved:
                return
