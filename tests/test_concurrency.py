"""No place sold twice: many simultaneous placements at the last seats, on real connections, on both databases.

Each thread has its own app context, so its own session and its own database connection; a barrier releases them
together. The seat counter is a guarded UPDATE checked by its row count, and (activity, student) is unique.
"""

import threading

from sqlalchemy.exc import IntegrityError, OperationalError

from app.enrolment import allocation
from app.enrolment.models import Seat
from app.extensions import db
from app.programs.models import Activity
from tests import factories
from tests.racing import run_together

SEATS = 5
STUDENTS = 24
DUPLICATES = 8  # extra attempts for children who already try once: no child may end up with two seats
THREADS = STUDENTS + DUPLICATES
POOL_SIZE = THREADS  # connections the racing_app fixture pools


def test_last_seats_are_never_sold_twice(racing_app):
    with racing_app.app_context():
        school = factories.create_school()
        school_class = factories.create_class(school)
        students = [factories.create_student(school_class).id for _ in range(STUDENTS)]
        activity = factories.create_activity(factories.create_offering(school), capacity=SEATS + 2)
        activity.taken = 2  # two seats already sold: the race is for the last five
        activity_id = activity.id
        db.session.commit()

    attempts = students + students[:DUPLICATES]
    results: list[bool] = []
    lock = threading.Lock()

    def attempt(release, student_id: int) -> None:
        with racing_app.app_context():
            release()
            try:
                placed = allocation.take_seat(activity_id, student_id)
                db.session.commit()
            except (IntegrityError, OperationalError):
                db.session.rollback()
                placed = False
            with lock:
                results.append(placed)

    errors = run_together(attempt, [(student_id,) for student_id in attempts])
    assert not errors, errors
    assert len(results) == THREADS
    assert results.count(True) == SEATS
    with racing_app.app_context():
        seats = db.session.scalars(db.select(Seat.student_id).filter_by(activity_id=activity_id)).all()
        assert db.session.get(Activity, activity_id).taken == SEATS + 2
        assert len(seats) == SEATS
        assert len(set(seats)) == SEATS  # no duplicate enrolment


def test_the_draw_runs_once_however_many_requests_see_the_window_close(racing_app):
    """Everyone opening the offering's pages at the close: one draw, one record, no place given twice."""
    from datetime import timedelta

    from app.enrolment.models import Lottery
    from app.enrolment.routes import bring_up_to_date
    from app.models_base import utcnow
    from app.programs.models import Offering

    with racing_app.app_context():
        school = factories.create_school()
        school_class = factories.create_class(school)
        offering = factories.create_offering(school)
        activity = factories.create_activity(offering, capacity=SEATS)
        for _ in range(STUDENTS):
            factories.create_application(factories.create_student(school_class), offering, choices=[activity])
        offering.window_closes_at = utcnow() - timedelta(seconds=1)
        offering_id, activity_id = offering.id, activity.id
        db.session.commit()

    def look(release) -> None:
        with racing_app.test_request_context():
            release()
            bring_up_to_date(db.session.get(Offering, offering_id))

    errors = run_together(look, [()] * THREADS)
    assert not errors, errors
    with racing_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Lottery.id)).filter_by(offering_id=offering_id)) == 1
        seats = db.session.scalars(db.select(Seat.student_id).filter_by(activity_id=activity_id)).all()
        assert len(seats) == len(set(seats)) == SEATS
        assert db.session.get(Activity, activity_id).taken == SEATS
