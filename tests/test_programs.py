"""Offerings, activities and the public notice: the policy rules refuse a breaking offering with the rule's reason."""

from datetime import date

import pytest

from app.programs.models import NoticeVersion, Offering
from tests import factories


@pytest.fixture
def admin(world, login):
    login(world.users["school_admin"])
    return world.users["school_admin"]


def offering_data(world, **changes):
    term = factories.create_program_term(world.own_school)
    from app.extensions import db

    db.session.commit()
    data = {"kind": "after_school", "term_id": term.id, "holiday_id": 0, "title": "秋季课后服务",
            "weekdays": ["0", "1", "2", "3", "4"], "starts_at": "15:30", "ends_at": "17:40",
            "apply_deadline": "2026-09-10", "fee_period": "month", "basic_fee": "200"}
    data.update(changes)
    return data


def test_admin_creates_and_publishes_an_offering_with_versions(client, world, admin, db):
    response = client.post("/programs/new", data=offering_data(world))
    assert response.status_code == 302
    offering = db.session.scalar(db.select(Offering))
    factories.create_agreement(world.own_school)
    db.session.commit()
    assert client.post(f"/programs/{offering.id}/publish", data={"change_note": ""}).status_code == 302
    client.post(f"/programs/{offering.id}/edit", data=offering_data(world, title="秋季课后服务（修订）"))
    client.post(f"/programs/{offering.id}/publish", data={"change_note": "改了标题"})
    versions = db.session.scalars(db.select(NoticeVersion).order_by(NoticeVersion.version)).all()
    assert [v.content["title"] for v in versions] == ["秋季课后服务", "秋季课后服务（修订）"]
    client.post("/account/logout")
    first = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    assert "秋季课后服务" in first and "修订" not in first.split("<h1>")[1].split("</h1>")[0]
    assert "修订" in client.get(f"/programs/notice/{world.own_school.id}").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"ends_at": "17:00"}, "at least 120 minutes"),
    ({"starts_at": "15:00", "ends_at": "17:10"}, "end of work"),
    ({"weekdays": ["0", "5"]}, "Monday to Friday"),
    ({"evening_starts_at": "19:00", "evening_ends_at": "21:00"}, "grades 7 to 9"),
])
def test_breaking_offerings_are_refused_with_the_rule(client, world, admin, db, changes, message):
    client.post("/language", data={"locale": "en"})
    response = client.post("/programs/new", data=offering_data(world, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Offering)) is None


def test_junior_evening_study_must_end_by_2030(client, world, admin, db):
    factories.create_class(world.own_school, grade_number=7)
    client.post("/language", data={"locale": "en"})
    data = offering_data(world, evening_starts_at="19:00", evening_ends_at="21:00")
    assert "ends by 20:30" in client.post("/programs/new", data=data).get_data(as_text=True)
    data = offering_data(world, evening_starts_at="19:00", evening_ends_at="20:30")
    assert client.post("/programs/new", data=data).status_code == 302


def test_holiday_care_refuses_weekends_tutoring_and_subject_content(client, world, admin, db):
    from app.schools.models import Holiday, HolidayKind

    holiday = Holiday(school=world.own_school, kind=HolidayKind.WINTER, name="寒假", starts_on=date(2027, 1, 23),
                      ends_on=date(2027, 2, 21))
    db.session.add(holiday)
    db.session.commit()
    client.post("/language", data={"locale": "en"})
    data = offering_data(world, kind="holiday_care", holiday_id=holiday.id, starts_at="08:30", ends_at="17:30",
                         apply_deadline="2027-01-15", weekdays=["0", "6"])
    assert "weekends" in client.post("/programs/new", data=data).get_data(as_text=True)
    data["weekdays"] = ["0", "1", "2", "3", "4"]
    assert client.post("/programs/new", data=data).status_code == 302
    offering = db.session.scalar(db.select(Offering))
    activity = {"name": "集体补课", "activity": "tutoring", "subject": "", "grades": ["1"], "weekdays": ["0"],
                "starts_at": "09:00", "ends_at": "10:00", "capacity": "20", "leader_id": world.users["teacher"].id,
                "provider_id": "0", "fee": "0"}
    page = client.post(f"/programs/{offering.id}/activities/new", data=activity).get_data(as_text=True)
    assert "no group tutoring" in page
    page = client.post(f"/programs/{offering.id}/activities/new",
                       data=activity | {"activity": "reading", "subject": "数学"}).get_data(as_text=True)
    assert "no subject-type content" in page
    assert client.post(f"/programs/{offering.id}/activities/new",
                       data=activity | {"activity": "reading"}).status_code == 302


def test_activity_providers_must_be_vetted_for_the_period(client, world, admin, db):
    from app.providers.models import ProviderStatus

    offering = factories.create_offering(world.own_school)
    suspended = factories.create_provider(world.county, status=ProviderStatus.SUSPENDED)
    vetted = factories.create_provider(world.county, vetted_until=date(2030, 1, 1), categories=("sports",))
    db.session.commit()
    client.post("/language", data={"locale": "en"})
    data = {"name": "足球", "activity": "sports", "subject": "", "grades": ["1"], "weekdays": ["0"],
            "starts_at": "16:00", "ends_at": "17:00", "capacity": "20", "leader_id": "0", "fee": "0"}
    page = client.post(f"/programs/{offering.id}/activities/new", data=data | {"provider_id": suspended.id})
    assert "not on the county whitelist" in page.get_data(as_text=True)
    page = client.post(f"/programs/{offering.id}/activities/new", data=data | {"provider_id": vetted.id,
                                                                              "activity": "homework_help"})
    assert "led by school staff" in page.get_data(as_text=True)
    assert client.post(f"/programs/{offering.id}/activities/new",
                       data=data | {"provider_id": vetted.id}).status_code == 302


def test_the_new_offering_form_names_the_days_in_the_pages_language(client, world, admin):
    """The weekday choices are made per request, not once at import (when no language is chosen yet)."""
    page = client.get("/programs/new").get_data(as_text=True)
    assert "周一" in page and "Monday" not in page
    client.post("/language", data={"locale": "en"})
    page = client.get("/programs/new").get_data(as_text=True)
    assert "Monday" in page and "周一" not in page
