"""Personal information (PIPL): a child's health notes are kept only under the guardian's separate consent, recorded
with the privacy notice version and time, and withdrawing it erases them."""

import pytest

from app.enrolment.models import Application
from app.privacy.models import SensitiveConsent
from app.privacy.services import current_notice_version
from tests import factories
from tests.test_enrolment import apply_url, follow, form_data

pytestmark = pytest.mark.both_databases

NOTES = "peanut allergy"


@pytest.fixture
def offering(world, db):
    offering = factories.create_offering(world.own_school)
    factories.create_activity(offering, name="足球", capacity=5, grades=(1,))
    db.session.commit()
    return offering


@pytest.fixture
def english(client):
    client.post("/language", data={"locale": "en"})


def test_the_form_shows_the_consent_box_next_to_the_health_notes(client, world, login, english, offering):
    login(world.users["guardian"])
    page = client.get(apply_url(world, offering)).get_data(as_text=True)
    assert "I consent separately to the school keeping these health notes" in page
    assert page.index('name="health_notes"') < page.index('name="health_consent"')


def test_health_notes_without_consent_are_refused_and_nothing_is_stored(client, world, login, english, db,
                                                                          offering):
    login(world.users["guardian"])
    response = client.post(apply_url(world, offering), data=form_data(world, offering, health_notes=NOTES))
    assert response.status_code == 200
    assert "kept only with your separate consent" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Application)) is None
    assert db.session.scalar(db.select(SensitiveConsent)) is None


def test_consent_is_recorded_with_notice_version_time_and_guardian(client, world, login, english, db, offering):
    guardian = world.users["guardian"]
    login(guardian)
    response = client.post(apply_url(world, offering),
                           data=form_data(world, offering, health_notes=NOTES, health_consent="y"))
    assert response.status_code == 302
    application = db.session.scalar(db.select(Application))
    assert application.health_notes == NOTES
    consent = db.session.scalar(db.select(SensitiveConsent))
    assert (consent.application_id, consent.guardian_id, consent.field) == (application.id, guardian.id,
                                                                             "health_notes")
    assert consent.notice_version == current_notice_version()
    assert consent.given_at is not None and consent.withdrawn_at is None


def test_an_application_without_health_notes_records_no_consent(client, world, login, db, offering):
    login(world.users["guardian"])
    assert client.post(apply_url(world, offering), data=form_data(world, offering, health_consent="y")).status_code \
        == 302
    assert db.session.scalar(db.select(SensitiveConsent)) is None


def test_withdrawing_consent_erases_the_notes_with_a_clear_message(client, world, login, english, db, offering):
    login(world.users["guardian"])
    client.post(apply_url(world, offering), data=form_data(world, offering, health_notes=NOTES, health_consent="y"))
    application = db.session.scalar(db.select(Application))
    page = client.get(f"/enrolment/applications/{application.id}").get_data(as_text=True)
    assert NOTES in page and "Withdraw consent and erase the health notes" in page
    page = follow(client, client.post(f"/privacy/consent/{application.id}/withdraw"))
    assert "Consent withdrawn: the health notes" in page
    assert NOTES not in page
    db.session.expire_all()
    assert db.session.get(Application, application.id).health_notes == ""
    consent = db.session.scalar(db.select(SensitiveConsent))
    assert consent.withdrawn_at is not None  # the record of consent stays: given when, withdrawn when


def test_staff_see_no_withdraw_button_and_cannot_withdraw(client, world, login, english, db, offering):
    application = factories.create_application(world.own_student, offering, guardian=world.users["guardian"])
    application.health_notes = NOTES
    db.session.commit()
    login(world.users["class_teacher"])
    page = client.get(f"/enrolment/applications/{application.id}").get_data(as_text=True)
    assert "Withdraw consent" not in page
    assert client.post(f"/privacy/consent/{application.id}/withdraw").status_code == 403
    db.session.expire_all()
    assert db.session.get(Application, application.id).health_notes == NOTES


# --- My data: access and copy (PIPL Art. 45) ---


def _family_application(world, offering, db, notes=NOTES):
    application = factories.create_application(world.own_student, offering, guardian=world.users["guardian"])
    application.health_notes = notes
    db.session.commit()
    return application


def test_my_data_page_lists_the_family_and_offers_both_downloads(client, world, login, english, db, offering):
    _family_application(world, offering, db)
    login(world.users["guardian"])
    assert "My data" in client.get("/enrolment/").get_data(as_text=True)
    page = client.get("/privacy/my-data").get_data(as_text=True)
    assert world.own_student.name in page
    assert "/privacy/my-data.xlsx" in page and "/privacy/my-data.json" in page


def test_the_json_copy_holds_the_account_children_and_health_notes_and_nobody_elses(client, world, login, db,
                                                                                   offering):
    _family_application(world, offering, db)
    other = factories.create_application(world.other_student, factories.create_offering(world.other_school),
                                         guardian=world.other_users["guardian"])
    other.health_notes = "someone else's asthma"
    db.session.commit()
    login(world.users["guardian"])
    response = client.get("/privacy/my-data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["mobile"] == world.users["guardian"].mobile
    assert [c["name"] for c in data["children"]] == [world.own_student.name]
    assert [a["health_notes"] for a in data["applications"]] == [NOTES]
    assert [a["version"] for a in data["privacy_notice_accepted"]] == [1]
    assert "someone else's asthma" not in response.get_data(as_text=True)
    assert world.other_student.name not in response.get_data(as_text=True)


def test_the_xlsx_copy_keeps_formula_like_text_as_text(client, world, login, db, offering):
    from io import BytesIO

    from openpyxl import load_workbook

    _family_application(world, offering, db, notes="=HYPERLINK(\"http://x\")")
    login(world.users["guardian"])
    response = client.get("/privacy/my-data.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.data))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row
             if cell.value == "=HYPERLINK(\"http://x\")"]
    assert cells and all(cell.data_type == "s" for cell in cells)
    names = [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert world.own_student.name in names


def test_an_unconfirmed_link_shows_no_child_in_the_copy(client, world, login, db, offering):
    guardian = world.users["guardian"]
    for link in guardian.guardian_links:
        link.verified = False
    _family_application(world, offering, db)
    login(guardian)
    data = client.get("/privacy/my-data.json").get_json()
    assert data["children"] == [] and data["applications"] == []
    assert all(link["child"] == "" for link in data["links"])


@pytest.mark.parametrize("url", ["/privacy/my-data", "/privacy/my-data.json", "/privacy/my-data.xlsx"])
@pytest.mark.parametrize("role", ["class_teacher", "school_admin", "finance", "county_officer"])
def test_staff_never_reach_a_guardians_copy(client, world, login, url, role):
    login(world.users[role])
    assert client.get(url).status_code == 403


# --- Deletion (PIPL Art. 47) ---


def _pay(application, db):
    from app.enrolment.models import LedgerEntry, LedgerKind

    db.session.add(LedgerEntry(school_id=application.school_id, application=application, kind=LedgerKind.PAYMENT,
                               amount_cents=30000, note="微信支付"))
    db.session.commit()


def test_the_deletion_page_gives_the_reasons_before_the_confirmation(client, world, login, english, db, offering):
    erased = _family_application(world, offering, db)
    paid = _family_application(world, factories.create_offering(world.own_school), db)
    _pay(paid, db)
    login(world.users["guardian"])
    page = client.get("/privacy/delete").get_data(as_text=True)
    assert f"Erased: the application for {world.own_student.name} to {erased.offering.title}" in page
    assert "fee records the school must keep by law" in page
    assert 'name="password"' in page
    db.session.expire_all()
    assert db.session.get(Application, erased.id) is not None  # nothing happens before the confirmation


def test_a_wrong_password_deletes_nothing(client, world, login, english, db, offering):
    application = _family_application(world, offering, db)
    login(world.users["guardian"])
    response = client.post("/privacy/delete", data={"understood": "y", "password": "not-the-password"})
    assert response.status_code == 200 and "The password is not right" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).health_notes == NOTES


def test_deletion_erases_the_account_and_applications_and_anonymises_fee_records(client, world, login, english, db,
                                                                                offering):
    from app.accounts.models import User
    from app.enrolment.models import LedgerEntry

    guardian = world.users["guardian"]
    mobile, guardian_id = guardian.mobile, guardian.id
    erased = _family_application(world, offering, db)
    paid = _family_application(world, factories.create_offering(world.own_school), db)
    paid.pickup_people = "外婆 王芳"
    _pay(paid, db)
    erased_id, paid_id = erased.id, paid.id
    login(guardian)
    response = client.post("/privacy/delete", data={"understood": "y", "password": factories.PASSWORD})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Application, erased_id) is None
    kept = db.session.get(Application, paid_id)
    assert (kept.health_notes, kept.pickup_people) == ("", "")
    assert db.session.scalar(db.select(db.func.count(LedgerEntry.id)).filter_by(application_id=paid_id)) >= 1
    account = db.session.get(User, guardian_id)
    assert account.mobile != mobile and account.name == "已注销" and account.guardian_links == []
    client.post("/account/logout")
    assert client.post("/account/login", data={"mobile": mobile, "password": factories.PASSWORD}).status_code == 200


def test_a_child_shared_with_another_confirmed_guardian_keeps_its_applications(client, world, login, db, offering):
    application = _family_application(world, offering, db)
    factories.create_guardian(world.own_student, verified=True)
    db.session.commit()
    login(world.users["guardian"])
    assert client.post("/privacy/delete", data={"understood": "y", "password": factories.PASSWORD}).status_code \
        == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).health_notes == NOTES


# --- The privacy notice: versions kept, acceptance recorded ---


def test_a_guardian_reads_and_accepts_a_new_version_before_applying_again(client, world, login, english, db,
                                                                          offering):
    from app.privacy.models import NoticeAcceptance, PrivacyNotice

    guardian = world.users["guardian"]
    login(world.users["county_officer"])
    page = client.get("/privacy/notice/publish").get_data(as_text=True)
    assert "个人信息保护告知书" in page  # the default Chinese text, version 1, to start from
    assert client.post("/privacy/notice/publish", data={"body": "第二版：新增了短信通知。"}).status_code == 302
    assert db.session.scalar(db.select(PrivacyNotice.version)) == 2
    client.post("/account/logout")
    login(guardian)
    response = client.get(apply_url(world, offering))
    assert response.status_code == 302 and "/privacy/notice" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "version 2" in page and "第二版：新增了短信通知。" in page and "Earlier versions" in page
    response = client.post(f"/privacy/notice/accept?next={apply_url(world, offering)}")
    assert response.headers["Location"].endswith(apply_url(world, offering))
    assert client.get(apply_url(world, offering)).status_code == 200
    versions = db.session.scalars(db.select(NoticeAcceptance.notice_version).filter_by(user_id=guardian.id)).all()
    assert sorted(versions) == [1, 2]


def test_the_data_pages_stay_open_before_accepting(client, world, login, db):
    from app.privacy.services import publish_notice

    publish_notice("第二版", world.users["county_officer"])
    db.session.commit()
    login(world.users["guardian"])
    assert client.get("/privacy/my-data").status_code == 200
    assert client.get("/privacy/delete").status_code == 200


def test_accept_does_not_redirect_off_site(client, world, login):
    login(world.users["guardian"])
    response = client.post("/privacy/notice/accept?next=//evil.example/")
    assert response.headers["Location"].endswith("/dashboard")


def test_downloads_of_a_guardians_own_data_are_in_the_access_log(client, world, login, db):
    """Both copies carry children's health notes: each download is recorded (who, what), like every export."""
    from app.audit.models import LogEntry

    guardian = world.users["guardian"]
    login(guardian)
    assert client.get("/privacy/my-data.json").status_code == 200
    assert client.get("/privacy/my-data.xlsx").status_code == 200
    events = [(e.kind, e.event, e.actor_id) for e in db.session.scalars(db.select(LogEntry).order_by(LogEntry.id))]
    assert [e for e in events if e[1].startswith("my_data")] == [
        ("export", "my_data_json", guardian.id), ("export", "my_data_xlsx", guardian.id)]


# --- The family's situation: the hardship request and priority groups such as a left-behind child ---


@pytest.fixture
def priority_offering(world, db):
    offering = factories.create_offering(world.own_school, priority_groups=("hardship", "left_behind"))
    factories.create_activity(offering, name="足球", capacity=5, grades=(1,))
    db.session.commit()
    return offering


def situation(world, offering, **extra):
    return form_data(world, offering, priority_groups=["left_behind"], hardship="y", **extra)


def test_a_hardship_request_or_left_behind_claim_without_consent_is_refused_in_chinese(client, world, login, db,
                                                                                          priority_offering):
    login(world.users["guardian"])
    response = client.post(apply_url(world, priority_offering), data=situation(world, priority_offering))
    assert response.status_code == 200
    assert "单独同意" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Application)) is None
    assert db.session.scalar(db.select(SensitiveConsent)) is None


def test_consent_to_the_familys_situation_is_recorded_apart_from_the_health_notes(client, world, login, db,
                                                                                  priority_offering):
    guardian = world.users["guardian"]
    login(guardian)
    response = client.post(apply_url(world, priority_offering),
                           data=situation(world, priority_offering, situation_consent="y"))
    assert response.status_code == 302
    application = db.session.scalar(db.select(Application))
    assert application.priority_groups == ["left_behind"] and application.hardship.value == "requested"
    [consent] = db.session.scalars(db.select(SensitiveConsent))
    assert (consent.field, consent.guardian_id, consent.notice_version) == ("family_situation", guardian.id,
                                                                            current_notice_version())


def test_withdrawing_the_situation_consent_erases_the_claims_and_withdraws_the_request(client, world, login,
                                                                                       english, db, priority_offering):
    login(world.users["guardian"])
    client.post(apply_url(world, priority_offering), data=situation(world, priority_offering, situation_consent="y"))
    application = db.session.scalar(db.select(Application))
    page = client.get(f"/enrolment/applications/{application.id}").get_data(as_text=True)
    assert "Withdraw consent and erase these answers" in page
    page = follow(client, client.post(f"/privacy/consent/{application.id}/withdraw",
                                      data={"field": "family_situation"}))
    assert "Consent withdrawn: what you told the school about your family" in page
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.priority_groups == [] and application.hardship.value == "none"
    assert db.session.scalar(db.select(SensitiveConsent)).withdrawn_at is not None
