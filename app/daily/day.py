"""A school's day as planned: which sessions run, which children each expects, and where each child's day ends
(the session at whose end the child is handed over)."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.daily.models import AdvanceAbsence, Mark, SignOut
from app.extensions import db
from app.models_base import school_zone
from app.rosters.expected import Expected, expected_by_session
from app.rosters.models import PlannedSession, Week

HERE = frozenset({Mark.PRESENT, Mark.LATE})  # in the room now (left early / absent children are not)


def starts(session: PlannedSession) -> datetime:
    """When the session starts, in school time."""
    return datetime.combine(session.on_date, session.starts_at, tzinfo=school_zone())


def pickup_due(session: PlannedSession, grace_minutes: int) -> datetime:
    """When a child still here after this (their last) session is late being collected: the end plus the grace."""
    return datetime.combine(session.on_date, session.ends_at, tzinfo=school_zone()) + timedelta(minutes=grace_minutes)


def sessions_on(school_id: int, day: date) -> list[PlannedSession]:
    """The school's planned sessions on a day, in time order."""
    return list(db.session.scalars(
        select(PlannedSession).join(Week, Week.id == PlannedSession.week_id)
        .where(Week.school_id == school_id, PlannedSession.on_date == day)
        .order_by(PlannedSession.starts_at, PlannedSession.id)))


def expected_on(school_id: int, day: date) -> dict[int, Expected]:
    """expected_children for each of the school's sessions that day (rosters.expected: the one source)."""
    return expected_by_session(s.id for s in sessions_on(school_id, day))


def last_sessions(sessions: list[PlannedSession], expected: dict[int, Expected]) -> dict[int, PlannedSession]:
    """Each expected child's last session of the day (latest end, then latest start): where they are handed over."""
    last: dict[int, PlannedSession] = {}
    for session in sessions:
        for application in expected[session.id].children:
            held = last.get(application.student_id)
            if held is None or (session.ends_at, session.starts_at) >= (held.ends_at, held.starts_at):
                last[application.student_id] = session
    return last


def absences_between(student_ids, first: date, last: date) -> list[AdvanceAbsence]:
    """Advance absences (not cancelled) of these children that touch the days first..last, in date order."""
    ids = list(set(student_ids))
    if not ids:
        return []
    return list(db.session.scalars(
        select(AdvanceAbsence).where(AdvanceAbsence.student_id.in_(ids), AdvanceAbsence.cancelled_at.is_(None),
                                     AdvanceAbsence.starts_on <= last, AdvanceAbsence.ends_on >= first)
        .order_by(AdvanceAbsence.starts_on, AdvanceAbsence.id)))


def absences_on(student_ids, day: date) -> dict[int, AdvanceAbsence]:
    """The advance absence (not cancelled) covering a day, by child."""
    return {a.student_id: a for a in absences_between(student_ids, day, day)}


def sign_outs_on(student_ids, day: date) -> dict[int, SignOut]:
    """Each child's sign-out on a day (from whichever session), by child."""
    ids = list(set(student_ids))
    if not ids:
        return {}
    rows = db.session.scalars(select(SignOut).join(PlannedSession, PlannedSession.id == SignOut.session_id)
                              .where(SignOut.student_id.in_(ids), PlannedSession.on_date == day))
    return {row.student_id: row for row in rows}
