"""Retention (PIPL §19): past offerings' personal details go after the school's period; expired codes and old log
rows go too. Run by `flask enrolment run-due`.

An application of an offering that ended more than the school's period ago keeps what the figures need (which
child took part, when, in what) and loses the rest: health notes, pickup people, priority groups (hardship among
them), a return reason, and its draw ticket (replaced, so the deleted draw record cannot be tied to it again).

The records of a school day (app.daily.models: register marks and their changes, sign-outs, alerts, wrong and right
pickup codes, advance absences, incidents) are a minor's personal data: each is deleted once its day is more than
the school's period past (SCHOOL_DAY_RECORDS says which day dates each), and a collecting adult the family removed
goes (with their mobile) the same period after the removal.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta

from app.accounts import verification
from app.audit import services
from app.audit.models import RetentionSetting
from app.daily import models as daily
from app.enrolment.models import ActivityChoice, Application, Lottery, new_ticket
from app.extensions import db
from app.programs.models import Offering
from app.rosters.models import PlannedSession, Week
from app.schools.models import School, Student
from scheduling.policy import LOG_RETENTION_DAYS, PERSONAL_DATA_RETENTION_DAYS

logger = logging.getLogger(__name__)


def retention_days(school_id: int) -> int:
    """The school's period, or the policy default."""
    setting = db.session.get(RetentionSetting, school_id)
    return setting.days if setting is not None else PERSONAL_DATA_RETENTION_DAYS


def set_retention_days(school_id: int, days: int) -> None:
    setting = db.session.get(RetentionSetting, school_id)
    if setting is None:
        db.session.add(RetentionSetting(school_id=school_id, days=days))
    else:
        setting.days = days
    db.session.flush()


def anonymise_past_offerings(today: date) -> int:
    """Strip past offerings' applications and delete their draw records; how many applications were changed."""
    changed = 0
    for school_id in db.session.scalars(db.select(School.id)):
        cutoff = today - timedelta(days=retention_days(school_id))
        offering_ids = list(db.session.scalars(db.select(Offering.id).where(Offering.school_id == school_id,
                                                                               Offering.ends_on < cutoff)))
        if not offering_ids:
            continue
        applications = db.session.scalars(db.select(Application).where(Application.offering_id.in_(offering_ids)))
        for application in applications:
            if (application.health_notes or application.pickup_people or application.priority_groups
                    or application.return_reason or not application.ticket.startswith("x")):
                application.health_notes = ""
                application.pickup_people = ""
                application.priority_groups = []
                application.return_reason = ""
                application.ticket = "x" + new_ticket()[1:]  # "x…": a ticket of a purged record
                changed += 1
        lottery_ids = list(db.session.scalars(db.select(Lottery.id).where(Lottery.offering_id.in_(offering_ids))))
        if lottery_ids:
            db.session.execute(db.update(ActivityChoice).where(ActivityChoice.lottery_id.in_(lottery_ids))
                               .values(lottery_id=None))
            db.session.execute(db.delete(Lottery).where(Lottery.id.in_(lottery_ids)))
    db.session.flush()
    return changed


# Every table of the school day, and what dates its rows: "session" (the session's day), a column holding a date, or
# a timestamp column (school time). tests/test_retention.py fails when a table of app.daily.models is not listed.
SCHOOL_DAY_RECORDS = {
    daily.AttendanceMark: "session",
    daily.AttendanceChange: "session",
    daily.SignOut: "session",
    daily.Alert: "session",
    daily.PickupCodeAttempt: "on_date",
    daily.AdvanceAbsence: "ends_on",
    daily.Incident: "occurred_at",
    daily.PickupAdult: "removed_at",  # only adults the family removed; the listed ones are in use
}


def purge_school_days(today: date) -> int:
    """Delete the school-day records whose day is more than the school's period past; how many rows went."""
    deleted = 0
    for school_id in db.session.scalars(db.select(School.id)):
        cutoff = today - timedelta(days=retention_days(school_id))
        moment = datetime.combine(cutoff, time(0), tzinfo=UTC)  # a day's rows are a whole period past either way
        students = db.select(Student.id).where(Student.school_id == school_id)
        old_sessions = (db.select(PlannedSession.id).join(Week, Week.id == PlannedSession.week_id)
                        .where(Week.school_id == school_id, PlannedSession.on_date < cutoff))
        for model, dated_by in SCHOOL_DAY_RECORDS.items():
            if dated_by == "session":
                condition = model.session_id.in_(old_sessions)
            elif dated_by in ("on_date", "ends_on"):
                condition = model.student_id.in_(students) & (getattr(model, dated_by) < cutoff)
            else:
                condition = model.student_id.in_(students) & (getattr(model, dated_by) < moment)
            result = db.session.execute(db.delete(model).where(condition).execution_options(synchronize_session=False))
            deleted += result.rowcount or 0
    db.session.flush()
    return deleted


def run_due(today: date, now=None) -> dict[str, int]:
    """Everything past its retention: past offerings' details, school days' records, expired codes, old log rows."""
    done = {"applications": anonymise_past_offerings(today), "school days": purge_school_days(today),
            "codes": verification.purge_expired_codes(now),
            "log rows": services.purge_older_than(LOG_RETENTION_DAYS, now)}
    logger.info("retention: %s", done)
    return done
