"""Matrix cases for the register part of the school day: Today, the register and its taps, advance absences, the
afternoon board and resolving alerts.

A session's register is for the people who run it (assigned on the roster, the activity's leader, the school's
administrators); the matrix's session has the class teacher, the teacher and the provider's staff member assigned,
so each of them reaches their own school's and gets a 404 for the other school's (not theirs, not their school).
That someone of the school who is not on the session gets a 403 is in tests/test_daily_register.py.
"""

from datetime import time

from app.daily.models import AdvanceAbsence, Alert, AlertKind
from app.extensions import db
from app.models_base import local_today
from app.rosters import services as rosters
from app.rosters.models import Assignment, PlannedSession
from tests.authz import SCHOOL_ADMINS, Case

RUNNERS = SCHOOL_ADMINS | {"class_teacher", "teacher", "provider_staff"}
GUARDIAN = frozenset({"guardian"})


def _side(world, which):
    if which == "own":
        return world.own_school, world.own_class, world.own_student, world.users
    return world.other_school, world.other_class, world.other_student, world.other_users


def _session(world, which) -> PlannedSession:
    school, school_class, _, users = _side(world, which)
    week = rosters.open_week(school, local_today())
    session = PlannedSession(on_date=local_today(), starts_at=time(15, 40), ends_at=time(17, 40), kind="after_school",
                             activity="supervision", series="看护", enrolled=20, staff_needed=1, classes=[school_class])
    week.sessions.append(session)
    for role in ("class_teacher", "teacher", "provider_staff"):
        session.assignments.append(Assignment(profile_id=users[role].staff_profile.id))
    db.session.flush()
    return session


def session_args(world, which) -> dict:
    session = _session(world, which)
    db.session.commit()
    return {"session_id": session.id}


def tap_args(world, which) -> dict:
    return {**session_args(world, which), "student_id": _side(world, which)[2].id}


def tap_data(world, which) -> dict:
    return {"status": "present"}


def child_args(world, which) -> dict:
    return {"student_id": _side(world, which)[2].id}


def absence_data(world, which) -> dict:
    return {"starts_on": local_today().isoformat(), "reason": "看病"}


def absence_args(world, which) -> dict:
    student = _side(world, which)[2]
    absence = AdvanceAbsence(student_id=student.id, starts_on=local_today(), ends_on=local_today(), reason="看病")
    db.session.add(absence)
    db.session.commit()
    return {"student_id": student.id, "absence_id": absence.id}


def alert_args(world, which) -> dict:
    session = _session(world, which)
    alert = Alert(school_id=_side(world, which)[0].id, session_id=session.id, student_id=_side(world, which)[2].id,
                  kind=AlertKind.MISSING)
    db.session.add(alert)
    db.session.commit()
    return {"alert_id": alert.id}


def note_data(world, which) -> dict:
    return {"note": "已找到，在图书馆"}


CASES = [
    Case("daily.today", RUNNERS),
    Case("daily.register", RUNNERS, scoped=True, args=session_args),
    Case("daily.mark", RUNNERS, method="POST", ok=303, scoped=True, args=tap_args, data=tap_data),
    Case("daily.absences", GUARDIAN, scoped=True, args=child_args),
    Case("daily.absences", GUARDIAN, method="POST", ok=303, scoped=True, args=child_args, data=absence_data),
    Case("daily.cancel_absence", GUARDIAN, method="POST", ok=303, scoped=True, args=absence_args),
    Case("daily.class_absences", SCHOOL_ADMINS | {"class_teacher"}),
    Case("daily.board", SCHOOL_ADMINS),
    Case("daily.board_json", SCHOOL_ADMINS),
    Case("daily.resolve_alert", SCHOOL_ADMINS, method="POST", ok=303, scoped=True, args=alert_args, data=note_data),
]
