"""A school day to test the pickup and incident pages on: a class with children whose approved applications make
them expected in today's session, a teacher assigned to it, the children's confirmed guardians."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from app.accounts.models import User
from app.enrolment.models import ApplicationStatus, Pickup
from app.extensions import db
from app.models_base import local_today
from app.rosters.models import Assignment, PlannedSession, Week
from tests import factories


@dataclass
class Day:
    school: object
    school_class: object
    session: PlannedSession
    teacher: User  # assigned to the session
    other_teacher: User  # same school, not on it
    coordinator: User
    children: list = field(default_factory=list)  # Student
    guardians: list = field(default_factory=list)  # User, one per child
    applications: list = field(default_factory=list)


def add_session(school, day: date, classes, *, starts: str = "15:40", ends: str = "17:40", kind: str = "after_school",
                staff=()) -> PlannedSession:
    monday = day - timedelta(days=day.weekday())
    week = db.session.scalar(db.select(Week).filter_by(school_id=school.id, monday=monday))
    if week is None:
        week = Week(school_id=school.id, monday=monday)
        db.session.add(week)
        db.session.flush()
    session = PlannedSession(week=week, on_date=day, starts_at=time.fromisoformat(starts),
                             ends_at=time.fromisoformat(ends), kind=kind, activity="supervision", series="看护",
                             room="101", enrolled=0, staff_needed=1, classes=list(classes))
    db.session.add(session)
    for user in staff:
        session.assignments.append(Assignment(profile_id=user.staff_profile.id))
    db.session.flush()
    return session


def school_day(children: int = 2, *, day: date | None = None, walks_alone: tuple[int, ...] = ()) -> Day:
    """`children` expected in one session on `day` (today by default); those at the indexes in `walks_alone` go
    home alone with the family's consent."""
    day = day or local_today()
    school = factories.create_school()
    school_class = factories.create_class(school)
    class_teacher = factories.create_teacher(school)
    school_class.class_teacher = class_teacher
    term = factories.create_program_term(school, starts_on=day - timedelta(days=60), ends_on=day + timedelta(days=60))
    offering = factories.create_offering(school, term=term)
    teacher = factories.create_teacher(school)
    result = Day(school, school_class, add_session(school, day, [school_class], staff=[teacher]), teacher,
                 factories.create_teacher(school), factories.create_coordinator(school))
    for n in range(children):
        student = factories.create_student(school_class, name=f"张子{n}")
        guardian = factories.create_guardian(student, name=f"张家长{n}")
        application = factories.create_application(student, offering, guardian=guardian,
                                                    status=ApplicationStatus.APPROVED)
        application.weekdays = list(range(7))
        if n in walks_alone:
            application.pickup, application.walk_alone_consent = Pickup.WALKS_ALONE, True
        result.children.append(student)
        result.guardians.append(guardian)
        result.applications.append(application)
    db.session.commit()
    return result


def inbox(user: User) -> list:
    """The messages in a person's inbox, oldest first."""
    from app.notifications.models import Notification

    return list(db.session.scalars(db.select(Notification).filter_by(user_id=user.id).order_by(Notification.id)))
