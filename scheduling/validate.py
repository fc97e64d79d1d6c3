"""An independent checker of a roster against the contract's rules.

Written from ROSTER_FORMAT.md directly: it shares only the parsed problem and the policy module (its lists
and its reading of a person's caps, policy.weekly_minutes_cap / days_cap) with the solver, never its model,
pre-filter or plan code, so a solver bug is not repeated here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from scheduling import policy
from scheduling.problem import Problem, parse_problem, week_of
from scheduling.roster import STATUSES, Roster, roster_from_dict


def _violation(rule: str, message: str, session: str | None = None, staff: str | None = None) -> dict:
    return {"rule": rule, "session": session, "staff": staff, "message": message}


def _clash(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def plan_breaks(problem: Problem, sid: str) -> set[str]:
    """Plan rules one session breaks by itself, read straight from the contract's table."""
    s, pol, out = problem.sessions[sid], problem.policy, set()
    if s.activity == policy.NEW_LESSON:
        out.add("NO_NEW_LESSONS")
    if s.kind == policy.HOLIDAY_KIND:
        if s.activity not in policy.HOLIDAY_ALLOWED_ACTIVITIES or s.subject in policy.SUBJECT_TYPE_SUBJECTS:
            out.add("HOLIDAY_ACTIVITY")
        weekend = s.date.weekday() not in policy.SCHOOL_DAY_WEEKDAYS or s.date in problem.calendar.public_holidays
        if weekend and not pol.holiday_weekends:
            out.add("HOLIDAY_WEEKEND")
    if s.kind != policy.HOLIDAY_KIND and s.date not in problem.calendar.school_days:
        out.add("SCHOOL_DAY")
    if s.kind == policy.EVENING_KIND:
        if s.end > pol.evening_end_latest:
            out.add("EVENING_END")
        if any(problem.groups[g].grade not in policy.JUNIOR_GRADES for g in s.groups):
            out.add("EVENING_JUNIOR_ONLY")
    return out


def expected_group_day_errors(problem: Problem, rejected: set[str], staffed: set[str]) -> set[tuple]:
    """(rule, group, date) for every group-day that breaks TWO_HOUR_MINIMUM or END_BEFORE_WORK_END, and, when the
    problem asks for the EVERY_SCHOOL_DAY extension, every service day of a group's week without after_school."""
    days: dict[tuple[str, dt.date], list] = defaultdict(list)
    for s in problem.sessions.values():
        if s.kind == policy.AFTER_SCHOOL_KIND and s.date in problem.calendar.school_days:
            for g in s.groups:
                days[(g, s.date)].append(s)
    out = set()
    need, work_end = problem.policy.min_daily_minutes, problem.school.work_end
    for (g, day), sessions in days.items():
        running = [s for s in sessions if s.id not in rejected]
        blocks = [(start, end, [s.id for s in running if start <= s.start and s.end <= end])
                  for start, end in policy.merged_blocks((s.start, s.end) for s in running)]
        long_blocks = [b for b in blocks if b[1] - b[0] >= need]
        if not long_blocks:
            out.add(("TWO_HOUR_MINIMUM", g, day))
        elif not any(all(i in staffed for i in b[2]) for b in long_blocks):
            out.add(("TWO_HOUR_MINIMUM", g, day))
        considered = long_blocks or blocks
        if considered and all(b[1] < work_end for b in considered):
            out.add(("END_BEFORE_WORK_END", g, day))
    if problem.policy.every_school_day:
        for g in {g for g, _day in days}:
            weeks = {week_of(day) for gg, day in days if gg == g}
            week_days = [d for d in problem.calendar.school_days if week_of(d) in weeks]
            for day in policy.service_days(week_days, problem.groups[g].exception_weekdays):
                if (g, day) not in days:
                    out.add(("EVERY_SCHOOL_DAY", g, day))
    return out


def validate(problem, roster) -> list[dict]:
    """Every hard rule and structural fault of a roster, as {"rule", "session", "staff", "message"}: the named
    checks below, each returning its violations, in this order."""
    if not isinstance(problem, Problem):
        problem = parse_problem(problem)
    if not isinstance(roster, Roster):
        roster = roster_from_dict(roster)
    people, out = assigned_people(problem, roster)
    out += each_session_once(problem, roster, people)
    out += plan_rules(problem, roster, people)
    out += group_day_errors(problem, roster, people)
    for sid, pids in people.items():
        out += session_staffing(problem, problem.sessions[sid], pids)
    loads = Loads.of(problem, people)
    for pid, sessions in loads.worked.items():
        out += one_timetable(pid, sessions)
    out += personal_limits(problem, loads)
    out += provider_limits(problem, loads)
    out += pins_kept(problem, roster, people)
    return out


# --- Structure: every session exactly once -------------------------------------------------------


def assigned_people(problem: Problem, roster: Roster) -> tuple[dict[str, list[str]], list[dict]]:
    """{session: [staff, ...]} from the roster's assignments, and the faults in its status and assignments."""
    out = []
    if roster.status not in STATUSES:
        out.append(_violation("STRUCTURE", f"unknown status {roster.status!r}"))
    people: dict[str, list[str]] = defaultdict(list)
    for a in roster.assignments:
        sid, pid = a.get("session"), a.get("staff")
        if sid not in problem.sessions or pid not in problem.staff:
            out.append(_violation("STRUCTURE", f"assignment names unknown session or staff {sid!r}/{pid!r}", sid, pid))
            continue
        people[sid].append(pid)
    return people, out


def each_session_once(problem: Problem, roster: Roster, people: dict[str, list[str]]) -> list[dict]:
    """Every session stands once: staffed, unstaffed or rejected; a listed one carries its rules and reason."""
    out = []
    seen: dict[str, int] = defaultdict(int)
    for sid in people:
        seen[sid] += 1
    for entry in roster.unstaffed + roster.rejected:
        sid = entry.get("session")
        if sid not in problem.sessions:
            out.append(_violation("STRUCTURE", f"unknown session {sid!r} listed", sid))
            continue
        seen[sid] += 1
        if not entry.get("rules") or not isinstance(entry.get("reason"), str) or not entry["reason"]:
            out.append(_violation("STRUCTURE", "entry without rule codes or reason", sid))
    for sid in problem.sessions:
        if seen[sid] != 1:
            out.append(_violation("STRUCTURE", f"session appears {seen[sid]} times (must be exactly once)", sid))
    return out


# --- Plan rules: rejected exactly when broken; group-day errors listed -----------------------------


def _rejected(roster: Roster) -> set[str]:
    return {e.get("session") for e in roster.rejected}


def plan_rules(problem: Problem, roster: Roster, people: dict[str, list[str]]) -> list[dict]:
    """A session is rejected exactly when it breaks a plan rule, and a rejected session has nobody."""
    out, rejected = [], _rejected(roster)
    for sid in problem.sessions:
        broken = plan_breaks(problem, sid)
        if broken and sid not in rejected:
            for rule in sorted(broken):
                out.append(_violation(rule, "session breaks a plan rule but is not rejected", sid))
        if sid in rejected and not broken:
            out.append(_violation("STRUCTURE", "session rejected but breaks no plan rule", sid))
        if sid in rejected and people.get(sid):
            out.append(_violation("STRUCTURE", "rejected session has staff", sid))
    return out


def group_day_errors(problem: Problem, roster: Roster, people: dict[str, list[str]]) -> list[dict]:
    """The roster's plan_errors are exactly the group-days that break a group-day rule."""
    out = []
    staffed = {sid for sid, ps in people.items() if len(ps) == problem.sessions[sid].staff_needed}
    expected = expected_group_day_errors(problem, _rejected(roster), staffed)
    listed = {(e.get("rule"), e.get("group"), e.get("date")) for e in roster.plan_errors}
    for rule, g, day in sorted(expected, key=str):
        if (rule, g, day.isoformat()) not in listed:
            out.append(_violation(rule, f"group {g} on {day} breaks {rule} but is not in plan_errors"))
    for rule, g, day in sorted(listed, key=str):
        if not any(e == (rule, g, dt.date.fromisoformat(day) if isinstance(day, str) else day) for e in expected):
            out.append(_violation("STRUCTURE", f"plan_errors lists {rule} for {g} on {day}, which does not hold"))
    return out


# --- Assignment rules: who may be in a session -----------------------------------------------------


def _qualified(problem: Problem, s, p) -> bool:
    if s.activity == policy.SUPERVISION:
        return True
    if p.type == policy.PROVIDER_TYPE:
        return s.activity in problem.providers[p.provider].categories
    return s.activity in p.skills and (s.activity != policy.TUTORING or s.subject is None or s.subject in p.subjects)


def person_in_session(problem: Problem, s, pid: str) -> list[dict]:
    """The rules one person breaks by being in one session: opted in, free, on the campus, qualified, the right
    kind of staff, and (provider staff) vetted and in a non-subject activity."""
    out, p = [], problem.staff[pid]
    if not p.opted_in or p.exempt:
        out.append(_violation("OPT_IN", "person has not opted in or is exempt", s.id, pid))
    if any(w.date == s.date and _clash(w.start, w.end, s.start, s.end) for w in p.unavailable):
        out.append(_violation("AVAILABILITY", "session overlaps an unavailable window", s.id, pid))
    if p.campus is not None and any(problem.groups[g].campus not in (None, p.campus) for g in s.groups):
        out.append(_violation("CAMPUS", "person serves another campus", s.id, pid))
    if not _qualified(problem, s, p) and p.type not in policy.SCHOOL_STAFF_TYPES | {policy.VOLUNTEER}:
        out.append(_violation("QUALIFICATION", "unqualified person who is not school staff or a volunteer",
                              s.id, pid))
    if s.activity in policy.SCHOOL_STAFF_ONLY_ACTIVITIES and p.type not in policy.SCHOOL_STAFF_TYPES:
        out.append(_violation("SCHOOL_STAFF_ONLY", f"{s.activity} needs a teacher or retired teacher", s.id, pid))
    if p.type == policy.PROVIDER_TYPE:
        prov = problem.providers[p.provider]
        vetted = prov.vetted_until is not None and prov.vetted_until >= s.date
        if prov.status != policy.ACTIVE_PROVIDER_STATUS or not vetted:
            out.append(_violation("PROVIDER_VETTED", "provider not active or vetting expired", s.id, pid))
        if s.activity in policy.PROVIDER_FORBIDDEN_ACTIVITIES or s.subject in policy.SUBJECT_TYPE_SUBJECTS:
            out.append(_violation("PROVIDER_NON_SUBJECT", "provider staff in a subject or care session", s.id, pid))
    return out


def session_staffing(problem: Problem, s, pids: list[str]) -> list[dict]:
    """A session's people: as many distinct people as it needs, each allowed in it, one of them qualified, and a
    school teacher beside provider staff when the policy asks for one."""
    out = []
    if len(pids) != s.staff_needed or len(set(pids)) != len(pids):
        out.append(_violation("COVERAGE", f"{len(pids)} people ({len(set(pids))} distinct), "
                                          f"{s.staff_needed} needed", s.id))
    for pid in pids:
        out += person_in_session(problem, s, pid)
    people = [problem.staff[pid] for pid in pids]
    if pids and not any(_qualified(problem, s, p) for p in people):
        out.append(_violation("QUALIFICATION", "nobody in the session is qualified for its activity", s.id))
    providers_here = any(p.type == policy.PROVIDER_TYPE for p in people)
    school_staff = any(p.type in policy.SCHOOL_STAFF_TYPES for p in people)
    if providers_here and problem.policy.provider_needs_school_staff and not school_staff:
        out.append(_violation("PROVIDER_NEEDS_SCHOOL_STAFF", "provider staff without a school teacher", s.id))
    return out


# --- Each person's week: one timetable, rest, limits -----------------------------------------------


@dataclass
class Loads:
    """What the roster gives each person and provider: sessions, minutes a week and a day, days a week."""

    worked: dict = field(default_factory=lambda: defaultdict(list))
    minutes_week: dict = field(default_factory=lambda: defaultdict(int))
    days_week: dict = field(default_factory=lambda: defaultdict(set))
    minutes_day: dict = field(default_factory=lambda: defaultdict(int))
    provider_sessions: dict = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, problem: Problem, people: dict[str, list[str]]) -> Loads:
        loads = cls()
        for sid, pids in people.items():
            s = problem.sessions[sid]
            week = week_of(s.date)
            for pid in pids:
                p = problem.staff[pid]
                loads.worked[pid].append(s)
                loads.minutes_week[(pid, week)] += s.end - s.start
                loads.days_week[(pid, week)].add(s.date)
                loads.minutes_day[(pid, s.date)] += s.end - s.start
                if p.type == policy.PROVIDER_TYPE:
                    loads.provider_sessions[(p.provider, week)].add(sid)
        return loads


def one_timetable(pid: str, sessions: list) -> list[dict]:
    """One person is in one session at a time, and rests the morning after an evening session."""
    out = []
    its = sorted(sessions, key=lambda s: (s.date, s.start))
    for i, a in enumerate(its):
        for b in its[i + 1:]:
            if b.date != a.date:
                break
            if _clash(a.start, a.end, b.start, b.end):
                out.append(_violation("NO_OVERLAP", f"also in overlapping session {b.id}", a.id, pid))
    evening_dates = {s.date for s in its if s.kind == policy.EVENING_KIND}
    for s in its:
        if s.kind == policy.MORNING_KIND and s.date - dt.timedelta(days=1) in evening_dates:
            out.append(_violation("REST_AFTER_EVENING", "morning session after an evening session", s.id, pid))
    return out


def personal_limits(problem: Problem, loads: Loads) -> list[dict]:
    """Each person's minutes and days a week within their caps (policy.weekly_minutes_cap / days_cap), and a
    teacher's day with its teaching minutes within the daily cap."""
    out, pol = [], problem.policy
    for (pid, week), minutes in loads.minutes_week.items():
        p = problem.staff[pid]
        cap = policy.weekly_minutes_cap(p.type, p.max_weekly_minutes, pol.teacher_max_weekly_minutes)
        if cap is not None and minutes > cap:
            out.append(_violation("TEACHER_WEEKLY_LIMIT", f"{minutes} minutes in week of {week}, cap {cap}",
                                  staff=pid))
        days = len(loads.days_week[(pid, week)])
        cap_days = policy.days_cap(p.type, p.max_days, pol.teacher_max_days)
        if cap_days is not None and days > cap_days:
            out.append(_violation("TEACHER_DAYS_LIMIT", f"{days} days, cap {cap_days}", staff=pid))
    for (pid, day), minutes in loads.minutes_day.items():
        total = minutes + problem.staff[pid].teaching_minutes.get(day, 0)
        if total > pol.teacher_max_daily_minutes:
            out.append(_violation("TEACHER_DAILY_LIMIT", f"{total} minutes on {day}, cap "
                                                         f"{pol.teacher_max_daily_minutes}", staff=pid))
    return out


def provider_limits(problem: Problem, loads: Loads) -> list[dict]:
    """A provider's sessions a week within its own cap."""
    out = []
    for (prov_id, _week), sids in loads.provider_sessions.items():
        cap = problem.providers[prov_id].max_weekly_sessions
        if cap is not None and len(sids) > cap:
            out.append(_violation("PROVIDER_WEEKLY_SESSIONS", f"provider {prov_id} in {len(sids)} sessions, cap {cap}"))
    return out


# --- Pins ------------------------------------------------------------------------------------------


def pins_kept(problem: Problem, roster: Roster, people: dict[str, list[str]]) -> list[dict]:
    """Every pinned pair is in the roster or explained in pin_conflicts."""
    out = []
    explained = {(c.get("session"), c.get("staff")) for c in roster.pin_conflicts if c.get("rules")}
    for pair in problem.pinned:
        if pair.staff not in people.get(pair.session, []) and (pair.session, pair.staff) not in explained:
            out.append(_violation("PINNED", "pinned pair missing and not explained in pin_conflicts",
                                  pair.session, pair.staff))
    return out
