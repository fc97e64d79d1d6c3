"""End of work: one reading, per day, for the offering form, the week plan and the engine's problem."""

from datetime import date, time

import pytest

from app.extensions import db
from app.rosters import services
from app.rosters.models import SessionTemplate
from tests import factories

MONDAY = date(2026, 11, 23)


@pytest.fixture
def seasonal_week(app):
    """A school whose summer timetable (17:30) starts on Wednesday of the week; Monday and Tuesday end at 17:00."""
    school = factories.create_school(factories.create_county())
    school.work_end_winter, school.work_end_summer = time(17, 0), time(17, 30)
    school.summer_starts, school.winter_starts = "11-25", "12-31"
    term = factories.create_term(school)
    school_class = factories.create_class(school, 1, 1)
    factories.create_teacher(school, name="王老师")
    admin = factories.create_school_admin(school)
    db.session.add(SessionTemplate(
        school_id=school.id, series="作业辅导", weekdays=[0, 1, 2, 3, 4], starts_at=time(15, 10),
        ends_at=time(17, 15), kind="after_school", activity="homework_help", typed_enrolled=25,
        classes=[school_class]))
    db.session.flush()
    with app.test_request_context():
        week = services.open_week(school, MONDAY)
        services.generate_sessions(week)
    db.session.commit()
    return {"school": school, "week": week, "admin": admin, "term": term}


def test_the_form_the_plan_and_the_problem_read_one_end_of_work(seasonal_week, client, login):
    week = seasonal_week["week"]
    login(seasonal_week["admin"])
    client.post("/language", data={"locale": "en"})
    response = client.post("/programs/new", data={
        "kind": "after_school", "term_id": seasonal_week["term"].id, "holiday_id": 0, "title": "本周课后服务",
        "starts_on": "2026-11-23", "ends_on": "2026-11-27", "weekdays": ["0", "1", "2", "3", "4"],
        "starts_at": "15:10", "ends_at": "17:15", "apply_deadline": "2026-11-20", "fee_period": "month",
        "basic_fee": "200"})
    assert "local end of work (17:30)" in response.get_data(as_text=True)

    app = client.application
    with app.test_request_context():
        assert services.build_problem(week)["school"]["work_end"] == "17:30"  # was Monday's 17:00
        problems = services.plan_problems(week)
    assert {p["rule"] for p in problems} == {"END_BEFORE_WORK_END"}
    assert "17:30" in problems[0]["reason"]
