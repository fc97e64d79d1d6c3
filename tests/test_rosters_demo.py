"""The demo's 实验小学 can plan next week (a school week whenever the demo is loaded) from its templates and
generate a roster straight away."""

from datetime import timedelta

from app.demo_calendar import DemoCalendar
from app.extensions import db
from app.models_base import local_today
from app.rosters import jobs, services
from app.rosters.models import RosterJob, RosterJobStatus, SessionTemplate, Week
from app.schools.models import School
from scheduling.validate import validate as validate_roster


def test_demo_week_plans_cleanly_and_solves(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.test_request_context():
        primary = db.session.scalar(db.select(School).filter_by(name="实验小学"))
        assert db.session.scalar(db.select(db.func.count(SessionTemplate.id)).filter_by(school_id=primary.id)) > 12
        week = services.open_week(primary, DemoCalendar.for_day(local_today()).next_monday)
        made, skipped = services.generate_sessions(week)
        assert made > 60 and skipped == 0
        assert services.plan_problems(week) == []
        job = jobs.enqueue(week, None, time_limit=5)
        db.session.commit()
        jobs.run_queued()
        db.session.expire_all()
        job = db.session.get(RosterJob, job.id)
        assert job.status is RosterJobStatus.DONE, job.error
        assert validate_roster(job.problem, job.result) == []
        assert job.result["metrics"]["staffed_sessions"] >= 0.8 * len(job.problem["sessions"])


def test_demo_reset_removes_roster_rows(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.test_request_context():
        primary = db.session.scalar(db.select(School).filter_by(name="实验小学"))
        next_monday = DemoCalendar.for_day(local_today()).next_monday
        services.generate_sessions(services.open_week(primary, next_monday))
        db.session.commit()
    result = runner.invoke(args=["demo", "--reset"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    # Only the demo's own week is back (this week, published; beside the weeks of the county board's history,
    # app/county/demo.py); the week planned here is gone.
    from app.county.demo import HISTORY_NOTE
    from app.rosters.models import RosterVersion

    weeks = db.session.scalars(db.select(Week).where(~Week.versions.any(RosterVersion.note == HISTORY_NOTE)))
    assert [w.monday for w in weeks] == [next_monday - timedelta(days=7)]
