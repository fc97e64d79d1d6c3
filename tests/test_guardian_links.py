"""Only a confirmed link shows anything about a child: an unconfirmed one shows nothing, and a rejected or removed one
ends every access it gave, including to the applications filed through it (need_to_know.confirmed_child_ids)."""

from datetime import timedelta

import pytest

from app.enrolment.models import ApplicationStatus, ChoiceStatus
from app.extensions import db
from app.models_base import utcnow
from tests import factories


@pytest.fixture(autouse=True)
def english(client):
    client.post("/language", data={"locale": "en"})


def _application_with_health_notes(world):
    offering = factories.create_offering(world.own_school)
    offering.title = "Autumn after-school"
    application = factories.create_application(world.own_student, offering, guardian=world.users["guardian"])
    application.health_notes = "peanut allergy"
    db.session.commit()
    return application


def _application_pages(application) -> list[tuple[str, str]]:
    return [("GET", f"/enrolment/applications/{application.id}"),
            ("GET", f"/enrolment/applications/{application.id}/edit"),
            ("GET", f"/enrolment/applications/{application.id}/withdraw"),
            ("POST", f"/enrolment/applications/{application.id}/withdraw"),
            ("GET", f"/enrolment/applications/{application.id}/statement")]


def test_a_removed_link_ends_access_to_the_application_filed_through_it(client, world, login):
    guardian = world.users["guardian"]
    application = _application_with_health_notes(world)
    login(guardian)
    page = client.get(f"/enrolment/applications/{application.id}").get_data(as_text=True)
    assert "peanut allergy" in page
    [link] = guardian.guardian_links
    assert client.post(f"/schools/children/{link.id}/unbind").status_code == 302
    for method, url in _application_pages(application):
        assert client.open(url, method=method).status_code == 404, url
    db.session.refresh(application)
    assert application.status is not ApplicationStatus.WITHDRAWN
    assert "Autumn after-school" not in client.get("/dashboard").get_data(as_text=True)


def test_a_rejected_link_ends_access_to_the_application_filed_through_it(client, world, login):
    guardian = world.users["guardian"]
    application = _application_with_health_notes(world)
    [link] = guardian.guardian_links
    link.verified = False  # asked again (e.g. after unbinding): the class teacher now says no
    db.session.commit()
    login(world.users["class_teacher"])
    assert client.post(f"/schools/links/{link.id}/reject").status_code == 302
    client.post("/account/logout")
    login(guardian)
    for method, url in _application_pages(application):
        assert client.open(url, method=method).status_code == 404, url
    page = client.get("/enrolment/").get_data(as_text=True)
    assert "Autumn after-school" not in page and "peanut allergy" not in page


def test_an_unconfirmed_link_shows_nothing_about_the_child(client, world, login):
    offering = factories.create_offering(world.own_school)
    offering.title = "Spring after-school"
    activity = factories.create_activity(offering, name="Football")
    application = factories.create_application(world.own_student, offering, guardian=world.users["guardian"],
                                               choices=[activity])
    choice = application.choices[0]
    choice.status, choice.offer_expires_at = ChoiceStatus.OFFERED, utcnow() + timedelta(days=1)
    stranger = factories.create_guardian(world.own_student, verified=False)
    db.session.commit()
    login(stranger)
    for url in ("/dashboard", "/enrolment/", "/schools/bind-child"):
        page = client.get(url).get_data(as_text=True)
        assert world.own_student.name in page  # the name they typed, waiting for the class teacher
        assert "waiting for the class teacher" in page
        assert "Grade 1 Class 1" not in page, url
        assert "Spring after-school" not in page and "Football" not in page, url
        assert f"/enrolment/applications/{application.id}" not in page, url
    assert client.get(f"/enrolment/applications/{application.id}").status_code == 404
    assert client.post(f"/enrolment/choices/{choice.id}/accept").status_code == 404


def test_a_confirmed_guardian_still_sees_everything(client, world, login):
    application = _application_with_health_notes(world)
    login(world.users["guardian"])
    for url in ("/dashboard", "/enrolment/"):
        page = client.get(url).get_data(as_text=True)
        assert "Grade 1 Class 1" in page and "Autumn after-school" in page
    assert "peanut allergy" in client.get(f"/enrolment/applications/{application.id}").get_data(as_text=True)


def test_a_rejected_link_hears_nothing_more_about_the_child(client, world, login):
    from app.notifications.models import Notification

    guardian = world.users["guardian"]
    application = _application_with_health_notes(world)
    other_parent = factories.create_guardian(world.own_student)  # confirmed too
    [link] = guardian.guardian_links
    link.verified = False
    db.session.commit()
    login(world.users["class_teacher"])
    client.post(f"/schools/links/{link.id}/reject")
    client.post(f"/enrolment/applications/{application.id}/return", data={"reason": "请补充接送人"})
    db.session.refresh(application)
    assert application.status is ApplicationStatus.RETURNED
    told = {note.user_id for note in db.session.scalars(db.select(Notification))}
    assert guardian.id not in told and other_parent.id in told
