"""Every school day, two hours, every class (EVERY_SCHOOL_DAY): the offering form, the notice, the week plan and the
gaps page of a school (its principal and coordinators; its county's officer)."""

from datetime import date, time, timedelta

import pytest

from app.extensions import db
from app.programs.models import Offering
from app.rosters import coverage, services
from app.rosters.models import PlannedSession, RosterVersion, Week
from tests import factories

MONDAY = date(2026, 11, 23)
TUESDAY, THURSDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=3)


def offering_data(term, **changes):
    data = {"kind": "after_school", "term_id": term.id, "holiday_id": 0, "title": "秋季课后服务",
            "weekdays": ["0", "1", "2", "3", "4"], "starts_at": "15:30", "ends_at": "17:40",
            "apply_deadline": "2026-09-10", "fee_period": "month", "basic_fee": "200"}
    return data | changes


@pytest.fixture
def term(world):
    term = factories.create_term(world.own_school)
    db.session.commit()
    return term


# --- The offering form and the notice ---------------------------------------------------------


def test_a_weekday_left_out_needs_to_be_a_declared_exception_with_a_reason(client, world, login, term):
    login(world.users["school_admin"])
    no_thursday = offering_data(term, weekdays=["0", "1", "2", "4"])
    page = client.post("/programs/new", data=no_thursday).get_data(as_text=True)
    assert "课后服务须每个上学日开展" in page and "周四" in page
    page = client.post("/programs/new", data=no_thursday | {"exception_weekdays": ["3"]}).get_data(as_text=True)
    assert "请说明例外日不开展课后服务的原因" in page
    both = offering_data(term, exception_weekdays=["3"], exception_reason="教师学习")
    assert "既选为服务日又选为例外日" in client.post("/programs/new", data=both).get_data(as_text=True)
    assert db.session.scalar(db.select(Offering)) is None

    assert client.post("/programs/new", data=no_thursday | {"exception_weekdays": ["3"],
                                                            "exception_reason": "教师学习"}).status_code == 302
    offering = db.session.scalar(db.select(Offering))
    assert (offering.exception_weekdays, offering.exception_reason) == ([3], "教师学习")


def test_the_notice_shows_the_exception_day_and_why(client, world, login, term):
    login(world.users["school_admin"])
    client.post("/programs/new", data=offering_data(term, weekdays=["0", "1", "2", "4"], exception_weekdays=["3"],
                                                    exception_reason="教师学习"))
    offering = db.session.scalar(db.select(Offering))
    factories.create_agreement(world.own_school)
    db.session.commit()
    assert client.post(f"/programs/{offering.id}/publish", data={"change_note": ""}).status_code == 302
    client.post("/account/logout")
    page = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    assert "每周四除外：教师学习" in page
    assert offering.versions[0].content["exception_weekdays"] == [3]


def test_without_exceptions_the_notice_has_no_exception_line(client, world, login, term):
    offering = factories.create_offering(world.own_school)
    db.session.commit()
    page = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    assert "除外" not in page


# --- The week: the plan page and the engine's problem --------------------------------------------


def add_session(week, day, school_class, start=time(15, 40), end=time(17, 40)):
    session = PlannedSession(week=week, on_date=day, starts_at=start, ends_at=end, kind="after_school",
                             activity="homework_help", series="作业辅导", enrolled=20, staff_needed=1,
                             classes=[school_class])
    db.session.add(session)
    return session


@pytest.fixture
def week_without_thursday(world, term):
    """The own class: Monday–Wednesday and Friday 15:40–17:40, Tuesday only an hour; no Thursday."""
    week = Week(school_id=world.own_school.id, monday=MONDAY)
    db.session.add(week)
    for offset in (0, 2, 4):
        add_session(week, MONDAY + timedelta(days=offset), world.own_class)
    add_session(week, TUESDAY, world.own_class, end=time(16, 40))
    db.session.commit()
    return week


def test_the_week_plan_lists_the_missing_day_with_rule_class_and_date(client, world, login, week_without_thursday):
    login(world.users["coordinator"])
    page = client.get(f"/rosters/weeks/{week_without_thursday.id}").get_data(as_text=True)
    assert 'data-rule="EVERY_SCHOOL_DAY" data-date="2026-11-26" data-class="1年级1班"' in page
    assert "EVERY_SCHOOL_DAY" in page and "没有课后服务" in page
    assert 'data-rule="TWO_HOUR_MINIMUM" data-date="2026-11-24"' in page


def test_the_problem_asks_for_every_school_day_with_the_declared_exceptions(app, world, week_without_thursday):
    factories.create_offering(world.own_school, exception_weekdays=[3], exception_reason="教师学习")
    unpublished = factories.create_offering(world.own_school, published=False, exception_weekdays=[1],
                                            exception_reason="x")
    db.session.commit()
    with app.test_request_context():
        problem = services.build_problem(week_without_thursday)
        problems = services.plan_problems(week_without_thursday)
    assert problem["policy"]["every_school_day"] is True
    assert [g["exception_weekdays"] for g in problem["groups"]] == [[3]]  # the draft declares nothing yet
    assert unpublished.exception_weekdays == [1]
    assert "EVERY_SCHOOL_DAY" not in {p["rule"] for p in problems}


def test_outside_a_term_the_week_is_not_checked_for_every_school_day(app, world):
    week = Week(school_id=world.own_school.id, monday=MONDAY)
    db.session.add(week)
    add_session(week, MONDAY, world.own_class)
    db.session.commit()
    with app.test_request_context():
        assert services.build_problem(week)["policy"]["every_school_day"] is False


# --- coverage_gaps and the gaps page -------------------------------------------------------------


def test_coverage_gaps_of_the_planned_week(app, world, week_without_thursday):
    other = factories.create_class(world.own_school, 2, 1)  # no service this week: not in the service, no gap
    db.session.commit()
    gaps = coverage.coverage_gaps(world.own_school, MONDAY, MONDAY + timedelta(days=6))
    assert [(g.rule, g.class_id, g.date) for g in gaps] == [
        ("TWO_HOUR_MINIMUM", world.own_class.id, TUESDAY), ("EVERY_SCHOOL_DAY", world.own_class.id, THURSDAY)]
    assert "60分钟" in gaps[0].reason and other.id not in {g.class_id for g in gaps}
    # A range inside the week counts only its own days.
    assert [g.date for g in coverage.coverage_gaps(world.own_school, THURSDAY, THURSDAY)] == [THURSDAY]


def test_a_declared_exception_day_is_no_gap_and_holidays_are_no_school_days(app, world, week_without_thursday):
    factories.create_offering(world.own_school, exception_weekdays=[3], exception_reason="教师学习")
    db.session.commit()
    gaps = coverage.coverage_gaps(world.own_school, MONDAY, MONDAY + timedelta(days=6))
    assert [(g.rule, g.date) for g in gaps] == [("TWO_HOUR_MINIMUM", TUESDAY)]
    factories.create_holiday(world.own_school, name="运动会", starts_on=TUESDAY, ends_on=TUESDAY)
    db.session.commit()
    db.session.refresh(world.own_school)
    assert coverage.coverage_gaps(world.own_school, MONDAY, MONDAY + timedelta(days=6)) == []


def test_the_published_roster_is_what_counts_once_there_is_one(app, world, week_without_thursday):
    week = week_without_thursday
    monday_session = week.sessions[0]
    published = {"assignments": [], "unstaffed": [], "rejected": [], "plan_errors": [], "sessions": {
        monday_session.key: {"date": MONDAY.isoformat(), "start": "15:40", "end": "17:40", "kind": "after_school",
                             "classes": ["1年级1班"]}}}
    db.session.add(RosterVersion(week=week, number=1, roster=published))
    db.session.commit()
    gaps = coverage.coverage_gaps(world.own_school, MONDAY, MONDAY + timedelta(days=6))
    assert [(g.rule, g.date.weekday()) for g in gaps] == [("EVERY_SCHOOL_DAY", d) for d in (1, 2, 3, 4)]
    # Published with nobody on Monday's session: Monday has its block on paper only.
    published["unstaffed"] = [{"session": monday_session.key, "rules": ["COVERAGE"], "reason": "r"}]
    db.session.add(RosterVersion(week=week, number=2, roster=published))
    db.session.commit()
    db.session.expire(week)
    gaps = coverage.coverage_gaps(world.own_school, MONDAY, MONDAY)
    assert [(g.rule, g.date) for g in gaps] == [("TWO_HOUR_MINIMUM", MONDAY)] and "无人值守" in gaps[0].reason


def test_the_coordinator_finds_the_gaps_page_from_the_rosters(client, world, login, week_without_thursday):
    login(world.users["coordinator"])
    assert 'href="/rosters/coverage"' in client.get("/rosters/").get_data(as_text=True)
    page = client.get("/rosters/coverage?week=2026-11-25").get_data(as_text=True)  # their own school, unasked
    assert 'data-figure="coverage-gaps" data-value="2"' in page


@pytest.mark.parametrize("who", ["school_admin", "coordinator", "county_officer"])
def test_the_gaps_page_lists_class_date_and_rule(client, world, login, week_without_thursday, who):
    login(world.users[who])
    page = client.get(f"/rosters/coverage?school_id={world.own_school.id}&week=2026-11-25").get_data(as_text=True)
    assert 'data-figure="coverage-gaps" data-value="2"' in page
    assert f'data-rule="EVERY_SCHOOL_DAY" data-class="{world.own_class.id}" data-date="2026-11-26"' in page
    assert "1年级1班" in page and "EVERY_SCHOOL_DAY" in page


def test_the_gaps_page_reads_the_whole_term(client, world, login, term, week_without_thursday):
    login(world.users["county_officer"])
    page = client.get(f"/rosters/coverage?school_id={world.own_school.id}&term={term.id}").get_data(as_text=True)
    assert term.name in page and 'data-figure="coverage-gaps" data-value="2"' in page


def test_the_county_officer_sees_only_schools_of_their_county(client, world, login):
    login(world.users["county_officer"])
    assert client.get(f"/rosters/coverage?school_id={world.far_school.id}").status_code == 404
    chooser = client.get("/rosters/coverage").get_data(as_text=True)
    assert world.own_school.name in chooser and world.far_school.name not in chooser
