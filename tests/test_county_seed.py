"""The county benchmarks' generated county (benchmarks/county_seed.py) holds what its figures claim, by the app's own
rules: every session staffed as published, registers only for children placed, rosters published as the site would
show them, two terms of history and nothing after last week."""

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.daily.models import AttendanceMark
from app.enrolment.models import Application, ApplicationStatus, LedgerEntry, LedgerKind
from app.extensions import db
from app.rosters.expected import expected_children
from app.rosters.models import Assignment, PlannedSession, Week
from app.schools.models import School, Student
from benchmarks.county_seed import seed_county
from tests.factories import _password_hash

TODAY = date(2026, 12, 2)


def seed(**sizes):
    figures = seed_county(password_hash=_password_hash(), today=TODAY, **sizes)
    db.session.commit()
    return figures


def test_sizes_and_two_terms(app):
    figures = seed(schools=3, students=300)

    assert figures["schools"] == 3 and figures["students"] == 300
    assert db.session.scalar(select(func.count()).select_from(Student)) == 300
    assert db.session.scalar(select(func.count()).select_from(School)) == 3
    assert len(figures["terms"]) == 2
    officer = db.session.scalar(select(User).filter_by(mobile=figures["officer_mobile"]))
    assert officer.role is Role.COUNTY_OFFICER and officer.county_id == figures["county_id"]
    # History up to last week only, in both terms.
    last_sunday = TODAY - timedelta(days=TODAY.weekday() + 1)
    assert db.session.scalar(select(func.max(PlannedSession.on_date))) <= last_sunday
    months = {d.month for d in db.session.scalars(select(PlannedSession.on_date).distinct())}
    assert {3, 6, 9, 11} <= months


def test_every_session_is_staffed_as_its_published_roster_says(app):
    seed(schools=2, students=120)

    counts = Counter(db.session.scalars(select(Assignment.session_id)))
    for session in db.session.scalars(select(PlannedSession)):
        assert counts[session.id] == session.staff_needed, session
    for week in db.session.scalars(select(Week)):
        (version,) = week.versions
        published = {(a["session"], a["staff"]) for a in version.roster["assignments"]}
        working = {(f"s-{a.session_id}", f"p-{a.profile_id}") for s in week.sessions for a in s.assignments}
        assert published == working and set(version.roster["sessions"]) == {s.key for s in week.sessions}


def test_registers_mark_exactly_the_children_the_site_expects(app):
    figures = seed(schools=2, students=120, register_weeks=1)

    assert figures["marks"] == db.session.scalar(select(func.count()).select_from(AttendanceMark)) > 0
    marked = db.session.scalars(select(PlannedSession).join(AttendanceMark, AttendanceMark.session_id
                                                            == PlannedSession.id).distinct()).all()
    for session in marked:
        expected = {a.student_id for a in expected_children(session).children}
        got = set(db.session.scalars(select(AttendanceMark.student_id).filter_by(session_id=session.id)))
        assert got == expected and got


def test_fees_are_charged_to_approved_applications_only(app):
    seed(schools=2, students=120)

    statuses = dict(db.session.execute(select(LedgerEntry.kind, func.count()).group_by(LedgerEntry.kind)).all())
    assert statuses[LedgerKind.CHARGE] > 0
    charged = db.session.scalars(select(Application).join(LedgerEntry).distinct())
    assert {a.status for a in charged} == {ApplicationStatus.APPROVED}
