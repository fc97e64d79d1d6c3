"""The register (点名) and advance absences (请假): who is expected, one tap per child, every change kept, and the
figures the pages show (Today, the register, the afternoon board) from one place.

A register is taken on the session's day and corrected later by the same people (every change is kept); marks on a
session of a day still to come are refused. A child with an advance absence is shown as such and counts as answered
(no missing-child alert), but is not marked for the staff: a child who comes after all is simply marked present.
Services flush; the request commits.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.county import facts as county_facts
from app.daily import day as school_day
from app.daily import words
from app.daily.day import HERE, absences_on, pickup_due, sign_outs_on
from app.daily.models import AdvanceAbsence, AttendanceChange, AttendanceMark, Mark
from app.enrolment.models import Application
from app.extensions import db
from app.models_base import local_time, local_today, school_zone, utcnow
from app.notifications.services import notify
from app.rosters.expected import Expected, expected_application, expected_by_session
from app.rosters.models import PlannedSession
from app.rosters.services import settings_for
from app.schools.models import SchoolClass, Student, class_label

logger = logging.getLogger(__name__)

MARK_LABELS = words.MARK_LABELS


class MarkRefused(Exception):
    """A tap the register does not take; the message is the reason, for the staff member."""


# --- Who is expected, and their rows -----------------------------------------------------------


@dataclass
class RegisterRow:
    """One child on a session's register: the mark now, an advance absence that day, and the history."""

    student: Student
    application: Application
    mark: AttendanceMark | None = None
    absence: AdvanceAbsence | None = None
    changes: list[AttendanceChange] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """Marked, or the family said in advance the child would be away."""
        return self.mark is not None or self.absence is not None


def _class_order(student: Student) -> tuple:
    return (student.school_class.grade.number, student.school_class.number, student.name, student.id)


def register_rows(session: PlannedSession) -> list[RegisterRow]:
    """The children expected in the session (rosters.expected), by class and name, with marks and absences."""
    expected = expected_by_session([session.id])[session.id]
    rows = {a.student_id: RegisterRow(student=a.student, application=a) for a in expected.children}
    for mark in db.session.scalars(select(AttendanceMark).where(AttendanceMark.session_id == session.id)):
        if mark.student_id in rows:
            rows[mark.student_id].mark = mark
    for change in db.session.scalars(select(AttendanceChange).where(AttendanceChange.session_id == session.id)
                                     .order_by(AttendanceChange.changed_at, AttendanceChange.id)):
        if change.student_id in rows:
            rows[change.student_id].changes.append(change)
    for student_id, absence in absences_on(rows, session.on_date).items():
        rows[student_id].absence = absence
    return sorted(rows.values(), key=lambda row: _class_order(row.student))


# --- A tap ---------------------------------------------------------------------------------------


def refusal(session: PlannedSession, student_id: int) -> str | None:
    """Why a tap for this child on this session is not taken (None: it is)."""
    if session.on_date > local_today():
        return gettext("The register opens on the day of the session (%(day)s).", day=session.on_date.isoformat())
    if expected_application(session, student_id) is None:
        student = db.session.get(Student, student_id)
        if student is None or student.school_id != session.week.school_id:
            return gettext("This child is not expected in this session.")
        return gettext("%(child)s is not expected in this session: no approved place for this day.",
                       child=student.name)
    return None


def _current_mark(session_id: int, student_id: int) -> AttendanceMark | None:
    # FOR UPDATE: two staff tapping the same child queue here (PostgreSQL), so each sees the other's change as the
    # previous value and both changes are kept in order.
    return db.session.scalar(select(AttendanceMark).filter_by(session_id=session_id, student_id=student_id)
                             .with_for_update())


def mark(session: PlannedSession, student_id: int, status: Mark, user: User) -> tuple[AttendanceMark, bool]:
    """Mark a child on the register; (the mark now, whether it changed). The same status again changes nothing
    and adds no history. Refused (MarkRefused) for a session still to come or a child not expected in it. An
    absence without notice on the session's day raises a missing-child alert at once."""
    reason = refusal(session, student_id)
    if reason:
        raise MarkRefused(reason)
    current = _current_mark(session.id, student_id)
    if current is None:
        try:
            with db.session.begin_nested():  # the mark and its first change are written together
                current = AttendanceMark(session_id=session.id, student_id=student_id, status=status,
                                         marked_by_id=user.id, marked_at=utcnow())
                db.session.add(current)
                db.session.flush()
                _record_change(session.id, student_id, status, "", user)
        except IntegrityError:  # someone else's first tap won the race: theirs is the previous value
            current = _current_mark(session.id, student_id)
        else:
            county_facts.session_marked(session.id)  # the county board counts the session as held
            _after_mark(session, current)
            return current, True
    for _ in range(3):
        if current.status is status:
            return current, False
        previous = current.status
        # Only over the status read (a database without row locks, SQLite, may have let another tap in between).
        written = db.session.execute(
            update(AttendanceMark).where(AttendanceMark.id == current.id, AttendanceMark.status == previous)
            .values(status=status, marked_by_id=user.id, marked_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        db.session.refresh(current)
        if written:
            _record_change(session.id, student_id, status, previous.value, user)
            _after_mark(session, current)
            return current, True
    raise MarkRefused(gettext("Someone else is marking this child right now: tap again."))


def _record_change(session_id: int, student_id: int, status: Mark, previous: str, user: User) -> None:
    db.session.add(AttendanceChange(session_id=session_id, student_id=student_id, status=status, previous=previous,
                                    changed_by_id=user.id, changed_at=utcnow()))
    db.session.flush()


def _after_mark(session: PlannedSession, current: AttendanceMark) -> None:
    """An absence the family did not report, on the day itself, is a missing child (alerts.raise_alert)."""
    from app.daily import alerts
    from app.daily.models import AlertKind

    if (current.status is Mark.ABSENT and session.on_date == local_today()
            and not absences_on([current.student_id], session.on_date)):
        alerts.raise_alert(AlertKind.MISSING, session, db.session.get(Student, current.student_id))


# --- Figures: Today, the register's heading and the board ----------------------------------------


@dataclass
class SessionFigures:
    """A session's register at a glance (the one source for Today, the register page and the board)."""

    session: PlannedSession
    expected: int
    estimated: bool  # no offering covers the session: the expected figure is the coordinator's estimate
    present: int  # marked present or late
    absent: int
    left_early: int
    excused: int  # advance absence, not marked
    unmarked: int  # neither marked nor excused
    staff: int  # on the roster (assignments)
    staff_needed: int
    not_collected: list[dict] = field(default_factory=list)  # {"student", "due", "overdue"} for its last children

    @property
    def taken(self) -> bool:
        """Every expected child answered (marked, or excused in advance)."""
        return not self.estimated and self.unmarked == 0


def session_figures(sessions: list[PlannedSession], day: date, now: datetime | None = None,
                    expected: dict[int, Expected] | None = None) -> list[SessionFigures]:
    """SessionFigures for sessions of one day, with the children not yet collected from each (school time)."""
    if not sessions:
        return []
    now = (now or utcnow()).astimezone(school_zone())
    ids = [s.id for s in sessions]
    # Where each child's day ends needs every session of the school that day, not only these.
    schools = {s.week.school_id: s.week.school for s in sessions}
    every = {school_id: school_day.sessions_on(school_id, day) for school_id in schools}
    expected = expected or expected_by_session([s.id for own in every.values() for s in own] + ids)
    marks = {(m.session_id, m.student_id): m for m in db.session.scalars(
        select(AttendanceMark).where(AttendanceMark.session_id.in_(ids)))}
    children = {a.student_id for e in expected.values() for a in e.children}
    excused = absences_on(children, day)
    collected = sign_outs_on(children, day)
    last: dict[int, PlannedSession] = {}
    for own in every.values():
        last.update(school_day.last_sessions(own, expected))
    grace = {school_id: settings_for(school).pickup_grace_minutes for school_id, school in schools.items()}
    figures = []
    for session in sessions:
        e = expected[session.id]
        counts = defaultdict(int)
        waiting = []
        for application in e.children:
            sid = application.student_id
            mark_ = marks.get((session.id, sid))
            if mark_ is not None:
                counts[mark_.status] += 1
            elif sid in excused:
                counts["excused"] += 1
            else:
                counts["unmarked"] += 1
            if (mark_ is not None and mark_.status in HERE and last.get(sid) is session and sid not in collected):
                due = pickup_due(session, grace[session.week.school_id])
                waiting.append({"student": application.student, "due": due, "overdue": now >= due})
        figures.append(SessionFigures(
            session=session, expected=e.count, estimated=e.estimated,
            present=counts[Mark.PRESENT] + counts[Mark.LATE], absent=counts[Mark.ABSENT],
            left_early=counts[Mark.LEFT_EARLY], excused=counts["excused"], unmarked=counts["unmarked"],
            staff=len(session.assignments), staff_needed=session.staff_needed,
            not_collected=sorted(waiting, key=lambda w: _class_order(w["student"]))))
    return figures


def mark_json(current: AttendanceMark, changed: bool) -> dict:
    """The answer to a tap asked for as JSON (the contract in the school-day design)."""
    return {"student_id": current.student_id, "status": current.status.value, "changed": changed,
            "marked_by": current.marked_by.name if current.marked_by else "",
            "marked_at": local_time(current.marked_at).isoformat(timespec="seconds")}


# --- Advance absences (请假) --------------------------------------------------------------------


def absences_of(student: Student) -> list[AdvanceAbsence]:
    """A child's advance absences, the latest dates first (cancelled ones too: they say so)."""
    return list(db.session.scalars(select(AdvanceAbsence).filter_by(student_id=student.id)
                                   .order_by(AdvanceAbsence.starts_on.desc(), AdvanceAbsence.id.desc())))


def overlapping(student: Student, starts_on: date, ends_on: date) -> AdvanceAbsence | None:
    """An absence of the child, not cancelled, that already covers one of these days."""
    return db.session.scalar(select(AdvanceAbsence).where(
        AdvanceAbsence.student_id == student.id, AdvanceAbsence.cancelled_at.is_(None),
        AdvanceAbsence.starts_on <= ends_on, AdvanceAbsence.ends_on >= starts_on).limit(1))


def report_absence(student: Student, starts_on: date, ends_on: date, reason: str, guardian: User) -> AdvanceAbsence:
    """Record a guardian's advance absence (the form checked the dates) and tell the class teacher."""
    absence = AdvanceAbsence(student_id=student.id, starts_on=starts_on, ends_on=ends_on, reason=reason.strip(),
                             reported_by_id=guardian.id, reported_at=utcnow())
    db.session.add(absence)
    db.session.flush()
    teacher = student.school_class.class_teacher
    if teacher is not None:
        with force_locale(teacher.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = gettext("%(child)s (%(class)s) will be away: %(dates)s", child=student.name,
                              **{"class": class_label(student.school_class)}, dates=dates_text(absence))
            body = gettext("Reason: %(reason)s", reason=absence.reason)
        notify(teacher, subject, body, "/day/absences", school_id=student.school_id)
    logger.info("advance absence %s for student %s", absence.id, student.id)
    return absence


def cancel_absence(absence: AdvanceAbsence) -> None:
    """Cancel an advance absence (the child comes after all); the record stays, marked cancelled."""
    if absence.cancelled_at is None:
        absence.cancelled_at = utcnow()
        db.session.flush()


def may_cancel(absence: AdvanceAbsence) -> bool:
    """Only an absence not yet over can be cancelled (a past one is part of the child's record)."""
    return absence.cancelled_at is None and absence.ends_on >= local_today()


def dates_text(absence: AdvanceAbsence) -> str:
    if absence.starts_on == absence.ends_on:
        return absence.starts_on.isoformat()
    return f"{absence.starts_on.isoformat()} – {absence.ends_on.isoformat()}"


def class_absences(classes: list[SchoolClass], since: date) -> list[AdvanceAbsence]:
    """Advance absences of these classes' children ending on or after a day, soonest first."""
    ids = [c.id for c in classes]
    if not ids:
        return []
    return list(db.session.scalars(
        select(AdvanceAbsence).join(Student, Student.id == AdvanceAbsence.student_id)
        .where(Student.class_id.in_(ids), AdvanceAbsence.ends_on >= since)
        .order_by(AdvanceAbsence.starts_on, Student.name, AdvanceAbsence.id)))


def board_json(figures: list[SessionFigures], open_alerts, settled: set[int], now: datetime) -> dict:
    """The afternoon board's figures for its refreshing script (the same SessionFigures as the page)."""
    return {
        "generated_at": local_time(now).isoformat(timespec="seconds"),
        "sessions": [{
            "id": f.session.id, "register_taken": f.taken, "expected": f.expected, "estimated": f.estimated,
            "present": f.present, "absent": f.absent, "left_early": f.left_early, "excused": f.excused,
            "unmarked": f.unmarked, "staff": f.staff, "staff_needed": f.staff_needed,
            "not_collected": len(f.not_collected), "overdue": sum(1 for w in f.not_collected if w["overdue"]),
        } for f in figures],
        "alerts": [{"id": a.id, "kind": a.kind.value, "student_id": a.student_id, "session_id": a.session_id,
                    "settled": a.id in settled} for a in open_alerts],
    }


def by_class(rows: list[RegisterRow]) -> list[tuple[SchoolClass, list[RegisterRow]]]:
    """The register's rows grouped by class, in the rows' order (grade, class, name)."""
    groups: list[tuple[SchoolClass, list[RegisterRow]]] = []
    for row in rows:
        if not groups or groups[-1][0].id != row.student.class_id:
            groups.append((row.student.school_class, []))
        groups[-1][1].append(row)
    return groups
