"""Matrix cases for the coordinator's roster pages (school administrators of the week's school only)."""

from datetime import date, time

from app.extensions import db
from app.rosters.models import Assignment, PlannedSession, RosterJob, RosterVersion, SessionTemplate, Week
from tests.authz import SCHOOL_ADMINS, Case

ADMIN = SCHOOL_ADMINS  # the principal and coordinators
MONDAY = date(2026, 11, 23)


def _school(world, which):
    return world.own_school if which == "own" else world.other_school


def _week(world, which) -> Week:
    week = Week(school_id=_school(world, which).id, monday=MONDAY)
    db.session.add(week)
    db.session.flush()
    return week


def _session(world, which) -> PlannedSession:
    session = PlannedSession(week=_week(world, which), on_date=MONDAY, starts_at=time(15, 40), ends_at=time(17, 40),
                             kind="after_school", activity="supervision", series="看护", enrolled=20, staff_needed=1,
                             classes=[world.own_class if which == "own" else world.other_class])
    db.session.add(session)
    db.session.flush()
    return session


def week_args(world, which) -> dict:
    week = _week(world, which)
    db.session.commit()
    return {"week_id": week.id}


def template_args(world, which) -> dict:
    template = SessionTemplate(school_id=_school(world, which).id, series="看护", weekdays=[0], starts_at=time(15, 40),
                               ends_at=time(17, 40), kind="after_school", activity="supervision")
    db.session.add(template)
    db.session.commit()
    return {"template_id": template.id}


def session_args(world, which) -> dict:
    session = _session(world, which)
    db.session.commit()
    return {"session_id": session.id}


def assignment_args(world, which) -> dict:
    session = _session(world, which)
    teacher = world.users["teacher"] if which == "own" else world.other_users["teacher"]
    assignment = Assignment(session=session, profile_id=teacher.staff_profile.id, pinned=True)
    db.session.add(assignment)
    db.session.commit()
    return {"assignment_id": assignment.id}


def job_args(world, which) -> dict:
    job = RosterJob(week=_week(world, which), problem={}, progress={})
    db.session.add(job)
    db.session.commit()
    return {"job_id": job.id}


def version_args(world, which) -> dict:
    week = _week(world, which)
    db.session.add(RosterVersion(week=week, number=1, roster={"assignments": [], "sessions": {}, "staff": {}}))
    db.session.commit()
    return {"week_id": week.id, "number": 1}


def school_args(world, which) -> dict:
    """Own: the administrators' school (in the officer's county); other: another county's school."""
    return {"school_id": (world.own_school if which == "own" else world.far_school).id}


def diff_args(world, which) -> dict:
    args = version_args(world, which)
    return {"week_id": args["week_id"]}


CASES = [
    Case("rosters.index", ADMIN),
    Case("rosters.open_week", ADMIN, method="POST", ok=302, data=lambda w, which: {"day": "2026-11-25"}),
    Case("rosters.new_template", ADMIN),
    Case("rosters.new_template", ADMIN, method="POST"),
    Case("rosters.edit_template", ADMIN, scoped=True, args=template_args),
    Case("rosters.edit_template", ADMIN, method="POST", scoped=True, args=template_args),
    Case("rosters.delete_template", ADMIN, method="POST", ok=302, scoped=True, args=template_args),
    Case("rosters.settings", ADMIN),
    Case("rosters.settings", ADMIN, method="POST"),
    Case("rosters.week", ADMIN, scoped=True, args=week_args),
    Case("rosters.generate_sessions", ADMIN, method="POST", ok=302, scoped=True, args=week_args),
    Case("rosters.new_session", ADMIN, scoped=True, args=week_args),
    Case("rosters.new_session", ADMIN, method="POST", scoped=True, args=week_args),
    Case("rosters.delete_session", ADMIN, method="POST", ok=302, scoped=True, args=session_args),
    Case("rosters.roster", ADMIN, scoped=True, args=week_args),
    Case("rosters.solve", ADMIN, method="POST", ok=302, scoped=True, args=week_args),
    Case("rosters.whatif", ADMIN, method="POST", ok=302, scoped=True, args=week_args),
    Case("rosters.job", ADMIN, scoped=True, args=job_args),
    Case("rosters.job_status", ADMIN, scoped=True, args=job_args),
    Case("rosters.pin", ADMIN, method="POST", ok=302, scoped=True, args=week_args),
    Case("rosters.unpin", ADMIN, method="POST", ok=302, scoped=True, args=assignment_args),
    Case("rosters.swap", ADMIN, method="POST", ok=302, scoped=True, args=week_args),
    Case("rosters.remove", ADMIN, method="POST", ok=302, scoped=True, args=assignment_args),
    Case("rosters.publish", ADMIN, method="POST", ok=302, scoped=True, args=week_args,
         data=lambda w, which: {"seen": "0"}),
    Case("rosters.version", ADMIN, scoped=True, args=version_args),
    Case("rosters.diff", ADMIN, scoped=True, args=diff_args),
    Case("rosters.coverage_gaps", ADMIN | {"county_officer"}, scoped=True, args=school_args),
]
