"""A person's weekly minutes and days caps read the same everywhere: the roster's loads, My week, the validator."""

import pytest

from app.extensions import db
from app.models_base import local_today
from app.rosters import services
from app.rosters.models import staff_key
from app.staff.models import StaffType
from scheduling.policy import TEACHER_MAX_DAYS, TEACHER_MAX_WEEKLY_MINUTES
from scheduling.validate import validate
from tests import factories
from tests.test_myweek import monday_of, publish_week


@pytest.fixture
def capped_at_zero(world):
    """A retired teacher who said they can give no time at all this term (0 minutes, 0 days a week)."""
    person = factories.create_teacher(world.own_school, staff_type=StaffType.RETIRED_TEACHER)
    person.staff_profile.max_weekly_minutes = 0
    person.staff_profile.max_days = 0
    db.session.commit()
    return person


@pytest.fixture
def week(world, capped_at_zero):
    week, _ = publish_week(world.own_school, monday_of(local_today()), [
        (1, "15:40", "16:40", "after_school", "supervision",
         [capped_at_zero.staff_profile, world.users["teacher"].staff_profile], "101", [world.own_class]),
    ])
    return week


def test_a_cap_of_zero_is_a_cap_in_the_rosters_loads(app, week, capped_at_zero, world):
    with app.test_request_context():
        loads = {load["name"]: load for load in services.teacher_loads(week)}
    assert (loads[capped_at_zero.name]["cap"], loads[capped_at_zero.name]["max_days"]) == (0, 0)
    teacher = loads[world.users["teacher"].name]  # no cap of their own: the policy's for an in-service teacher
    assert (teacher["cap"], teacher["max_days"]) == (TEACHER_MAX_WEEKLY_MINUTES, TEACHER_MAX_DAYS)


def test_the_coordinator_sees_the_person_over_a_cap_of_zero(client, login, week, capped_at_zero, world):
    login(world.users["coordinator"])
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    loads = page.split("Weekly minutes")[1]
    row = next(r for r in loads.split("<tr>") if capped_at_zero.name in r)
    assert "60 / 0" in row and "over" in row and "1 / 0" in row


def test_my_week_and_the_validator_read_a_cap_of_zero_as_a_cap(client, login, app, week, capped_at_zero):
    login(capped_at_zero)
    client.post("/language", data={"locale": "en"})
    page = " ".join(client.get("/my-week").get_data(as_text=True).split())
    assert "at most 0 minutes" in page and "at most 0 days" in page
    with app.test_request_context():
        problem = services.build_problem(week)
    broken = {(v["rule"], v["staff"]) for v in validate(problem, week.published.roster)}
    key = staff_key(capped_at_zero.staff_profile.id)
    assert {("TEACHER_WEEKLY_LIMIT", key), ("TEACHER_DAYS_LIMIT", key)} <= broken
