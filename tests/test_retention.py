"""Retention (PIPL §19): `flask enrolment run-due` anonymises past offerings' applications after the school's period
(policy default otherwise), deletes their draw records, expired one-time codes and log rows past their own period."""

from datetime import date, timedelta

import pytest

from app.accounts.models import CodePurpose, OneTimeCode
from app.audit import retention
from app.audit.models import SECURITY, LogEntry
from app.enrolment.models import Application, ApplicationStatus, Lottery
from app.extensions import db as _db
from app.models_base import utcnow
from tests import factories

pytestmark = pytest.mark.both_databases

NOTES = "对花生严重过敏"


def _application(world, term_dates):
    term = factories.create_program_term(world.own_school, starts_on=term_dates[0], ends_on=term_dates[1])
    offering = factories.create_offering(world.own_school, term=term, priority_groups=("hardship",))
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED,
                                               priority_groups=("hardship",))
    application.health_notes = NOTES
    application.pickup_people = "外婆 13900000000"
    _db.session.add(Lottery(school_id=world.own_school.id, offering_id=offering.id, seed="s",
                            inputs={"tickets": [application.ticket]}, result={}))
    _db.session.commit()
    return application


def _run(runner, *applications):
    """Run the command; the applications as the database now holds them (the command ends the session)."""
    ids = [application.id for application in applications]
    result = runner.invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0, result.output
    return [_db.session.get(Application, application_id) for application_id in ids]


def test_a_past_terms_application_loses_its_personal_details_and_its_draw_record(world, runner):
    past = _application(world, (date(2023, 9, 1), date(2024, 1, 20)))
    current = _application(world, (date(2026, 9, 1), date(2099, 1, 20)))
    past_ticket = past.ticket
    past, current = _run(runner, past, current)
    assert past.health_notes == "" and past.pickup_people == "" and past.priority_groups == []
    assert past.ticket != past_ticket and past.status is ApplicationStatus.APPROVED  # the figures keep who took part
    assert _db.session.scalars(_db.select(Lottery.offering_id)).all() == [current.offering_id]
    assert current.health_notes == NOTES and current.priority_groups == ["hardship"]


def test_a_school_that_keeps_longer_keeps_its_past_terms(world, runner):
    past = _application(world, (date(2023, 9, 1), date(2024, 1, 20)))
    retention.set_retention_days(world.own_school.id, 365 * 50)
    _db.session.commit()
    [past] = _run(runner, past)
    assert past.health_notes == NOTES and _db.session.scalar(_db.select(Lottery.id)) is not None


def test_expired_codes_and_old_log_rows_are_purged(world, runner):
    now = utcnow()
    for expires_at in (now - timedelta(days=3), now + timedelta(minutes=5)):
        _db.session.add(OneTimeCode(mobile="13900000001", purpose=CodePurpose.REGISTER, code_hash="h" * 64,
                                    expires_at=expires_at))
    for created_at in (now - timedelta(days=4 * 365), now - timedelta(days=30)):
        _db.session.add(LogEntry(kind=SECURITY, event="login", school_id=world.own_school.id,
                                 created_at=created_at))
    _db.session.commit()
    _run(runner)
    assert [c.expires_at > now for c in _db.session.scalars(_db.select(OneTimeCode))] == [True]
    [row] = _db.session.scalars(_db.select(LogEntry)).all()
    assert row.created_at > now - timedelta(days=31)


def _school_day(world, day: date) -> dict:
    """One row of every school-day table for the own student, dated `day` (a removed adult: removed that day)."""
    from datetime import UTC, datetime, time

    from app.daily import models as daily
    from app.rosters.models import PlannedSession, Week

    child, teacher = world.own_student, world.users["teacher"]
    moment = datetime.combine(day, time(9, 0), tzinfo=UTC)
    week = Week(school_id=world.own_school.id, monday=day - timedelta(days=day.weekday()))
    session = PlannedSession(on_date=day, starts_at=time(15, 40), ends_at=time(17, 40), kind="after_school",
                             activity="supervision", series="看护", enrolled=1, staff_needed=1)
    week.sessions.append(session)
    _db.session.add(week)
    _db.session.flush()
    adult = daily.PickupAdult(student_id=child.id, name="外婆", relation="外祖母", mobile="13900000002",
                              removed_at=moment)
    _db.session.add(adult)
    _db.session.flush()
    rows = [
        daily.AttendanceMark(session_id=session.id, student_id=child.id, status=daily.Mark.PRESENT,
                             marked_by_id=teacher.id),
        daily.AttendanceChange(session_id=session.id, student_id=child.id, status=daily.Mark.PRESENT),
        daily.SignOut(session_id=session.id, student_id=child.id, method=daily.SignOutMethod.LISTED_ADULT,
                      adult_id=adult.id, adult_name="外婆"),
        daily.Alert(school_id=world.own_school.id, session_id=session.id, student_id=child.id,
                    kind=daily.AlertKind.MISSING),
        daily.PickupCodeAttempt(student_id=child.id, on_date=day),
        daily.AdvanceAbsence(student_id=child.id, starts_on=day, ends_on=day, reason="发烧"),
        daily.Incident(school_id=world.own_school.id, session_id=session.id, student_id=child.id,
                       category=daily.IncidentCategory.ILLNESS, occurred_at=moment, what_happened="发烧"),
        adult,
    ]
    _db.session.add_all(rows)
    _db.session.commit()
    return {type(row): row.id for row in rows}


def test_every_school_day_record_goes_after_the_period_and_only_then(world, runner):
    """Fails when a table of the school day is forgotten: every model of app.daily.models must be in
    SCHOOL_DAY_RECORDS, and one old row of each is gone after run-due while this term's rows stay."""
    from app.daily import models as daily

    tables = {model for model in vars(daily).values()
              if isinstance(model, type) and issubclass(model, _db.Model) and model.__module__ == daily.__name__}
    assert tables == set(retention.SCHOOL_DAY_RECORDS), "a school-day table is missing from the retention purge"
    today = date.today()
    old = _school_day(world, today - timedelta(days=retention.retention_days(world.own_school.id) + 2))
    recent = _school_day(world, today - timedelta(days=10))
    assert set(old) == tables
    _run(runner)
    for model in tables:
        assert _db.session.get(model, old[model]) is None, f"{model.__name__} kept past its period"
        assert _db.session.get(model, recent[model]) is not None, f"{model.__name__} purged too early"



def test_a_collecting_adult_still_listed_stays_however_long_ago_added(world, runner):
    from app.daily.models import PickupAdult

    adult = PickupAdult(student_id=world.own_student.id, name="爷爷", relation="祖父", mobile="13900000003",
                        added_at=utcnow() - timedelta(days=10 * 365))
    _db.session.add(adult)
    _db.session.commit()
    adult_id = adult.id
    _run(runner)
    assert _db.session.get(PickupAdult, adult_id).mobile == "13900000003"
