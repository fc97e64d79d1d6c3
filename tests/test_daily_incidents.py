"""Incidents: recorded by the staff on a session, told to the family at once, seen by them without the internal
note and acknowledged once, countersigned once; emergency contacts for the session's staff on its day only."""

from datetime import timedelta

import pytest

from app.audit.models import CONTACTS_VIEW, LogEntry
from app.daily.models import Incident
from app.extensions import db
from tests import factories
from tests.daily_world import add_session, inbox, school_day

pytestmark = pytest.mark.both_databases

SECRET = "内部备注：家长情绪激动"


@pytest.fixture
def login(client, login):
    """Log in as someone else: whoever was logged in logs out first."""

    def switch(user):
        client.post("/account/logout")
        return login(user)

    return switch


def _record(client, login, day, n=0, **fields) -> Incident:
    login(day.teacher)
    data = {"student_id": day.children[n].id, "category": "injury", "occurred_at": "16:05",
            "what_happened": "跑步时摔倒，膝盖擦伤", "action_taken": "消毒包扎", "internal_note": SECRET} | fields
    response = client.post(f"/day/sessions/{day.session.id}/incidents/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalars(db.select(Incident).order_by(Incident.id.desc())).first()


def test_recording_tells_the_family_at_once_with_a_link(client, login):
    day = school_day(1)
    incident = _record(client, login, day)
    assert incident.recorded_by_id == day.teacher.id and incident.session_id == day.session.id
    [message] = inbox(day.guardians[0])
    assert message.link == f"/day/incidents/{incident.id}" and "张子0" in message.subject and "16:05" in message.subject
    assert message.urgent and message.sender_id == day.teacher.id
    page = client.get(f"/day/incidents/{incident.id}").get_data(as_text=True)
    assert SECRET in page and "16:05" in page
    assert f'data-message="{message.id}"' in page and 'class="delivery-status"' in page  # how it went out


def test_only_the_sessions_children_can_be_chosen(client, login):
    day = school_day(1)
    stranger = school_day(1)
    login(day.teacher)
    response = client.post(f"/day/sessions/{day.session.id}/incidents/new",
                           data={"student_id": stranger.children[0].id, "category": "injury", "occurred_at": "16:05",
                                 "what_happened": "x"})
    assert response.status_code == 200 and db.session.scalar(db.select(Incident)) is None
    assert inbox(stranger.guardians[0]) == []


def test_the_family_never_sees_the_internal_note_and_acknowledges_once(client, login):
    day = school_day(1)
    incident = _record(client, login, day)
    login(day.guardians[0])
    page = client.get(f"/day/incidents/{incident.id}").get_data(as_text=True)
    assert "跑步时摔倒" in page and "消毒包扎" in page
    assert SECRET not in page and 'id="internal-note"' not in page and 'id="messages"' not in page
    client.post(f"/day/incidents/{incident.id}/acknowledge", data={"comment": "谢谢老师"})
    client.post(f"/day/incidents/{incident.id}/acknowledge", data={"comment": "第二次"})
    db.session.refresh(incident)
    assert incident.acknowledged_by_id == day.guardians[0].id and incident.guardian_comment == "谢谢老师"
    page = client.get(f"/day/incidents/{incident.id}").get_data(as_text=True)
    assert "谢谢老师" in page and "第二次" not in page
    assert f'action="/day/incidents/{incident.id}/acknowledge"' not in page  # nothing left to do
    listing = client.get("/day/incidents").get_data(as_text=True)
    assert f'data-incident="{incident.id}"' in listing and SECRET not in listing


def test_the_coordinator_countersigns_once(client, login):
    day = school_day(1)
    incident = _record(client, login, day)
    second = factories.create_coordinator(day.school)
    db.session.commit()
    login(day.coordinator)
    assert f'data-incident="{incident.id}"' in client.get("/day/incidents").get_data(as_text=True)
    client.post(f"/day/incidents/{incident.id}/countersign")
    login(second)
    client.post(f"/day/incidents/{incident.id}/countersign")
    db.session.refresh(incident)
    assert incident.countersigned_by_id == day.coordinator.id
    login(day.teacher)
    assert client.post(f"/day/incidents/{incident.id}/countersign").status_code == 403


def test_people_without_a_part_in_it_are_told_it_does_not_exist(client, login):
    day = school_day(2)
    incident = _record(client, login, day)
    elsewhere = school_day(1)
    for user in (day.other_teacher, day.guardians[1], elsewhere.coordinator, elsewhere.guardians[0]):
        login(user)
        assert client.get(f"/day/incidents/{incident.id}").status_code == 404, user.name
        assert f'data-incident="{incident.id}"' not in client.get("/day/incidents").get_data(as_text=True)
    login(day.guardians[1])
    assert client.post(f"/day/incidents/{incident.id}/acknowledge").status_code == 404
    login(elsewhere.coordinator)
    assert client.post(f"/day/incidents/{incident.id}/countersign").status_code == 404
    db.session.refresh(incident)
    assert incident.acknowledged_at is None and incident.countersigned_at is None


def test_emergency_contacts_for_the_sessions_staff_on_its_day_and_logged(client, login):
    day = school_day(1)
    login(day.teacher)
    page = client.get(f"/day/sessions/{day.session.id}/contacts").get_data(as_text=True)
    assert f'href="tel:{day.guardians[0].mobile}"' in page
    assert f'href="tel:{day.school_class.class_teacher.mobile}"' in page
    [entry] = db.session.scalars(db.select(LogEntry).filter_by(kind=CONTACTS_VIEW)).all()
    assert entry.actor_id == day.teacher.id and f"#{day.children[0].id}" in entry.subject


@pytest.mark.parametrize("who", ["other_teacher", "guardian", "other_school", "another_day"])
def test_emergency_contacts_are_refused_to_anyone_else(client, login, who):
    day = school_day(1)
    session = day.session
    if who == "another_day":
        session = add_session(day.school, day.session.on_date + timedelta(days=1), [day.school_class],
                              staff=[day.teacher])
        db.session.commit()
        user = day.teacher
    else:
        user = {"other_teacher": day.other_teacher, "guardian": day.guardians[0],
                "other_school": school_day(0).coordinator}[who]
    login(user)
    response = client.get(f"/day/sessions/{session.id}/contacts")
    assert response.status_code in (403, 404)
    assert day.guardians[0].mobile not in response.get_data(as_text=True)
    assert db.session.scalars(db.select(LogEntry).filter_by(kind=CONTACTS_VIEW)).all() == []
    if who == "another_day":
        assert response.status_code == 403 and 'id="reason"' in response.get_data(as_text=True)
