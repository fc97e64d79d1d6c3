"""Missing-child and not-collected alerts: raised once per session × child × kind, told at once to the child's
guardians and class teacher (urgent, in their language), shown on the afternoon board until resolved with a note.

check_due(now) raises what the clock says is due: MISSING for a child expected and neither marked nor excused
(an advance absence) `register_alert_minutes` after the session started; NOT_COLLECTED for a child marked present
or late on their last session of the day and not signed out anywhere that day `pickup_grace_minutes` after it
ended (children marked absent or left early are not waited for). It runs from `flask enrolment run-due` and each
time the board is looked at. A child marked present after a MISSING alert (or signed out after a NOT_COLLECTED one)
does not close it: the board says so, and someone resolves it with a note (who found the child, what was done).
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.daily import access
from app.daily import day as school_day
from app.daily.models import Alert, AlertKind, AttendanceMark
from app.extensions import db
from app.models_base import school_zone, utcnow
from app.notifications.services import notify
from app.rosters.models import PlannedSession, Week
from app.rosters.services import settings_for
from app.schools.models import School, Student, class_label

logger = logging.getLogger(__name__)

KIND_LABELS = {
    AlertKind.MISSING: _l("Missing"),
    AlertKind.NOT_COLLECTED: _l("Not collected"),
}


class AlreadyResolved(Exception):
    """Someone resolved the alert first."""


def raise_alert(kind: AlertKind, session: PlannedSession, student: Student, *, now: datetime | None = None
                ) -> Alert | None:
    """Raise an alert and tell the guardians and the class teacher at once; None when it was raised already
    (the unique constraint decides between two raising it at the same moment: one alert, one message each)."""
    found = db.session.scalar(select(Alert.id).filter_by(session_id=session.id, student_id=student.id, kind=kind))
    if found is not None:
        return None
    alert = Alert(school_id=session.week.school_id, session_id=session.id, student_id=student.id, kind=kind,
                  raised_at=now or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:
        return None
    _tell(alert, session, student)
    logger.warning("alert %s: %s, student %s, session %s", alert.id, kind.value, student.id, session.id)
    return alert


def _tell(alert: Alert, session: PlannedSession, student: Student) -> None:
    when = f"{session.on_date.isoformat()} {session.starts_at:%H:%M}–{session.ends_at:%H:%M}"
    readers = [(g, f"/day/children/{student.id}/days") for g in access.guardians_to_tell(student)]
    teacher = student.school_class.class_teacher
    if teacher is not None:
        readers.append((teacher, f"/day/classes/{student.class_id}/day"))
    for reader, link in readers:
        with force_locale(reader.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            if alert.kind is AlertKind.MISSING:
                subject = gettext("Urgent: %(child)s is not at after-school service", child=student.name)
                body = gettext("%(child)s (%(class)s) was expected at %(session)s (%(when)s%(room)s) and is not "
                               "there, and no absence was reported. The school is looking into it: please call the "
                               "school if you know where the child is.", child=student.name,
                               **{"class": class_label(student.school_class)}, session=_name(session),
                               when=when, room=_room(session))
            else:
                subject = gettext("Urgent: %(child)s has not been collected", child=student.name)
                body = gettext("%(child)s (%(class)s) is still at school after %(session)s (%(when)s%(room)s) "
                               "ended and has not been signed out. Please come or call the school.",
                               child=student.name, **{"class": class_label(student.school_class)},
                               session=_name(session), when=when, room=_room(session))
        notify(reader, subject, body, link, urgent=True, school_id=alert.school_id)


def _name(session: PlannedSession) -> str:
    from app.programs.services import kind_label

    return session.series or kind_label(session.kind)


def _room(session: PlannedSession) -> str:
    return gettext(", room %(room)s", room=session.room) if session.room else ""


def resolve(alert: Alert, user: User, note: str) -> None:
    """Close an alert with what was found or done (a note is required)."""
    note = (note or "").strip()
    if not note:
        raise ValueError("a resolution note is required")
    if alert.resolved_at is not None:
        raise AlreadyResolved()
    alert.resolved_at, alert.resolved_by_id, alert.resolution = utcnow(), user.id, note
    db.session.flush()


def open_alerts(school_id: int) -> list[Alert]:
    """The school's unresolved alerts, oldest first."""
    return list(db.session.scalars(select(Alert).where(Alert.school_id == school_id, Alert.resolved_at.is_(None))
                                   .order_by(Alert.raised_at, Alert.id)))


def now_settled(alerts: list[Alert]) -> set[int]:
    """The alerts (ids) whose child has turned up since: a MISSING child now marked present or late, a child NOT
    COLLECTED now signed out. The board says so; the alert still waits for someone's note."""
    from app.daily.day import HERE
    from app.daily.models import SignOut

    if not alerts:
        return set()
    sessions = {a.session_id for a in alerts}
    marks = {(m.session_id, m.student_id): m.status for m in db.session.scalars(
        select(AttendanceMark).where(AttendanceMark.session_id.in_(sessions)))}
    signed_out = {(row.session_id, row.student_id) for row in db.session.execute(
        select(SignOut.session_id, SignOut.student_id).where(SignOut.session_id.in_(sessions)))}
    return {a.id for a in alerts
            if (a.kind is AlertKind.MISSING and marks.get((a.session_id, a.student_id)) in HERE)
            or (a.kind is AlertKind.NOT_COLLECTED and (a.session_id, a.student_id) in signed_out)}


def check_due(now: datetime | None = None, school_id: int | None = None) -> list[Alert]:
    """Raise every alert the clock says is due now (see the module text), for one school or all; the new ones."""
    from app.daily.day import HERE, absences_on, pickup_due, sign_outs_on, starts

    now = (now or utcnow()).astimezone(school_zone())
    day = now.date()
    statement = select(School).join(Week, Week.school_id == School.id).join(
        PlannedSession, PlannedSession.week_id == Week.id).where(PlannedSession.on_date == day).distinct()
    if school_id is not None:
        statement = statement.where(School.id == school_id)
    raised = []
    for school in db.session.scalars(statement).all():
        settings = settings_for(school)
        sessions = school_day.sessions_on(school.id, day)
        expected = school_day.expected_on(school.id, day)
        children = {a.student_id: a.student for e in expected.values() for a in e.children}
        marks = {(m.session_id, m.student_id): m.status for m in db.session.scalars(
            select(AttendanceMark).where(AttendanceMark.session_id.in_([s.id for s in sessions])))}
        excused = absences_on(children, day)
        for session in sessions:
            if now < starts(session) + timedelta(minutes=settings.register_alert_minutes):
                continue
            for application in expected[session.id].children:
                sid = application.student_id
                if (session.id, sid) not in marks and sid not in excused:
                    raised.append(raise_alert(AlertKind.MISSING, session, children[sid], now=now))
        collected = sign_outs_on(children, day)
        for sid, session in school_day.last_sessions(sessions, expected).items():
            if (marks.get((session.id, sid)) in HERE and sid not in collected
                    and now >= pickup_due(session, settings.pickup_grace_minutes)):
                raised.append(raise_alert(AlertKind.NOT_COLLECTED, session, children[sid], now=now))
    return [a for a in raised if a is not None]
