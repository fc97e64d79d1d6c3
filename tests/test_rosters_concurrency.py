"""Two coordinators publishing one week at the same moment: one version is written, the other is told, nothing lost.

Each thread has its own app context (own session and connection); a barrier releases them together.
"""

import threading
from datetime import date, time

from sqlalchemy.exc import OperationalError

from app.accounts.models import User
from app.extensions import db
from app.rosters import services
from app.rosters.models import Assignment, PlannedSession, RosterVersion, Week
from tests import factories
from tests.racing import run_together

COORDINATORS = 4
POOL_SIZE = COORDINATORS  # connections the racing_app fixture pools


def test_simultaneous_publishing_writes_one_version(racing_app):
    with racing_app.app_context():
        school = factories.create_school()
        factories.create_term(school)
        school_class = factories.create_class(school)
        teacher = factories.create_teacher(school)
        admins = [factories.create_school_admin(school).id for _ in range(COORDINATORS)]
        week = Week(school_id=school.id, monday=date(2026, 11, 23))
        session = PlannedSession(week=week, on_date=week.monday, starts_at=time(15, 40), ends_at=time(17, 40),
                                 kind="after_school", activity="supervision", series="看护", enrolled=20,
                                 staff_needed=1, classes=[school_class])
        session.assignments.append(Assignment(profile_id=teacher.staff_profile.id))
        db.session.add(week)
        db.session.commit()
        week_id = week.id

    outcomes: list[str] = []
    lock = threading.Lock()

    def publish(release, admin_id: int) -> None:
        with racing_app.test_request_context():
            week = db.session.get(Week, week_id)
            actor = db.session.get(User, admin_id)
            release()
            try:
                services.publish(week, actor, seen_number=0)
                db.session.commit()
                outcome = "published"
            except (services.PublishConflict, OperationalError):  # SQLite may refuse the write lock
                db.session.rollback()
                outcome = "told"
            with lock:
                outcomes.append(outcome)

    errors = run_together(publish, [(admin_id,) for admin_id in admins])
    assert not errors, errors
    assert sorted(outcomes) == ["published"] + ["told"] * (COORDINATORS - 1)
    with racing_app.app_context():
        versions = db.session.scalars(db.select(RosterVersion).filter_by(week_id=week_id)).all()
        assert [v.number for v in versions] == [1]
        assert len(versions[0].roster["assignments"]) == 1
        assert db.session.scalar(db.select(db.func.count(Assignment.id))) == 1  # the working roster is kept
