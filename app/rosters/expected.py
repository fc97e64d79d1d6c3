"""Children expected in a planned session: the one source of that figure for every page, export and the engine.

A session's children are those of approved applications that attend it (need_to_know.attends: a seat in the
session's activity group, or the session's classes on a weekday the family chose, within the offering's dates).
When no offering of the school covers the session's date and kind, enrolment is not in use there: the figure is
the estimate the coordinator typed (``PlannedSession.enrolled``), and pages say it is an estimate.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.enrolment import need_to_know  # a module: need_to_know imports rosters' models in turn
from app.enrolment.models import Application, ApplicationStatus, Seat
from app.extensions import db
from app.programs.models import Offering, OfferingKind
from app.rosters.models import PlannedSession
from app.schools.models import Student
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


def _covers(offerings: list[Offering], session: PlannedSession) -> bool:
    """Whether families apply for this session: it belongs to an activity group, or one of the school's published
    offerings of the matching kind runs on its date."""
    if session.activity_id is not None:
        return True
    kind = offering_kind_of(session.kind)
    return any(o.kind is kind and o.starts_on <= session.on_date <= o.ends_on for o in offerings)


def expected_children(session: PlannedSession) -> Expected:
    """The children expected in a session, and how many (see the module text)."""
    return expected_by_session([session.id])[session.id]


def expected_application(session: PlannedSession, student_id: int) -> Application | None:
    """The application that makes this child expected in the session (None: not expected there): expected_children's
    rule, read for one child only (a register tap or a sign-out need no more)."""
    return next(iter(expected_by_session([session.id], student_ids=[student_id])[session.id].children), None)


def expected_by_session(session_ids, *, student_ids=None) -> dict[int, Expected]:
    """expected_children for each of these planned sessions (ids that no longer exist are left out), read with a
    few queries per school; who attends is need_to_know.attends, the rule the children pages use. With
    `student_ids`, only those children are looked at (and counted)."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    sessions = db.session.scalars(select(PlannedSession).where(PlannedSession.id.in_(ids))
                                  .options(selectinload(PlannedSession.classes), selectinload(PlannedSession.week),
                                           selectinload(PlannedSession.activity_group))).all()
    found: dict[int, Expected] = {}
    for school_id in {s.week.school_id for s in sessions}:
        own = [s for s in sessions if s.week.school_id == school_id]
        offerings = list(db.session.scalars(select(Offering).where(Offering.school_id == school_id,
                                                                   Offering.published_version > 0)))
        approved = list(db.session.scalars(
            select(Application).join(Student, Student.id == Application.student_id)
            .where(Application.school_id == school_id, Application.status == ApplicationStatus.APPROVED,
                   *([Application.student_id.in_(list(student_ids))] if student_ids is not None else []))
            .options(selectinload(Application.student), selectinload(Application.offering))
            .order_by(Student.class_id, Student.name, Application.id)))
        groups = {s.activity_id for s in own if s.activity_id is not None}
        seats: dict[int, set[int]] = {}  # student id -> activity groups (of the sessions) the child sits in
        if groups:
            seat_query = select(Seat.activity_id, Seat.student_id).where(Seat.activity_id.in_(groups))
            if student_ids is not None:
                seat_query = seat_query.where(Seat.student_id.in_(list(student_ids)))
            for activity_id, seated_id in db.session.execute(seat_query):
                seats.setdefault(seated_id, set()).add(activity_id)
        for session in own:
            if not _covers(offerings, session):
                found[session.id] = Expected(count=session.enrolled or 0, children=(), estimated=True)
                continue
            group = session.activity_group
            children = tuple(
                a for a in approved
                if (group is None or a.offering_id == group.offering_id)
                and need_to_know.attends(a, session, seats.get(a.student_id, set()))
            )
            found[session.id] = Expected(count=len(children), children=children, estimated=False)
    return found
