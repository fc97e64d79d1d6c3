"""Assignment rules as plain predicates: who may be placed in which session, and each person's caps.

The solver's pre-filter and the explanations read these; the CP-SAT model adds the rules that bind
between sessions (overlap, caps). The validator does NOT use this module: it re-reads the contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduling import policy
from scheduling.problem import Problem, Session, Staff, Window, format_time


@dataclass(frozen=True)
class Blocker:
    """Why one person cannot take one session whatever else happens."""

    rule: str
    window: Window | None = None  # for AVAILABILITY


def is_school_staff(person: Staff) -> bool:
    """Teacher or retired teacher (school staff in the contract's sense)."""
    return person.type in policy.SCHOOL_STAFF_TYPES


def is_qualified(problem: Problem, person: Staff, session: Session) -> bool:
    """QUALIFICATION for one person: skill (and subject for tutoring), or provider category."""
    if session.activity == policy.SUPERVISION:
        return True
    if person.type == policy.PROVIDER_TYPE:
        provider = problem.providers.get(person.provider)
        return provider is not None and session.activity in provider.categories
    if session.activity not in person.skills:
        return False
    if session.activity == policy.TUTORING and session.subject is not None:
        return session.subject in person.subjects
    return True


def may_be_extra(person: Staff) -> bool:
    """QUALIFICATION: an unqualified person may still be in a session if school staff or a volunteer."""
    return person.type in policy.SCHOOL_STAFF_TYPES or person.type == "volunteer"


def weekly_cap(problem: Problem, person: Staff) -> int | None:
    """TEACHER_WEEKLY_LIMIT: own cap for anyone, policy cap for an in-service teacher, else none."""
    return policy.weekly_minutes_cap(person.type, person.max_weekly_minutes, problem.policy.teacher_max_weekly_minutes)


def days_cap(problem: Problem, person: Staff) -> int | None:
    """TEACHER_DAYS_LIMIT: own cap for anyone, policy cap for an in-service teacher, else none."""
    return policy.days_cap(person.type, person.max_days, problem.policy.teacher_max_days)


def daily_budget(problem: Problem, person: Staff, day: dt.date) -> int:
    """TEACHER_DAILY_LIMIT: service minutes left on a date after that date's teaching minutes."""
    return problem.policy.teacher_max_daily_minutes - person.teaching_minutes.get(day, 0)


def provider_is_vetted(problem: Problem, person: Staff, day: dt.date) -> bool:
    """PROVIDER_VETTED: the provider is active and vetted until at least that date."""
    provider = problem.providers.get(person.provider)
    return (
        provider is not None
        and provider.status == policy.ACTIVE_PROVIDER_STATUS
        and provider.vetted_until is not None
        and provider.vetted_until >= day
    )


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Two time ranges overlap; touching ends do not."""
    return a_start < b_end and b_start < a_end


def sessions_overlap(a: Session, b: Session) -> bool:
    """NO_OVERLAP: same date and overlapping times."""
    return a.date == b.date and overlaps(a.start, a.end, b.start, b.end)


def session_campus(problem: Problem, session: Session) -> set[str]:
    """Campuses of the session's groups (extension field; empty when not used)."""
    return {problem.groups[g].campus for g in session.groups if problem.groups[g].campus is not None}


def pair_blockers(problem: Problem, person: Staff, session: Session) -> list[Blocker]:
    """Rules that forbid this person in this session on their own (the solver's pre-filter)."""
    out: list[Blocker] = []
    if not person.opted_in or person.exempt:
        out.append(Blocker("OPT_IN"))
    if person.campus is not None and session_campus(problem, session) - {person.campus}:
        out.append(Blocker("CAMPUS"))
    for w in person.unavailable:
        if w.date == session.date and overlaps(w.start, w.end, session.start, session.end):
            out.append(Blocker("AVAILABILITY", w))
            break
    if session.activity in policy.SCHOOL_STAFF_ONLY_ACTIVITIES and not is_school_staff(person):
        out.append(Blocker("SCHOOL_STAFF_ONLY"))
    if person.type == policy.PROVIDER_TYPE:
        if not provider_is_vetted(problem, person, session.date):
            out.append(Blocker("PROVIDER_VETTED"))
        if (session.activity in policy.PROVIDER_FORBIDDEN_ACTIVITIES
                or session.subject in policy.SUBJECT_TYPE_SUBJECTS):
            out.append(Blocker("PROVIDER_NON_SUBJECT"))
    if not is_qualified(problem, person, session) and not may_be_extra(person):
        out.append(Blocker("QUALIFICATION"))
    cap = weekly_cap(problem, person)
    if cap is not None and session.minutes > cap:
        out.append(Blocker("TEACHER_WEEKLY_LIMIT"))
    cap_days = days_cap(problem, person)
    if cap_days is not None and cap_days < 1:
        out.append(Blocker("TEACHER_DAYS_LIMIT"))
    if session.minutes > daily_budget(problem, person, session.date):
        out.append(Blocker("TEACHER_DAILY_LIMIT"))
    return out


def describe_window(w: Window) -> tuple[str, str]:
    """A window as Chinese and English words: 周三16:00–18:00 / Wednesday 16:00–18:00."""
    zh, en = policy.WEEKDAY_LABELS[w.date.weekday()]
    span = f"{format_time(w.start)}–{format_time(w.end)}"
    return f"{zh}{span}", f"{en} {span}"
