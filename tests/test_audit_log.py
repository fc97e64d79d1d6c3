"""The access and security log (PIPL): health notes seen, exports, logins and account changes, refusals; shown to
the principal (own school) and the county officer (own county). It names what was seen, never the data."""

import pytest

from app.audit import retention
from app.audit.models import LogEntry
from app.enrolment.models import ApplicationStatus, Lottery
from app.extensions import db as _db
from app.models_base import local_today
from app.providers import services as provider_services
from app.providers.models import ReasonCategory
from tests import factories
from tests import test_need_to_know as need_to_know_tests
from tests.sms import sent_code
from tests.test_exports import _publish
from tests.test_need_to_know import HEALTH_NOTES, page

pytestmark = pytest.mark.both_databases

# The need-to-know tests' cast: an approved application with health notes, its sessions, switching users.
application = need_to_know_tests.application
sessions = need_to_know_tests.sessions
login_as = need_to_know_tests.login_as


def table(client, url: str) -> str:
    """The log table alone (the page's welcome messages name people too)."""
    text = page(client, url)[1]
    return text.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in text else ""


def entries(event: str) -> list[LogEntry]:
    return list(_db.session.scalars(_db.select(LogEntry).filter_by(event=event)))


def test_a_teacher_seeing_a_sessions_health_notes_is_on_the_principals_log(client, world, login_as, application,
                                                                            sessions):
    login_as(world.users["teacher"])
    assert HEALTH_NOTES in page(client, f"/my-week/sessions/{sessions['childs'].id}/children")[1]
    [entry] = entries("session_children")
    assert entry.actor_id == world.users["teacher"].id and f"#{world.own_student.id}" in entry.subject
    assert entry.address == "127.0.0.1" and HEALTH_NOTES not in entry.subject
    login_as(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    status, text = page(client, "/audit/log?kind=health_view")
    assert status == 200 and world.users["teacher"].name in text and "Children of a session" in text
    assert HEALTH_NOTES not in text


def test_the_family_opening_an_application_with_health_notes_is_recorded(client, world, login_as, application):
    login_as(world.users["guardian"])
    assert HEALTH_NOTES in page(client, f"/enrolment/applications/{application.id}")[1]
    [entry] = entries("application")
    assert entry.school_id == world.own_school.id and entry.actor_id == world.users["guardian"].id



def test_the_guardian_opening_the_form_to_change_an_application_with_health_notes_is_recorded(
        client, world, login_as, application):
    application.status = ApplicationStatus.RETURNED  # a returned application opens in its form again
    _db.session.commit()
    login_as(world.users["guardian"])
    status, text = page(client, f"/enrolment/applications/{application.id}/edit")
    assert status == 200 and HEALTH_NOTES in text
    [entry] = entries("application_edit")
    assert entry.school_id == world.own_school.id and entry.actor_id == world.users["guardian"].id
    assert HEALTH_NOTES not in entry.subject

def test_exports_are_recorded_and_filtered_by_kind(client, world, login_as):
    monday = _publish(world)
    login_as(world.users["school_admin"])
    assert client.get(f"/exports/roster.xlsx?week={monday.isoformat()}").status_code == 200
    assert client.get(f"/exports/workload.xlsx?week={monday.isoformat()}").status_code == 200
    login_as(world.users["class_teacher"])
    assert client.get(f"/my-week/export.xlsx?week={monday.isoformat()}").status_code == 200
    assert {e.event for e in _db.session.scalars(_db.select(LogEntry).filter_by(kind="export"))} == {
        "roster_xlsx", "workload_xlsx", "my_week_xlsx"}
    login_as(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    text = page(client, "/audit/log?kind=export")[1]
    assert "Roster (XLSX)" in text and "My week (XLSX)" in text and "Logged in" not in text
    text = page(client, "/audit/log?kind=security")[1]
    assert "Logged in" in text and "Roster (XLSX)" not in text
    future = local_today().replace(year=local_today().year + 1).isoformat()
    assert "Logged in" not in page(client, f"/audit/log?since={future}")[1]


def test_logins_failures_and_password_changes_are_on_the_security_log(client, world, login_as):
    teacher = world.users["teacher"]
    client.post("/account/login", data={"mobile": teacher.mobile, "password": "wrong-password"})
    login_as(teacher)
    [failed] = entries("login_failed")
    assert failed.actor_id == teacher.id and teacher.mobile not in failed.subject
    assert [e.actor_id for e in entries("login")] == [teacher.id]
    login_as(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    text = page(client, "/audit/log")[1]
    assert "Failed login" in text and teacher.name in text and "Logged in" in text


def test_a_refusal_is_recorded(client, world, login_as):
    login_as(world.users["teacher"])
    assert client.get("/audit/log").status_code == 403
    [entry] = entries("access_denied")
    assert entry.actor_id == world.users["teacher"].id and "/audit/log" in entry.subject


def test_the_principal_sees_only_their_school_and_the_county_officer_their_county(client, world, login_as):
    login_as(world.other_users["teacher"])  # another school of the same county
    login_as(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    assert world.other_users["teacher"].name not in table(client, "/audit/log")
    login_as(world.users["county_officer"])
    client.post("/language", data={"locale": "en"})
    text = table(client, "/audit/log")
    assert world.other_users["teacher"].name in text and world.users["school_admin"].name in text
    login_as(world.other_users["county_officer"])
    assert world.users["school_admin"].name not in table(client, "/audit/log")


def test_a_code_request_and_a_reset_password_are_logged_for_the_familys_school(client, world):
    guardian = world.users["guardian"]
    client.post("/account/forgot", data={"mobile": guardian.mobile})
    client.post("/account/forgot/code", data={"code": sent_code(guardian.mobile), "password": "fresh-start-77",
                                               "confirm": "fresh-start-77"})
    [asked] = entries("code_requested")
    [reset] = entries("password_reset")
    assert asked.actor_id == reset.actor_id == guardian.id and guardian.mobile not in asked.subject
    assert reset.school_id == world.own_school.id  # the child's school: its principal sees it


def test_a_suspension_and_its_forced_logouts_are_on_the_county_officers_log(client, world, login):
    staff = world.users["provider_staff"]
    provider_services.suspend(staff.provider, ReasonCategory.SAFETY, "安全检查不合格", world.users["county_officer"])
    _db.session.commit()
    [suspended] = entries("provider_suspended")
    [forced] = entries("forced_logout")
    assert suspended.actor_id == world.users["county_officer"].id and forced.actor_id == staff.id
    login(world.users["county_officer"])
    client.post("/language", data={"locale": "en"})
    text = table(client, "/audit/log?kind=security")
    assert "Provider suspended" in text and staff.provider.name in text and "Logged out everywhere" in text


def test_the_draw_record_download_is_logged(client, world, login, application):
    record = Lottery(school_id=world.own_school.id, offering_id=application.offering_id, seed="s", inputs={},
                     result={})
    _db.session.add(record)
    _db.session.commit()
    login(world.users["school_admin"])
    assert client.get(f"/enrolment/lotteries/{record.id}.json").status_code == 200
    [entry] = entries("draw_record")
    assert entry.kind == "export" and entry.school_id == world.own_school.id


def test_the_principal_sets_how_long_past_offerings_keep_personal_details(client, world, login):
    login(world.users["school_admin"])
    assert client.post("/audit/retention", data={"days": "400"}).status_code == 302
    assert retention.retention_days(world.own_school.id) == 400
    client.post("/audit/retention", data={"days": "5"})  # shorter than the least allowed
    assert retention.retention_days(world.own_school.id) == 400
    assert 'value="400"' in page(client, "/audit/log")[1]
    assert client.get("/audit/log?since=not-a-date").status_code == 400


def test_a_change_of_login_number_is_logged_with_both_numbers_masked(client, world, login):
    teacher = world.users["teacher"]
    login(teacher)
    client.post("/account/mobile", data={"mobile": "13655556666", "current": factories.PASSWORD})
    client.post("/account/mobile/code", data={"code": sent_code("13655556666")})
    [entry] = entries("mobile_changed")
    assert entry.actor_id == teacher.id and entry.school_id == world.own_school.id
    assert "13655556666" not in entry.subject and "6666" in entry.subject


def test_a_suspended_providers_staff_trying_to_log_in_is_logged(client, world):
    staff = world.users["provider_staff"]
    provider_services.suspend(staff.provider, ReasonCategory.SAFETY, "安全检查不合格", world.users["county_officer"])
    _db.session.commit()
    client.post("/account/login", data={"mobile": staff.mobile, "password": factories.PASSWORD})
    [entry] = entries("login_refused")
    assert entry.actor_id == staff.id and entry.county_id == world.county.id
