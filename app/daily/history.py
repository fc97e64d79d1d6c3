"""The school day as recorded, read back: a child's day for the family (register marks with who and when, sessions,
the hand-over, advance absences, incidents), a month of a child's days, and a class's day for the class teacher.

Past days show what was recorded; today (and days to come) also list the sessions the child is expected in
(rosters.expected, through day.expected_on). Times are school time (app.models_base.local_time).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.daily.access import is_school_admin_of
from app.daily.day import expected_on, sessions_on
from app.daily.models import (
    AdvanceAbsence,
    Alert,
    AttendanceMark,
    Incident,
    Mark,
    SignOut,
    SignOutMethod,
)
from app.extensions import db
from app.models_base import school_zone
from app.rosters.models import PlannedSession, Week
from app.schools.models import SchoolClass, Student

MARK_WORDS = {Mark.PRESENT: _l("present"), Mark.ABSENT: _l("absent"), Mark.LATE: _l("late"),
              Mark.LEFT_EARLY: _l("left early")}
METHOD_WORDS = {SignOutMethod.CODE: _l("with their pickup code"),
                SignOutMethod.LISTED_ADULT: _l("listed adult, ID checked"),
                SignOutMethod.WALKS_ALONE: _l("walked home alone (the family's consent)")}


def month_days(month: date) -> list[date]:
    """Every day of the month whose first day is given."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [month + timedelta(days=n) for n in range((following - month).days)]


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC moments from the start of `first` to the end of `last`, school time (for timestamps)."""
    zone = school_zone()
    starts = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    ends = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return starts, ends


@dataclass
class SessionLine:
    """One session of a child's day: the mark (who, when) if the register was taken."""

    session: PlannedSession
    mark: AttendanceMark | None = None
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class ChildDay:
    """What a family sees of one day of their child."""

    student: Student
    day: date
    sessions: list[SessionLine]
    sign_out: SignOut | None
    absences: list[AdvanceAbsence]
    incidents: list[Incident]

    @property
    def recorded(self) -> bool:
        return bool(self.sign_out or self.incidents or self.absences or any(s.mark for s in self.sessions))


def absences_on(student_ids, first: date, last: date) -> list[AdvanceAbsence]:
    """Advance absences (not cancelled) of these children that touch the days first..last."""
    return list(db.session.scalars(
        select(AdvanceAbsence).where(AdvanceAbsence.student_id.in_(list(student_ids)),
                                     AdvanceAbsence.cancelled_at.is_(None), AdvanceAbsence.starts_on <= last,
                                     AdvanceAbsence.ends_on >= first)
        .order_by(AdvanceAbsence.starts_on, AdvanceAbsence.id)))


def school_sessions(school_id: int, first: date, last: date) -> list[PlannedSession]:
    return list(db.session.scalars(
        select(PlannedSession).join(Week, Week.id == PlannedSession.week_id)
        .where(Week.school_id == school_id, PlannedSession.on_date >= first, PlannedSession.on_date <= last)
        .order_by(PlannedSession.on_date, PlannedSession.starts_at, PlannedSession.id)))


def days_of(students: list[Student], first: date, last: date, *,
            with_expected: bool) -> dict[tuple[int, date], ChildDay]:
    """Each of these children's days from first to last (one school), as recorded: {(student id, day): ChildDay}.
    With `with_expected`, sessions the child is expected in are listed even before their register is taken."""
    if not students:
        return {}
    school_id = students[0].school_id
    ids = [s.id for s in students]
    by_id = {s.id: s for s in students}
    sessions = {s.id: s for s in school_sessions(school_id, first, last)}
    found: dict[tuple[int, date], ChildDay] = {}

    def child_day(student_id: int, day: date) -> ChildDay:
        key = (student_id, day)
        if key not in found:
            found[key] = ChildDay(by_id[student_id], day, [], None, [], [])
        return found[key]

    def line(student_id: int, session: PlannedSession) -> SessionLine:
        record = child_day(student_id, session.on_date)
        held = next((s for s in record.sessions if s.session.id == session.id), None)
        if held is None:
            held = SessionLine(session)
            record.sessions.append(held)
        return held

    if with_expected:
        for day in sorted({s.on_date for s in sessions.values()}):
            expected = expected_on(school_id, day)
            for session_id, found_expected in expected.items():
                for application in found_expected.children:
                    if application.student_id in by_id:
                        line(application.student_id, sessions[session_id])
    session_ids = list(sessions)
    if session_ids:
        for mark in db.session.scalars(select(AttendanceMark).where(AttendanceMark.student_id.in_(ids),
                                                                    AttendanceMark.session_id.in_(session_ids))):
            line(mark.student_id, sessions[mark.session_id]).mark = mark
        for alert in db.session.scalars(select(Alert).where(Alert.student_id.in_(ids),
                                                            Alert.session_id.in_(session_ids))):
            line(alert.student_id, sessions[alert.session_id]).alerts.append(alert)
        for sign_out in db.session.scalars(select(SignOut).where(SignOut.student_id.in_(ids),
                                                                 SignOut.session_id.in_(session_ids))):
            record = child_day(sign_out.student_id, sessions[sign_out.session_id].on_date)
            if record.sign_out is None or sign_out.signed_out_at > record.sign_out.signed_out_at:
                record.sign_out = sign_out
    for absence in absences_on(ids, first, last):
        for n in range((min(absence.ends_on, last) - max(absence.starts_on, first)).days + 1):
            child_day(absence.student_id, max(absence.starts_on, first) + timedelta(days=n)).absences.append(absence)
    starts, ends = day_bounds(first, last)
    zone = school_zone()
    for incident in db.session.scalars(select(Incident).where(
            Incident.student_id.in_(ids), Incident.occurred_at >= starts, Incident.occurred_at < ends)
            .order_by(Incident.occurred_at)):
        occurred = incident.occurred_at if incident.occurred_at.tzinfo else incident.occurred_at.replace(tzinfo=UTC)
        child_day(incident.student_id, occurred.astimezone(zone).date()).incidents.append(incident)
    for record in found.values():
        record.sessions.sort(key=lambda s: (s.session.starts_at, s.session.id))
    return found


def child_day(student: Student, day: date) -> ChildDay:
    """One day of a child, expected sessions included."""
    return days_of([student], day, day, with_expected=True).get((student.id, day)) or ChildDay(
        student, day, [], None, [], [])


def child_month(student: Student, month: date) -> list[ChildDay]:
    """The days of a month on which something was recorded for the child, latest first."""
    days = month_days(month)
    found = days_of([student], days[0], days[-1], with_expected=False)
    return sorted((d for d in found.values() if d.recorded), key=lambda d: d.day, reverse=True)


MONTHS_LISTED = 12  # a child's history offers this many months back from the month shown


def months_around(month: date, today: date) -> list[date]:
    """The months a history page links to: up to MONTHS_LISTED months before this one (never past today's)."""
    latest = min(month, today.replace(day=1))
    months = [latest]
    while len(months) < MONTHS_LISTED:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


# --- The class's day ---------------------------------------------------------------------------------------------


def may_see_class(user, school_class: SchoolClass) -> bool:
    """The class teacher of that class and the school's administrators."""
    return user.is_authenticated and (school_class.class_teacher_id == user.id
                                      or is_school_admin_of(user, school_class.school_id))


def class_to_see_or_404(class_id: int) -> SchoolClass:
    """The class, for its class teacher or an administrator of its school: 404 when it does not exist or is
    another school's, 403 for other staff of the school."""
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None:
        abort(404)
    if may_see_class(current_user, school_class):
        return school_class
    if current_user.school_id == school_class.school_id:
        abort(403)
    abort(404)


def class_day(school_class: SchoolClass, day: date) -> list[ChildDay]:
    """Every child of the class on a day (expected sessions, marks, notices, hand-over, alerts), by name order."""
    students = list(school_class.students)
    found = days_of(students, day, day, with_expected=True)
    return [found.get((s.id, day)) or ChildDay(s, day, [], None, [], []) for s in students]


def is_school_day(school_id: int, day: date) -> bool:
    """Whether the school has sessions planned that day."""
    return bool(sessions_on(school_id, day))
