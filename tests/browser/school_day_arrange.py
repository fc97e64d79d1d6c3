"""Arrange today at the demo's 实验小学 around the moment the school-day walk runs (the demo's own sessions keep
their real times, 15:40 and later, which a test running at any hour cannot wait for):

- today's planned sessions of the school are replaced by two, both run by 赵老师: one for 一年级1班 that began a few
  minutes ago and runs for two hours (its register is open and no child is overdue yet), and one for 一年级2班 that
  ended at 00:01 (its children's hand-over is overdue at once, with the school's pickup grace set to 1 minute);
- the families' chosen weekdays include today's, so that a Saturday run expects the same children as a Wednesday.

Everything else is the demo as `scripts/run.sh` loaded it. Run by the walk in a subprocess against the served site's
SQLite file: `python tests/browser/school_day_arrange.py`, with DATABASE_URL set; prints what the walk needs as JSON.
"""

import json
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.enrolment.models import Application, ApplicationStatus  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models_base import school_zone  # noqa: E402
from app.rosters.expected import expected_by_session  # noqa: E402
from app.rosters.models import Assignment, PlannedSession, Week  # noqa: E402
from app.rosters.services import monday_of, settings_for  # noqa: E402
from app.schools.models import School  # noqa: E402

TEACHER, GUARDIAN, CHILD = "13800000030", "13800000100", "张子涵"


def _session(week: Week, day, school_class, starts: time, ends: time, series: str, profile_id: int) -> PlannedSession:
    session = PlannedSession(week=week, on_date=day, starts_at=starts, ends_at=ends, kind="after_school",
                             activity="homework_help", series=series, room=f"{school_class.grade.number}01",
                             enrolled=0, staff_needed=1, classes=[school_class])
    session.assignments.append(Assignment(profile_id=profile_id, pinned=True))
    db.session.add(session)
    return session


def _families(session, leave_out: set[int]) -> list[dict]:
    """The children the site expects in the session (app.rosters.expected: a place in an offering running that day)
    who have a guardian account (the link confirmed), by name."""
    expected = expected_by_session([session.id])[session.id]
    found = []
    for student in sorted((a.student for a in expected.children), key=lambda s: s.name):
        links = [link for link in student.guardian_links if link.verified]
        if student.id in leave_out or not links:
            continue
        found.append({"id": student.id, "name": student.name, "guardian": links[0].guardian.mobile})
    return found


def arrange() -> dict:
    now = datetime.now(school_zone())
    day = now.date()
    school = db.session.scalar(select(School).filter_by(name="实验小学"))
    first, second = school.grades[0].classes[0], school.grades[0].classes[1]
    teacher = db.session.scalar(select(User).filter_by(mobile=TEACHER))
    week = db.session.scalar(select(Week).filter_by(school_id=school.id, monday=monday_of(day)))
    if week is None:
        week = Week(school_id=school.id, monday=monday_of(day))
        db.session.add(week)
    for old in db.session.scalars(select(PlannedSession).where(PlannedSession.week_id == week.id,
                                                               PlannedSession.on_date == day)):
        db.session.delete(old)
    db.session.flush()
    begun = max(now - timedelta(minutes=5), now.replace(hour=0, minute=2, second=0, microsecond=0))
    ends = min(now + timedelta(hours=2), now.replace(hour=23, minute=59, second=0, microsecond=0))
    running = _session(week, day, first, begun.time().replace(second=0, microsecond=0),
                       ends.time().replace(second=0, microsecond=0), "一年级1班托管（演练）", teacher.staff_profile.id)
    ended = _session(week, day, second, time(0, 0), time(0, 1), "一年级2班托管（演练）", teacher.staff_profile.id)
    settings_for(school).pickup_grace_minutes = 1
    for application in db.session.scalars(select(Application).where(
            Application.school_id == school.id, Application.status == ApplicationStatus.APPROVED)):
        if day.weekday() not in application.weekdays:
            application.weekdays = sorted({*application.weekdays, day.weekday()})
    db.session.flush()
    child = next(s for s in first.students if s.name == CHILD)
    others = _families(running, {child.id})
    late = _families(ended, set())
    db.session.commit()
    return {"running": running.id, "ended": ended.id, "child": child.id, "excused": others[0], "missing": others[1],
            "uncollected": late[0], "today": day.isoformat()}


if __name__ == "__main__":
    app = create_app("development")
    with app.app_context():
        print(json.dumps(arrange(), ensure_ascii=False))
