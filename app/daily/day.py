"""A school's day as planned: which sessions run, which children each expects, and where each child's day ends
(the session at whose end the child is handed over)."""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.rosters.expected import Expected, expected_by_session
from app.rosters.models import PlannedSession, Week


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
