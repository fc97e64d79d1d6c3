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
