"""Children expected in a planned session: the one source of that figure for every page, export and the engine.

A session's children are those of approved applications that attend it (need_to_know.attends: a seat in the
session's activity group, or the session's classes on a weekday the family chose, within the offering's dates).
When no offering of the school covers the session's date and kind, enrolment is not in use there: the figure is
the estimate the coordinator typed (``PlannedSession.enrolled``), and pages say it is an estimate.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.enrolment import need_to_know  # a module: need_to_know imports rosters' models in turn
from app.enrolment.models import Application
from app.extensions import db
from app.programs.models import Offering, OfferingKind
from app.rosters.models import PlannedSession
from scheduling.policy import HOLIDAY_KIND


@dataclass(frozen=True)
class Expected:
    """The children expected in one session."""

    count: int
    children: tuple[Application, ...]  # empty when the count is an estimate
    estimated: bool  # no offering covers the session: the count is the coordinator's estimate


def offering_kind_of(session_kind: str) -> OfferingKind:
    """Which offering a session of this kind serves (holiday care, or the term's after-school service)."""
    return OfferingKind.HOLIDAY_CARE if session_kind == HOLIDAY_KIND else OfferingKind.AFTER_SCHOOL


def covered_by_enrolment(session: PlannedSession) -> bool:
    """Whether families apply for this session: it belongs to an activity group, or a published offering of the
    school of the matching kind runs on its date."""
    if session.activity_id is not None:
        return True
    return db.session.scalar(
        select(Offering.id).where(Offering.school_id == session.week.school_id,
                                  Offering.kind == offering_kind_of(session.kind), Offering.published_version > 0,
                                  Offering.starts_on <= session.on_date, Offering.ends_on >= session.on_date)
        .limit(1)) is not None


def expected_children(session: PlannedSession) -> Expected:
    """The children expected in a session, and how many (see the module text)."""
    if not covered_by_enrolment(session):
        return Expected(count=session.enrolled or 0, children=(), estimated=True)
    children = tuple(need_to_know.children_of_session(session))
    return Expected(count=len(children), children=children, estimated=False)


def expected_by_session(session_ids) -> dict[int, Expected]:
    """expected_children for each of these planned sessions (ids that no longer exist are left out)."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    sessions = db.session.scalars(select(PlannedSession).where(PlannedSession.id.in_(ids)))
    return {session.id: expected_children(session) for session in sessions}
