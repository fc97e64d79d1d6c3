"""From application to approved place: bad input refused, review, approval with the lottery, waiting list, money."""

import html
from datetime import date, timedelta

import pytest

from app.enrolment import allocation, services
from app.enrolment.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    ChoiceStatus,
    HardshipStatus,
    LedgerKind,
    Lottery,
    Seat,
)
from app.models_base import local_today, utcnow
from app.notifications.models import Notification
from tests import factories


@pytest.fixture
def offering(world, db):
    offering = factories.create_offering(world.own_school, priority_groups=("hardship",))
    factories.create_activity(offering, name="足球", capacity=1, grades=(1,))
    factories.create_activity(offering, name="书法", capacity=5, grades=(5, 6))
    db.session.commit()
    return offering


def follow(client, response):
    """The page a redirect leads to (the isolated test client cannot follow redirects itself)."""
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def form_data(world, offering, **changes):
    football = offering.activities[0]
    data = {"weekdays": ["0", "2"], "choice_1": football.id,
            "choice_2": "0", "choice_3": "0", "pickup": "collected", "pickup_people": "妈妈 李梅",
            "health_notes": "", "agree": "y"}
    data.update(changes)
    return data


def apply_url(world, offering):
    return f"/enrolment/apply/{world.own_student.id}/{offering.id}"


@pytest.mark.parametrize(("changes", "message"), [
    ({"choice_1": "__calligraphy__"}, "is not open to grade 1"),
    ({"weekdays": ["5"]}, "among the days the school offers"),
    ({"agree": ""}, "sign the agreement"),
    ({"pickup": "walks_alone", "pickup_people": ""}, "consent"),
])
def test_bad_applications_are_refused_and_nothing_is_written(client, world, login, db, offering, changes, message):
    login(world.users["guardian"])
    client.post("/language", data={"locale": "en"})
    if changes.get("choice_1") == "__calligraphy__":
        changes["choice_1"] = offering.activities[1].id
    response = client.post(apply_url(world, offering), data=form_data(world, offering, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Application)) is None


def test_after_the_deadline_and_twice_are_refused(client, world, login, db, offering):
    login(world.users["guardian"])
    client.post("/language", data={"locale": "en"})
    offering.apply_deadline = date(2020, 1, 1)
    db.session.commit()
    page = client.post(apply_url(world, offering), data=form_data(world, offering)).get_data(as_text=True)
    assert "not taking applications now" in page
    offering.apply_deadline = date(2099, 1, 1)
    db.session.commit()
    assert client.post(apply_url(world, offering), data=form_data(world, offering)).status_code == 302
    second = follow(client, client.get(apply_url(world, offering)))
    assert "already has an application" in second
    assert db.session.scalar(db.select(db.func.count(Application.id))) == 1


def test_unverified_guardian_waits_for_the_class_teacher(client, world, login, db, offering):
    link = world.users["guardian"].guardian_links[0]
    link.verified = False
    db.session.commit()
    login(world.users["guardian"])
    client.post("/language", data={"locale": "en"})
    page = follow(client, client.get(apply_url(world, offering)))
    assert db.session.scalar(db.select(Application)) is None
    assert "Waiting for the class teacher to confirm" in page


def test_the_whole_path_with_lottery_and_waiting_list(app, client, world, login, db, offering):
    guardian = world.users["guardian"]
    login(guardian)
    assert client.post(apply_url(world, offering), data=form_data(world, offering)).status_code == 302
    application = db.session.scalar(db.select(Application))
    assert application.agreement.version == 1 and application.signed_by_id == guardian.id
    # A rival for the one football place, with the school's priority group: placed first by the lottery.
    rival = factories.create_application(factories.create_student(world.own_class), offering,
                                         choices=[offering.activities[0]], status=ApplicationStatus.CONFIRMED,
                                         priority_groups=("hardship",))
    rival.hardship = HardshipStatus.APPROVED  # the principal checked the claim: it counts in the draw
    db.session.commit()

    client.post("/account/logout")
    login(world.users["class_teacher"])
    assert client.post(f"/enrolment/applications/{application.id}/confirm").status_code == 302
    client.post("/account/logout")
    login(world.users["school_admin"])
    assert client.post(f"/enrolment/offerings/{offering.id}/approve").status_code == 302
    db.session.expire_all()
    assert application.status is ApplicationStatus.APPROVED
    assert db.session.scalar(db.select(Lottery)) is None  # approval is not the draw: the window is still open

    # The window closes; the first page that looks at the offering runs the draw, once.
    offering.window_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.get(f"/enrolment/offerings/{offering.id}")
    client.get(f"/enrolment/offerings/{offering.id}")
    db.session.expire_all()
    assert rival.placed_choice is not None
    assert application.choices[0].status is ChoiceStatus.WAITING
    record = db.session.scalar(db.select(Lottery))
    assert db.session.scalar(db.select(db.func.count(Lottery.id))) == 1
    assert allocation.rerun_lottery(record)
    client.post("/language", data={"locale": "en"})
    assert "same result" in client.get(f"/enrolment/lotteries/{record.id}").get_data(as_text=True)

    # The rival withdraws: the place is offered to the waiting guardian's child, who is told and accepts.
    with app.test_request_context():
        services.withdraw(rival, rival.guardian, local_today())
    db.session.commit()
    db.session.expire_all()
    assert application.choices[0].status is ChoiceStatus.OFFERED
    client.post("/account/logout")
    login(guardian)
    assert client.post(f"/enrolment/choices/{application.choices[0].id}/accept").status_code == 302
    db.session.expire_all()
    assert application.choices[0].status is ChoiceStatus.PLACED
    assert offering.activities[0].taken == 1
    assert db.session.scalar(db.select(db.func.count(Seat.id))) == 1
    subjects = [n.subject for n in db.session.scalars(db.select(Notification).filter_by(user_id=guardian.id))]
    assert any("足球" in s for s in subjects)
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[:1] == ["apply"] and "lottery" in actions and "offer" in actions and "accept_offer" in actions


def test_class_teacher_returns_with_a_reason_and_guardian_changes(client, world, login, db, offering):
    application = factories.create_application(world.own_student, offering)
    db.session.commit()
    login(world.users["class_teacher"])
    client.post(f"/enrolment/applications/{application.id}/return", data={"reason": "请补充接送人电话"})
    db.session.expire_all()
    assert application.status is ApplicationStatus.RETURNED and application.return_reason == "请补充接送人电话"
    client.post("/account/logout")
    login(world.users["guardian"])
    assert "请补充接送人电话" in client.get(f"/enrolment/applications/{application.id}").get_data(as_text=True)
    response = client.post(f"/enrolment/applications/{application.id}/edit",
                           data=form_data(world, offering, pickup_people="爷爷 13900000000"))
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED and "爷爷" in application.pickup_people


def test_fees_cover_three_months_at_most_and_refund_on_withdrawal(app, client, world, login, db, offering):
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED)
    db.session.commit()
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    url = f"/enrolment/applications/{application.id}"
    this_month = local_today().replace(day=1)
    next_month = (this_month + timedelta(days=31)).replace(day=1)
    last_month = (next_month + timedelta(days=31)).replace(day=1)
    page = follow(client, client.post(url + "/charge", data={"first_month": next_month.isoformat(), "months": "4"}))
    assert "Between 1 and 3 months" in page
    assert client.post(url + "/charge", data={"first_month": next_month.isoformat(), "months": "2"}).status_code == 302
    page = follow(client, client.post(url + "/charge", data={"first_month": next_month.isoformat(), "months": "1"}))
    assert "is already charged" in page
    beyond = (last_month + timedelta(days=31)).replace(day=1)
    page = follow(client, client.post(url + "/charge", data={"first_month": beyond.isoformat(), "months": "1"}))
    assert f"months up to {last_month:%Y-%m} may be charged now" in page
    client.post(url + "/payment", data={"amount": "400", "reference": "收据001"})
    db.session.expire_all()
    assert services.balance_cents(application) == 0
    with app.test_request_context():
        assert services.withdraw(application, application.guardian, local_today()) == 40000
    assert [e.kind for e in application.ledger] == [LedgerKind.CHARGE, LedgerKind.PAYMENT, LedgerKind.REFUND]


# --- A returned application is fixed and sent again (no dead end) ---


def page(response) -> str:
    return response.get_data(as_text=True)


def drawn(app, db, offering, application):
    """Close the window and run the draw: the application's choices are allocated and can no longer change."""
    offering.window_closes_at = utcnow() - timedelta(minutes=1)
    with app.test_request_context():
        allocation.draw_offering(offering, None, seed="t")
    db.session.commit()
    db.session.expire_all()
    assert application.choices[0].status is not ChoiceStatus.PENDING


def test_a_returned_application_is_corrected_sent_again_and_reviewed_again(app, client, world, login, db, offering):
    football = offering.activities[0]
    application = factories.create_application(world.own_student, offering, choices=[football])
    db.session.commit()
    drawn(app, db, offering, application)  # the demo's case: returned after the draw, when choices are fixed
    login(world.users["class_teacher"])
    client.post(f"/enrolment/applications/{application.id}/return", data={"reason": "请补充接送人电话"})
    client.post("/account/logout")

    # The guardian sees the reason and, on the same page, the way to fix it.
    login(world.users["guardian"])
    edit_url = f"/enrolment/applications/{application.id}/edit"
    shown = page(client.get(f"/enrolment/applications/{application.id}"))
    assert "请补充接送人电话" in shown and f'href="{edit_url}"' in shown and "修改并重新提交" in shown
    assert f'href="{edit_url}"' in page(client.get("/enrolment/"))
    assert f'href="{edit_url}"' in page(client.get("/dashboard"))
    form = page(client.get(edit_url))
    assert 'value="妈妈"' in form  # pre-filled with what the family sent
    assert "请补充接送人电话" in form and "重新提交" in form
    assert 'name="choice_1"' not in form and "足球" in form  # the draw placed it: choices shown, not changeable
    assert 'name="student_number"' not in form

    response = client.post(edit_url, data=form_data(world, offering, pickup_people="爷爷 13900000000",
                                                     choice_1=offering.activities[1].id))
    assert "已重新提交，接下来由班主任审核。" in follow(client, response)
    db.session.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED and application.resubmitted
    assert application.pickup_people == "爷爷 13900000000"
    assert [c.activity_id for c in application.choices] == [football.id]  # unchanged, its draw outcome kept
    assert application.choices[0].status is not ChoiceStatus.PENDING
    resubmit = db.session.scalar(db.select(AuditEvent).filter_by(action="resubmit", object_id=application.id))
    assert resubmit is not None and resubmit.reason == "请补充接送人电话"
    history = page(client.get(f"/enrolment/applications/{application.id}"))
    assert "按退回意见修改后重新提交" in history and "修改并重新提交" not in history
    client.post("/account/logout")

    # The class teacher is told, finds it first in the queue marked as sent again, and confirms it.
    teacher = world.users["class_teacher"]
    note = db.session.scalars(db.select(Notification).filter_by(user_id=teacher.id)
                              .order_by(Notification.id.desc())).first()
    assert offering.title in note.subject and world.own_student.name in note.subject
    assert note.link == f"/enrolment/applications/{application.id}"
    login(teacher)
    queue = page(client.get("/enrolment/review"))
    assert "退回后已重新提交：请补充接送人电话" in queue
    assert f"/enrolment/applications/{application.id}/confirm" in queue
    assert client.post(f"/enrolment/applications/{application.id}/confirm").status_code == 302
    db.session.expire_all()
    assert application.status is ApplicationStatus.CONFIRMED and not application.resubmitted


def test_before_the_draw_a_returned_application_can_also_change_its_choices(client, world, login, db, offering):
    application = factories.create_application(world.own_student, offering, choices=[offering.activities[0]],
                                               status=ApplicationStatus.RETURNED)
    db.session.commit()
    login(world.users["guardian"])
    url = f"/enrolment/applications/{application.id}/edit"
    assert 'name="choice_1"' in page(client.get(url))
    # 书法 is for grades 5–6: still checked while choices may change.
    refused = client.post(url, data=form_data(world, offering, choice_1=offering.activities[1].id))
    assert refused.status_code == 200 and "不面向1年级" in page(refused)
    assert client.post(url, data=form_data(world, offering)).status_code == 302
    db.session.expire_all()
    assert application.status is ApplicationStatus.SUBMITTED


def test_another_family_cannot_edit_a_returned_application(client, world, login, db, offering):
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.RETURNED)
    neighbour = factories.create_guardian(factories.create_student(world.own_class))
    db.session.commit()
    url = f"/enrolment/applications/{application.id}/edit"
    for guardian in (neighbour, world.other_users["guardian"]):
        login(guardian)
        assert client.get(url).status_code == 404
        assert client.post(url, data=form_data(world, offering, pickup_people="陌生人")).status_code == 404
        assert client.get(f"/enrolment/applications/{application.id}").status_code == 404
        client.post("/account/logout")
    db.session.expire_all()
    assert application.status is ApplicationStatus.RETURNED and application.pickup_people == "妈妈"


def test_an_approved_application_cannot_be_edited(client, world, login, db, offering):
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED)
    db.session.commit()
    login(world.users["guardian"])
    url = f"/enrolment/applications/{application.id}/edit"
    assert f'href="{url}"' not in page(client.get(f"/enrolment/applications/{application.id}"))
    assert "该申请已不能修改" in follow(client, client.get(url))
    client.post(url, data=form_data(world, offering, pickup_people="陌生人"))
    db.session.expire_all()
    assert application.status is ApplicationStatus.APPROVED and application.pickup_people == "妈妈"


# --- The form names the child instead of asking for its number ---


def test_the_form_shows_the_child_and_lets_the_guardian_pick_another(client, world, login, db, offering):
    guardian = world.users["guardian"]
    sibling = factories.create_student(world.own_class, name="张小妹")
    factories.create_guardian(sibling)  # a second guardian of the sibling; ours is linked below
    from app.accounts.models import GuardianLink, Relationship

    db.session.add(GuardianLink(guardian=guardian, student=sibling, relationship_kind=Relationship.MOTHER,
                                verified=True))
    db.session.commit()
    login(guardian)
    form = page(client.get(apply_url(world, offering)))
    assert 'name="student_number"' not in form and 'inputmode="numeric"' not in form
    assert world.own_student.name in form and world.own_student.student_number in form
    assert f'href="/enrolment/apply/{sibling.id}/{offering.id}"' in form
    assert client.post(apply_url(world, offering), data=form_data(world, offering)).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(Application)).student_id == world.own_student.id


# --- Words for the people reading them ---


def two_for_one_place(app, db, world, offering):
    """Two children of the class for the one football place, drawn: one placed by the lottery, one waiting."""
    football = offering.activities[0]
    mine = factories.create_application(world.own_student, offering, choices=[football])
    rival = factories.create_application(factories.create_student(world.own_class), offering, choices=[football])
    db.session.commit()
    drawn(app, db, offering, mine)
    return mine, rival, db.session.scalar(db.select(Lottery))


def test_the_draw_page_explains_checking_in_words_and_finds_the_familys_ticket(app, client, world, login, db,
                                                                               offering):
    mine, rival, record = two_for_one_place(app, db, world, offering)
    login(world.users["guardian"])
    shown = page(client.get(f"/enrolment/lotteries/{record.id}"))
    assert "python -m" not in shown and "<pre" not in shown and '"inputs"' not in shown
    assert "自己核对抽签" in shown and f'href="/enrolment/lotteries/{record.id}.json"' in shown
    mine_row = next(row for row in shown.split("<tr") if mine.ticket in row)
    assert world.own_student.name in mine_row
    assert rival.student.name not in shown  # another family's child stays a ticket
    download = client.get(f"/enrolment/lotteries/{record.id}.json")
    assert download.status_code == 200 and download.get_json()["seed"] == record.seed


def test_your_lottery_number_to_the_family_the_childs_to_the_principal(app, client, world, login, db, offering):
    mine, _, _ = two_for_one_place(app, db, world, offering)
    login(world.users["guardian"])
    family = page(client.get(f"/enrolment/applications/{mine.id}"))
    assert "你的抽签号" in family
    client.post("/account/logout")
    login(world.users["school_admin"])
    for url in (f"/enrolment/applications/{mine.id}", f"/enrolment/offerings/{offering.id}"):
        principal = page(client.get(url))
        assert "该生抽签号" in principal and "你的抽签号" not in principal
    trail = page(client.get("/enrolment/audit"))
    assert "进行抽签" in trail and "种子: t<" in trail and "seed t" not in trail
    client.post("/language", data={"locale": "en"})
    principal = html.unescape(page(client.get(f"/enrolment/offerings/{offering.id}")))
    assert "the child's lottery number" in principal and "your lottery number" not in principal


def test_messages_name_the_offering_and_child_and_link_to_where_the_family_acts(client, world, login, db, offering):
    login(world.users["guardian"])
    assert client.post(apply_url(world, offering), data=form_data(world, offering)).status_code == 302
    application = db.session.scalar(db.select(Application))
    inbox = page(client.get("/messages"))
    assert offering.title in inbox and world.own_student.name in inbox
    assert f'href="/enrolment/applications/{application.id}"' in inbox
    client.post("/account/logout")
    login(world.users["class_teacher"])
    client.post(f"/enrolment/applications/{application.id}/return", data={"reason": "请补充接送人电话"})
    inbox = page(client.get("/messages"))  # the teacher was told of the new application
    assert offering.title in inbox and world.own_student.name in inbox
    assert f'href="/enrolment/applications/{application.id}"' in inbox
    note = db.session.scalars(db.select(Notification).filter_by(user_id=world.users["guardian"].id)
                              .order_by(Notification.id.desc())).first()
    assert "请补充接送人电话" in note.subject and offering.title in note.body
    assert note.link == f"/enrolment/applications/{application.id}"


@pytest.mark.parametrize(("locale", "words", "codes"), [
    ("zh_CN", ["应收费用", "已收款", "退费"], [">charge<", ">payment<", ">refund<"]),
    ("en", ["fee charged", "payment received", "refund"], [">charge<", ">payment<"]),
])
def test_ledger_lines_and_the_audit_trail_in_words(app, client, world, login, db, offering, locale, words, codes):
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED)
    db.session.commit()
    login(world.users["school_admin"])
    client.post("/language", data={"locale": locale})
    url = f"/enrolment/applications/{application.id}"
    client.post(url + "/charge", data={"first_month": local_today().replace(day=1).isoformat(), "months": "1"})
    client.post(url + "/payment", data={"amount": "200", "reference": "R1"})
    with app.test_request_context():
        services.withdraw(application, application.guardian, local_today() - timedelta(days=40))
    db.session.commit()
    statement = page(client.get(url + "/statement"))
    kinds = [cell.split("</td>")[0] for cell in statement.split('class="ledger-kind">')[1:]]
    assert kinds == words
    for code in codes:
        assert code not in statement
    trail = page(client.get("/enrolment/audit"))
    expected = {"zh_CN": ["收取费用", "登记收款", "退出申请"], "en": ["charged fees", "recorded a payment",
                                                                "withdrew the application"]}[locale]
    for label in expected:
        assert label in trail


def test_removing_a_place_asks_first(app, client, world, login, db, offering):
    mine, rival, _ = two_for_one_place(app, db, world, offering)
    placed = mine if mine.placed_choice is not None else rival
    login(world.users["school_admin"])
    shown = page(client.get(f"/enrolment/applications/{placed.id}"))
    form = shown.split(f'/enrolment/choices/{placed.placed_choice.id}/remove"')[1].split("</form>")[0]
    assert 'data-confirm="确定取消' in form
