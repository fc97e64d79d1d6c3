"""Staff tapping the same child at the same moment: one mark, every change kept in order, one alert, one message.

Each thread has its own app context (own session and connection); a barrier releases them together. On PostgreSQL
every tap goes through (the mark's row lock queues them); SQLite may refuse a write lock under contention, which
the tap reports as an error and the staff member taps again: nothing is half written.
"""

import threading
from datetime import time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.accounts.models import User
from app.daily import register
from app.daily.models import Alert, AttendanceChange, AttendanceMark, Mark
from app.enrolment.models import ApplicationStatus
from app.extensions import db
from app.models_base import local_today
from app.notifications.models import Notification
from app.rosters import services as rosters
from app.rosters.models import Assignment, PlannedSession
from tests import factories
from tests.racing import run_together

STAFF = 4
POOL_SIZE = STAFF


def _today_with_one_child(app):
    with app.app_context():
        school = factories.create_school()
        school_class = factories.create_class(school)
        today = local_today()
        term = factories.create_program_term(school, starts_on=today - timedelta(days=30),
                                             ends_on=today + timedelta(days=30))
        offering = factories.create_offering(school, term=term)
        child = factories.create_student(school_class)
        guardian = factories.create_guardian(child)
        factories.create_application(child, offering, guardian=guardian,
                                     status=ApplicationStatus.APPROVED).weekdays = list(range(7))
        session = PlannedSession(on_date=today, starts_at=time(15, 40), ends_at=time(17, 40), kind="after_school",
                                 activity="supervision", series="看护", enrolled=0, staff_needed=1,
                                 classes=[school_class])
        week = rosters.open_week(school, today)
        week.sessions.append(session)
        staff = [factories.create_teacher(school) for _ in range(STAFF)]
        db.session.flush()
        session.assignments.extend(Assignment(profile_id=t.staff_profile.id) for t in staff)
        db.session.commit()
        return session.id, child.id, guardian.id, [t.id for t in staff]


def _race(app, session_id, child_id, staff_ids, statuses) -> list[str]:
    outcomes: list[str] = []
    lock = threading.Lock()

    def tap(release, user_id: int, status: Mark) -> None:
        with app.test_request_context():
            session = db.session.get(PlannedSession, session_id)
            user = db.session.get(User, user_id)
            release()
            try:
                _, changed = register.mark(session, child_id, status, user)
                db.session.commit()
                outcome = "changed" if changed else "same"
            except OperationalError:  # SQLite only: the write lock refused; the tap answers an error
                db.session.rollback()
                outcome = "refused"
            with lock:
                outcomes.append(outcome)

    errors = run_together(tap, list(zip(staff_ids, statuses, strict=True)))
    assert not errors, errors
    return outcomes


def test_simultaneous_taps_keep_every_change_in_order(racing_app):
    session_id, child_id, _, staff_ids = _today_with_one_child(racing_app)
    statuses = [Mark.PRESENT, Mark.LATE, Mark.PRESENT, Mark.LEFT_EARLY]
    outcomes = _race(racing_app, session_id, child_id, staff_ids, statuses)
    with racing_app.app_context():
        assert db.session.scalar(select(func.count(AttendanceMark.id))) == 1
        changes = db.session.scalars(select(AttendanceChange).order_by(AttendanceChange.id)).all()
        assert len(changes) == outcomes.count("changed") >= 1
        assert changes[0].previous == ""
        assert all(later.previous == earlier.status.value for earlier, later in zip(changes, changes[1:], strict=False))
        mark = db.session.scalar(select(AttendanceMark))
        assert (mark.status, mark.marked_by_id) == (changes[-1].status, changes[-1].changed_by_id)
    if racing_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert "refused" not in outcomes


def test_simultaneous_absent_taps_raise_one_alert_and_one_message(racing_app):
    session_id, child_id, guardian_id, staff_ids = _today_with_one_child(racing_app)
    outcomes = _race(racing_app, session_id, child_id, staff_ids, [Mark.ABSENT] * STAFF)
    assert outcomes.count("changed") == 1
    with racing_app.app_context():
        assert db.session.scalar(select(func.count(Alert.id))) == 1
        assert db.session.scalar(select(func.count(Notification.id)).filter_by(user_id=guardian_id)) == 1
        assert db.session.scalar(select(func.count(AttendanceChange.id))) == 1
