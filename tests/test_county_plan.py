"""The county coverage plan: every school of a county planned for one week in one background job, nothing stored in
the schools' weeks, gaps by school and skill with the extra people that close them (hand-counted below)."""

import io
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.county import plan
from app.county.plan_engine import PROVIDER, RETIRED_TEACHER, VOLUNTEER, peak_places
from app.county.plan_models import CountyPlan
from app.extensions import db
from app.models_base import utcnow
from app.rosters import services
from app.rosters.models import PlannedSession, RosterJobStatus, SessionTemplate, Week
from tests import factories

MONDAY = date(2026, 11, 16)  # inside the factories' term (2026-09-01 … 2027-01-22)
QUICK = {"ROSTER_JOB_RUNNER": "inline", "COUNTY_PLAN_PROCESSES": 1, "COUNTY_PLAN_TIME_LIMIT": 2.0}


def _template(school, classes, *, activity, weekdays=(0, 1, 2, 3, 4), staff_needed=1, series=None):
    template = SessionTemplate(school_id=school.id, series=series or activity, weekdays=list(weekdays),
                               starts_at=time(15, 30), ends_at=time(17, 30), kind="after_school", activity=activity,
                               typed_enrolled=20, staff_needed=staff_needed, classes=list(classes))
    db.session.add(template)
    return template


def small_county():
    """Three schools, each short of people in its own way (two-hour sessions 15:30–17:30, Monday–Friday):
    - 城东小学: supervision every day, one teacher (360 minutes, 4 days a week at most: 3 sessions) → 2 sessions
      unstaffed, never two at once → 1 volunteer;
    - 城西小学: homework help for two classes every day, nobody → 10 sessions, two at once → 2 retired teachers;
    - 城南小学: sports every day for 2 people, two teachers who may not lead sports → 5 sessions → 1 provider staff
      of the category sports, who works beside a teacher (3 + 2 days within the teachers' caps)."""
    county = factories.create_county()
    east = factories.create_school(county, name="城东小学")
    west = factories.create_school(county, name="城西小学")
    south = factories.create_school(county, name="城南小学")
    for school in (east, west, south):
        factories.create_term(school)
    _template(east, [factories.create_class(east)], activity="supervision")
    west_classes = [factories.create_class(west, 1, 1), factories.create_class(west, 1, 2)]
    for school_class in west_classes:
        _template(west, [school_class], activity="homework_help", series=f"作业辅导{school_class.number}")
    _template(south, [factories.create_class(south)], activity="sports", staff_needed=2)
    factories.create_teacher(east)
    factories.create_teacher(south)
    factories.create_teacher(south)
    officer = factories.create_county_officer(county)
    db.session.commit()
    return county, officer, (east, west, south)


def _gaps(found: CountyPlan) -> dict[str, list[tuple]]:
    return {s["name"]: [(g["kind"], g["skill"], g["sessions"], g["extra"], g["closed"]) for g in s["gaps"]]
            for s in found.result["schools"]}


@pytest.mark.both_databases
@pytest.mark.settings(**QUICK)
def test_the_plan_finds_each_schools_gap_and_the_people_that_close_it(app, client, login):
    county, officer, (east, west, south) = small_county()
    login(officer)
    response = client.post("/county/plans", data={"day": "2026-11-18"})  # a Wednesday: the plan takes its Monday
    assert response.status_code == 302
    found = db.session.scalar(select(CountyPlan))
    assert found.monday == MONDAY
    assert found.status is RosterJobStatus.DONE, found.error
    assert _gaps(found) == {
        "城东小学": [(VOLUNTEER, "supervision", 2, 1, True)],
        "城西小学": [(RETIRED_TEACHER, "homework_help", 10, 2, True)],
        "城南小学": [(PROVIDER, "sports", 5, 1, True)],
    }
    figures = {s["name"]: (s["sessions"], s["staffed"]) for s in found.result["schools"]}
    assert figures == {"城东小学": (5, 3), "城西小学": (10, 0), "城南小学": (5, 0)}
    # With the extra people every class has its two staffed hours every day: no plan rule is left to fix.
    assert all(not s["plan_errors"] and not s["rejected"] for s in found.result["schools"])

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-figure="plan-extra" data-value="4"' in page
    assert 'data-figure="plan-unstaffed" data-value="17"' in page
    assert 'data-figure="plan-class-days-short" data-value="17"' in page  # each unstaffed session: a class-day
    assert 'data-figure="plan-skill" data-skill="homework_help" data-kind="retired_teacher" data-value="2"' in page
    assert "城西小学" in page and "周一、周二、周三、周四、周五 15:30–17:30" in page

    status = client.get(f"/county/plans/{found.id}.json").get_json()
    assert status["finished"] and status["progress"]["staffed"] == status["progress"]["needed"] == 3


@pytest.mark.both_databases
@pytest.mark.settings(**QUICK)
def test_nothing_is_stored_in_the_schools_weeks(app):
    county, officer, (east, west, south) = small_county()
    week = services.open_week(east, MONDAY)
    services.generate_sessions(week)
    db.session.commit()
    before = sorted((s.id, s.starts_at, s.activity) for s in week.sessions)
    weeks = db.session.scalar(select(func.count(Week.id)))
    started = plan.enqueue(county, MONDAY, officer)
    db.session.commit()
    plan.dispatch(started.id)
    db.session.expire_all()
    assert db.session.get(CountyPlan, started.id).status is RosterJobStatus.DONE
    assert db.session.scalar(select(func.count(Week.id))) == weeks == 1  # no week made for the other schools
    east_week = db.session.get(Week, week.id)
    assert sorted((s.id, s.starts_at, s.activity) for s in east_week.sessions) == before
    assert all(not s.assignments for s in east_week.sessions)  # the plan's roster was not stored
    assert db.session.scalar(select(func.count(PlannedSession.id))) == len(before)


@pytest.mark.settings(**QUICK)
def test_the_export_has_every_gap(app, client, login):
    county, officer, _schools = small_county()
    started = plan.enqueue(county, MONDAY, officer)
    db.session.commit()
    plan.dispatch(started.id)
    login(officer)
    response = client.get(f"/county/plans/{started.id}.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    gaps = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert sorted((row[0], row[2], row[7]) for row in gaps) == [("城东小学", 2, 1), ("城南小学", 5, 1),
                                                                  ("城西小学", 10, 2)]
    by_skill = list(workbook.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert sum(row[5] for row in by_skill) == 4


@pytest.mark.settings(ROSTER_JOB_RUNNER="worker")
def test_a_plan_nobody_runs_says_so_and_the_worker_runs_it(app, client, login):
    county, officer, _schools = small_county()
    login(officer)
    client.post("/county/plans", data={"day": MONDAY.isoformat()})
    found = db.session.scalar(select(CountyPlan))
    assert found.status is RosterJobStatus.QUEUED
    assert found.progress["needed"] == 3 and found.progress["staffed"] == 0
    found.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = client.get(f"/county/plans/{found.id}").get_data(as_text=True)
    assert "flask --app wsgi rosters worker" in page  # the roster jobs' warning: no worker is running

    from app.rosters import jobs

    app.config.update(COUNTY_PLAN_PROCESSES=1, COUNTY_PLAN_TIME_LIMIT=2.0)
    assert jobs.run_queued() == 1  # `flask rosters worker` runs county plans too
    db.session.expire_all()
    assert db.session.get(CountyPlan, found.id).status is RosterJobStatus.DONE


@pytest.mark.settings(ROSTER_JOB_RUNNER="inline", COUNTY_PLAN_PROCESSES=2, COUNTY_PLAN_TIME_LIMIT=2.0)
def test_schools_are_solved_in_worker_processes(app):
    county, officer, _schools = small_county()
    started = plan.enqueue(county, MONDAY, officer)
    db.session.commit()
    plan.dispatch(started.id)
    db.session.expire_all()
    found = db.session.get(CountyPlan, started.id)
    assert found.progress["processes"] == 2
    assert _gaps(found)["城西小学"] == [(RETIRED_TEACHER, "homework_help", 10, 2, True)]


def test_the_first_guess_is_the_most_places_missing_at_one_moment():
    sessions = [{"date": "2026-11-16", "start": "15:30", "end": "16:30", "staff_needed": 2},
                {"date": "2026-11-16", "start": "16:00", "end": "17:00", "staff_needed": 1},
                {"date": "2026-11-16", "start": "16:30", "end": "17:30", "staff_needed": 1},  # touches the first
                {"date": "2026-11-17", "start": "15:30", "end": "16:30", "staff_needed": 1}]
    assert peak_places(sessions, lambda s: s["staff_needed"]) == 3
    assert peak_places(sessions, lambda s: 1) == 2


@pytest.mark.settings(**QUICK)
def test_a_school_without_templates_is_named_not_solved(app):
    county, officer, (east, west, south) = small_county()
    empty = factories.create_school(county, name="城北小学")
    db.session.commit()
    started = plan.enqueue(county, MONDAY, officer)
    db.session.commit()
    plan.dispatch(started.id)
    db.session.expire_all()
    schools = {s["name"]: s for s in db.session.get(CountyPlan, started.id).result["schools"]}
    assert schools[empty.name]["error"] == "no_sessions" and schools[empty.name]["sessions"] == 0


def test_the_demo_county_has_a_finished_plan_with_real_figures(app, client):
    from app.demo import DEMO_LOGINS, DEMO_PASSWORD, build_demo

    county = build_demo()
    db.session.commit()
    [found] = db.session.scalars(select(CountyPlan).filter_by(county_id=county.id)).all()
    assert found.status is RosterJobStatus.DONE
    schools = {s["name"]: s for s in found.result["schools"]}
    # Grade 9's three classes have evening self-study at the same time every day, and none of the junior high's
    # teachers gives self-study: three retired teachers close it.
    [self_study] = [g for g in schools["第一初级中学"]["gaps"] if g["skill"] == "self_study"]
    assert (self_study["kind"], self_study["sessions"], self_study["extra"], self_study["closed"]) == (
        RETIRED_TEACHER, 15, 3, True)
    officer = next(login for login in DEMO_LOGINS if login.mobile == "13800000001")
    client.post("/account/login", data={"mobile": officer.mobile, "password": DEMO_PASSWORD})
    page = client.get(f"/county/plans/{found.id}").get_data(as_text=True)
    assert "3名能承担自习的退休教师" in page
    # The plan rules the extra people do not fix: one folded list per school, headed by how many of each rule.
    broken = len(schools["第一初级中学"]["plan_errors"])
    assert broken and f'data-school="第一初级中学" data-value="{broken}"' in page and page.count("<details") == 1


@pytest.mark.settings(**QUICK)
def test_the_command_line_plans_the_county_and_prints_the_gaps(app, runner):
    county, _officer, _schools = small_county()
    result = runner.invoke(args=["county", "plan", "--county", county.code, "--week", "2026-11-18"])
    assert result.exit_code == 0, result.output
    assert "week of 2026-11-16: 3 schools, 3 of 20 sessions staffed, 17 not, 4 extra people" in result.output
    assert db.session.scalar(select(func.count(CountyPlan.id))) == 1
