"""A fast rule-respecting first roster, used as the CP-SAT hint (and the answer when it is provably best)."""

from __future__ import annotations

import datetime as dt

from scheduling import policy, rules
from scheduling.problem import Problem, Session, week_of


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

        free = sorted((p for p in candidates[sid] if p not in team and ledger.fits(p, s)), key=score)
        qualified = [p for p in free if rules.is_qualified(problem, problem.staff[p], s)]
        if not any(rules.is_qualified(problem, problem.staff[p], s) for p in team) and qualified:
            team.append(qualified[0])
        for p in free:
            if len(team) >= s.staff_needed:
                break
            if p in team:
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
            if not rules.is_qualified(problem, problem.staff[q], s):
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
