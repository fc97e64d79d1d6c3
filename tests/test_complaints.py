"""Complaints: filing (a guardian; anyone with a mobile proven by SMS), the school's answer by its day, escalation
to the county by `flask enrolment run-due`, the county's answer and counts, need-to-know identity with logged
reveals, hostile input, the contacts and the county's public transparency page."""

import re
from datetime import timedelta

import pytest

from app.accounts.models import User
from app.audit.models import LogEntry
from app.complaints.models import Complaint, ComplaintStatus
from app.extensions import db
from app.models_base import local_today
from app.notifications.models import Notification
from app.programs.services import publish_offering
from scheduling import policy
from tests import factories
from tests.sms import last_sms, sent_code

pytestmark = pytest.mark.both_databases  # the county's grouped counts and the checks differ between the two

FILED = "每月多收了100元资料费，公示里没有这一项。"


def _file_as_guardian(client, school, **extra):
    data = {"category": "fees", "body": FILED, "offering_id": "0", "provider_id": "0", **extra}
    return client.post(f"/complaints/school/{school.id}/new", data=data)


def _only_complaint() -> Complaint:
    [complaint] = db.session.scalars(db.select(Complaint)).all()
    return complaint


def _inbox(user) -> list[str]:
    return [n.subject for n in db.session.scalars(db.select(Notification).filter_by(user_id=user.id))]


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_the_whole_lifecycle_a_guardian_files_the_school_answers_the_county_closes(client, world, login, login_as):
    guardian, principal = world.users["guardian"], world.users["school_admin"]
    login(guardian)
    response = _file_as_guardian(client, world.own_school, identity_shared="y")
    complaint = _only_complaint()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/complaints/mine/{complaint.id}")
    # The answer is due COMPLAINT_RESPONSE_DAYS after today (school time), shown to the filer.
    due = local_today() + timedelta(days=policy.COMPLAINT_RESPONSE_DAYS)
    assert complaint.respond_by == due
    page = _page(client.get(f"/complaints/mine/{complaint.id}"))
    assert f'data-figure="complaint-respond-by" data-value="{due.isoformat()}"' in page
    assert 'data-status="open"' in page
    # The school's administrators hear of it.
    assert any(complaint.reference in subject for subject in _inbox(principal))
    assert any(complaint.reference in subject for subject in _inbox(world.users["coordinator"]))

    login_as(principal)
    assert complaint.reference in _page(client.get("/complaints/school"))
    # The same day on the school's case page as on the filer's (one source: the complaint's respond_by).
    assert f'data-figure="complaint-respond-by" data-value="{due.isoformat()}"' in _page(
        client.get(f"/complaints/{complaint.id}"))
    response = client.post(f"/complaints/{complaint.id}/answer", data={"text": "已核实，资料费全部退还。"})
    assert response.status_code == 302
    assert complaint.status is ComplaintStatus.ANSWERED
    # A second answer is refused: the complaint is no longer the school's.
    client.post(f"/complaints/{complaint.id}/answer", data={"text": "再答一次"})
    assert complaint.school_answer == "已核实，资料费全部退还。"

    login_as(guardian)
    assert any("answered" in s or "回复" in s for s in _inbox(guardian))
    page = _page(client.get(f"/complaints/mine/{complaint.id}"))
    assert "已核实，资料费全部退还。" in page and 'data-status="answered"' in page
    # Not satisfied: the guardian sends it on to the county.
    assert client.post(f"/complaints/mine/{complaint.id}/county").status_code == 302
    assert complaint.status is ComplaintStatus.ESCALATED and complaint.escalation_reason == "filer"
    officer = world.users["county_officer"]
    assert any(complaint.reference in s for s in _inbox(officer))
    assert not any(complaint.reference in s for s in _inbox(world.other_users["county_officer"]))

    login_as(officer)
    assert f'data-complaint="{complaint.id}"' in _page(client.get("/complaints/county"))
    response = client.post(f"/complaints/{complaint.id}/close", data={"text": "县局已督促学校退费并通报。"})
    assert response.status_code == 302
    assert complaint.status is ComplaintStatus.CLOSED
    login_as(guardian)
    page = _page(client.get(f"/complaints/mine/{complaint.id}"))
    assert "县局已督促学校退费并通报。" in page and 'data-status="closed"' in page


def test_run_due_sends_an_unanswered_complaint_to_the_county(client, world, login, login_as, runner):
    officer_id, guardian_id = world.users["county_officer"].id, world.users["guardian"].id
    world_principal_id = world.users["school_admin"].id
    school_id = world.own_school.id
    login(world.users["guardian"])
    _file_as_guardian(client, world.own_school)
    complaint_id = _only_complaint().id

    def inbox(user_id):
        return [n.subject for n in db.session.scalars(db.select(Notification).filter_by(user_id=user_id))]

    result = runner.invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0, result.output
    complaint = db.session.get(Complaint, complaint_id)
    assert complaint.status is ComplaintStatus.OPEN  # its day has not passed
    complaint.respond_by = local_today() - timedelta(days=1)  # the school's day went by without an answer
    db.session.commit()
    login_as(db.session.get(User, officer_id))  # run-due ended the session the world's objects were in
    page = _page(client.get("/complaints/county"))
    assert re.search(r'data-row="all">.*?data-figure="complaints-overdue" data-value="1"', page, re.S)

    result = runner.invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0, result.output
    complaint = db.session.get(Complaint, complaint_id)
    assert complaint.status is ComplaintStatus.ESCALATED and complaint.escalation_reason == "overdue"
    assert any(complaint.reference in s for s in inbox(officer_id))
    assert any(complaint.reference in s for s in inbox(guardian_id))
    # The county's page counts it as with the county, no longer overdue at the school.
    page = _page(client.get("/complaints/county"))
    row = re.search(rf'data-row="school-{school_id}">(.*?)</tr>', page, re.S).group(1)
    assert 'data-figure="complaints-escalated" data-value="1"' in row
    assert 'data-figure="complaints-overdue" data-value="0"' in row
    fees = re.search(r'data-row="fees">(.*?)</tr>', page, re.S).group(1)
    assert 'data-figure="complaints-filed" data-value="1"' in fees
    # Open cases filtered by category and by school.
    assert f'data-complaint="{complaint_id}"' in _page(client.get("/complaints/county?category=fees"))
    assert f'data-complaint="{complaint_id}"' not in _page(client.get("/complaints/county?category=forced"))
    assert f'data-complaint="{complaint_id}"' in _page(client.get(f"/complaints/county?school={school_id}"))
    # The school can no longer answer it: the county holds it.
    login_as(db.session.get(User, world_principal_id))
    client.post(f"/complaints/{complaint_id}/answer", data={"text": "迟到的答复"})
    complaint = db.session.get(Complaint, complaint_id)
    assert complaint.status is ComplaintStatus.ESCALATED and complaint.school_answer == ""
    # Run again: nothing more happens (no second message).
    before = len(inbox(officer_id))
    runner.invoke(args=["enrolment", "run-due"])
    assert len(inbox(officer_id)) == before


def test_an_anonymous_filer_proves_the_mobile_and_follows_by_the_tracking_link(app, client, world):
    school = world.own_school
    assert "13712345678" not in _page(client.get(f"/complaints/school/{school.id}/new"))
    response = client.post(f"/complaints/school/{school.id}/code", data={"mobile": "13712345678"})
    assert response.status_code == 302
    code = sent_code("13712345678")
    data = {"category": "forced", "body": "班主任要求全班必须参加课后服务。", "offering_id": "0",
            "provider_id": "0", "name": "李女士"}
    wrong = client.post(f"/complaints/school/{school.id}/new", data={**data, "code": "000000" if code != "000000"
                                                                        else "111111"})
    assert wrong.status_code == 200 and db.session.scalar(db.select(db.func.count(Complaint.id))) == 0
    response = client.post(f"/complaints/school/{school.id}/new", data={**data, "code": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/complaints/filed")
    page = _page(client.get("/complaints/filed"))
    link = re.search(r'data-tracking-link>([^<]+)<', page).group(1)
    complaint = _only_complaint()
    assert complaint.filer_id is None and complaint.filer_mobile == "13712345678"
    assert complaint.reference in last_sms("13712345678")
    # The link is shown once.
    assert client.get("/complaints/filed").status_code == 302
    path = link.replace("http://localhost", "")
    assert "班主任要求" not in _page(client.get(path))  # the link alone shows nothing
    assert "班主任要求" not in _page(client.post(path, data={"mobile": "13712345679"}))
    assert "班主任要求" in _page(client.post(path, data={"mobile": "13712345678"}))
    # The school answers: the filer gets an SMS and sees the answer; then sends it to the county.
    from app.complaints import services

    with app.test_request_context():
        services.answer_by_school(complaint, "已约谈班主任，自愿参加。", world.users["school_admin"])
    db.session.commit()
    assert complaint.reference in last_sms("13712345678") and "回复" in last_sms("13712345678")
    assert "链接" in last_sms("13712345678")  # the filer has no account to log in to: the saved link
    assert "已约谈班主任" in _page(client.post(path, data={"mobile": "13712345678"}))
    assert client.post(path + "/county", data={"mobile": "13712345679"}).status_code == 302
    assert complaint.status is ComplaintStatus.ANSWERED  # a wrong number changes nothing
    client.post(path + "/county", data={"mobile": "13712345678"})
    assert complaint.status is ComplaintStatus.ESCALATED
    assert client.get("/complaints/track/not-a-token").status_code == 404


def test_identity_is_need_to_know_and_every_look_is_logged(client, world, login_as):
    login_as(world.users["guardian"])
    _file_as_guardian(client, world.own_school, identity_shared="y")
    shared = _only_complaint()
    guardian = world.users["guardian"]
    for user in (world.users["coordinator"], world.users["school_admin"], world.users["county_officer"]):
        login_as(user)
        page = _page(client.get(f"/complaints/{shared.id}"))
        assert guardian.mobile not in page  # never on the page by default
    # The coordinator may not ask; the principal and the county may, and each look is logged.
    login_as(world.users["coordinator"])
    assert client.post(f"/complaints/{shared.id}/identity").status_code == 403
    for user in (world.users["school_admin"], world.users["county_officer"]):
        login_as(user)
        page = _page(client.post(f"/complaints/{shared.id}/identity"))
        assert guardian.mobile in page and guardian.name in page
    looks = db.session.scalars(db.select(LogEntry).filter_by(event="complaint_identity")).all()
    assert sorted(entry.actor_id for entry in looks) == sorted([world.users["school_admin"].id,
                                                               world.users["county_officer"].id])
    assert all(entry.subject == shared.reference for entry in looks)

    # Not shared: nobody sees it, even by asking, and nothing is logged.
    login_as(guardian)
    _file_as_guardian(client, world.own_school)
    hidden = db.session.scalars(db.select(Complaint).order_by(Complaint.id.desc())).first()
    assert not hidden.identity_shared
    for user in (world.users["school_admin"], world.users["county_officer"]):
        login_as(user)
        assert guardian.mobile not in _page(client.get(f"/complaints/{hidden.id}"))
        assert client.post(f"/complaints/{hidden.id}/identity").status_code == 403
    assert db.session.scalar(db.select(db.func.count(LogEntry.id)).filter_by(event="complaint_identity")) == 2


def test_hostile_ids_and_other_schools_cases_are_404(client, world, login_as):
    login_as(world.users["guardian"])
    _file_as_guardian(client, world.own_school, identity_shared="y")
    complaint = _only_complaint()
    # The other school of the same county: its administrators see a 404; the county sees it.
    for user in (world.other_users["school_admin"], world.other_users["coordinator"]):
        login_as(user)
        assert client.get(f"/complaints/{complaint.id}").status_code == 404
        assert client.post(f"/complaints/{complaint.id}/answer", data={"text": "x"}).status_code == 404
        assert complaint.reference not in _page(client.get("/complaints/school"))
    login_as(world.other_users["school_admin"])
    assert client.post(f"/complaints/{complaint.id}/identity").status_code == 404
    login_as(world.other_users["county_officer"])  # another county
    assert client.get(f"/complaints/{complaint.id}").status_code == 404
    assert client.post(f"/complaints/{complaint.id}/close", data={"text": "x"}).status_code == 404
    assert complaint.status is ComplaintStatus.OPEN
    # Another guardian cannot read it.
    login_as(world.other_users["guardian"])
    assert client.get(f"/complaints/mine/{complaint.id}").status_code == 404
    assert client.post(f"/complaints/mine/{complaint.id}/county").status_code == 404
    # Huge and odd ids.
    login_as(world.users["county_officer"])
    for path in ("/complaints/99999999999999999999", f"/complaints/{2**31}", "/complaints/-1"):
        assert client.get(path).status_code == 404
    assert client.get("/public/county/99999999999999999999").status_code == 404
    assert client.get("/complaints/county?school=99999999999999999999").status_code == 200  # ignored, as absent
    assert client.get(f"/complaints/county?school={world.far_school.id}").status_code == 404
    assert client.get("/complaints/county?category=<script>").status_code == 200
    # An offering of another school, or a provider of another county, is not a choice.
    login_as(world.users["guardian"])
    far_offering = factories.create_offering(world.far_school)
    db.session.commit()
    response = _file_as_guardian(client, world.own_school, offering_id=str(far_offering.id))
    assert response.status_code == 200
    response = _file_as_guardian(client, world.own_school, offering_id="99999999999999999999")
    assert response.status_code == 200
    response = _file_as_guardian(client, world.own_school, body="x" * (policy.COMPLAINT_TEXT_MAX + 1))
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 1


def test_staff_do_not_file_complaints(client, world, login):
    login(world.users["teacher"])
    assert _file_as_guardian(client, world.own_school).status_code == 403


def test_contacts_show_on_the_notice_the_whitelist_and_the_public_page(client, world, login_as):
    school, county = world.own_school, world.county
    login_as(world.users["school_admin"])
    client.post("/complaints/contacts", data={"complaint_phone": "0571-8888 1234",
                                              "complaint_email": "ts@school.example"})
    login_as(world.users["county_officer"])
    client.post("/complaints/county/contacts", data={"complaint_phone": "0571-8888 0000", "complaint_email": "",
                                                     "complaint_address": "县教育局信访室"})
    response = client.post("/complaints/county/contacts", data={"complaint_phone": "call me", "complaint_email": "x",
                                                                "complaint_address": ""})
    assert response.status_code == 200  # refused: not a phone number, not an e-mail address
    assert county.complaint_phone == "0571-8888 0000"
    client.post("/account/logout")
    for path in (f"/programs/notice/{school.id}", f"/providers/whitelist/{county.id}", f"/public/county/{county.id}"):
        page = _page(client.get(path))
        assert "0571-8888 0000" in page and "县教育局信访室" in page, path
    for path in (f"/programs/notice/{school.id}", f"/public/county/{county.id}"):
        assert "0571-8888 1234" in _page(client.get(path)), path
    today = local_today().isoformat()
    assert today in _page(client.get(f"/public/county/{county.id}"))


def test_the_public_page_lists_published_offerings_fees_and_providers_with_dates(client, world):
    school = world.own_school
    provider = factories.create_provider(world.county)
    today = local_today()
    term = factories.create_program_term(school, starts_on=today - timedelta(days=30),
                                         ends_on=today + timedelta(days=90))
    offering = factories.create_offering(school, published=False, term=term)
    offering.basic_fee_cents = 15000
    factories.create_activity(offering, name="足球", provider=provider, fee_cents=3000)
    unpublished = factories.create_offering(world.other_school, published=False)
    admin = world.users["school_admin"]
    publish_offering(offering, admin)
    db.session.commit()
    page = _page(client.get(f"/public/county/{world.county.id}"))
    section = re.search(rf'data-school="{school.id}">(.*?)</section>\s*</section>', page, re.S).group(1)
    assert f'data-offering="{offering.id}"' in section
    assert 'data-fee="15000"' in section and "¥150.00" in section and "¥30.00" in section
    assert f'data-provider="{provider.name}"' in section and "足球" in section
    assert f'data-published="{today.isoformat()}"' in section  # the notice's own publication date
    assert f'data-offering="{unpublished.id}"' not in page


@pytest.mark.parametrize("path", ["/complaints/track/x", "/complaints/track/" + "a" * 500])
def test_unknown_tracking_tokens_are_404(client, world, path):
    assert client.get(path).status_code == 404


def test_the_demo_has_an_answered_an_open_and_an_escalated_complaint(app, client, login, runner):
    from app.complaints.demo import DEMO_ANONYMOUS_MOBILE, DEMO_TRACKING_TOKEN

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    statuses = sorted(c.status.value for c in db.session.scalars(db.select(Complaint)))
    assert statuses == ["answered", "escalated", "open"]
    # The README's walk: the county officer sees the escalated one and its counts; the guardian their answer.
    officer = db.session.scalar(db.select(User).filter_by(mobile="13800000001"))
    login(officer, "demo-2026")
    page = _page(client.get("/complaints/county"))
    assert re.search(r'data-row="all">.*?data-figure="complaints-filed" data-value="3"', page, re.S)
    assert re.search(r'data-row="all">.*?data-figure="complaints-escalated" data-value="1"', page, re.S)
    client.post("/account/logout")
    page = _page(client.post(f"/complaints/track/{DEMO_TRACKING_TOKEN}", data={"mobile": DEMO_ANONYMOUS_MOBILE}))
    assert "资料费" in page and 'data-status="open"' in page
    # A reset removes them with the demo county and builds them again.
    result = runner.invoke(args=["demo", "--reset"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 3


def test_my_data_holds_the_guardians_complaints(client, world, login):
    login(world.users["guardian"])
    _file_as_guardian(client, world.own_school)
    data = client.get("/privacy/my-data.json").get_json()
    [held] = data["complaints"]
    assert held["complaint"] == FILED and held["status"] == "open" and held["school"] == world.own_school.name
