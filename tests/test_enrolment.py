"""From application to approved place: bad input refused, review, approval with the lottery, waiting list, money."""

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
    Notification,
    Seat,
)
from app.models_base import utcnow
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
    data = {"student_number": world.own_student.student_number, "weekdays": ["0", "2"], "choice_1": football.id,
            "choice_2": "0", "choice_3": "0", "pickup": "collected", "pickup_people": "妈妈 李梅",
            "health_notes": "", "agree": "y"}
    data.update(changes)
    return data


def apply_url(world, offering):
    return f"/enrolment/apply/{world.own_student.id}/{offering.id}"


@pytest.mark.parametrize(("changes", "message"), [
    ({"student_number": "WRONG"}, "is not"),
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
        services.withdraw(rival, rival.guardian, date.today())
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


def test_fees_at_most_three_months_ahead_and_refund_on_withdrawal(app, client, world, login, db, offering):
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED)
    db.session.commit()
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    url = f"/enrolment/applications/{application.id}"
    next_month = date(date.today().year + (date.today().month == 12), date.today().month % 12 + 1, 1)
    page = follow(client, client.post(url + "/charge", data={"first_month": next_month.isoformat(), "months": "4"}))
    assert "Between 1 and 3 months" in page
    assert client.post(url + "/charge", data={"first_month": next_month.isoformat(), "months": "3"}).status_code == 302
    page = follow(client, client.post(url + "/charge", data={"first_month": next_month.isoformat(), "months": "1"}))
    assert "more than 3 months in advance" in page
    client.post(url + "/payment", data={"amount": "600", "reference": "收据001"})
    db.session.expire_all()
    assert services.balance_cents(application) == 0
    with app.test_request_context():
        assert services.withdraw(application, application.guardian, date.today()) == 60000
    assert [e.kind for e in application.ledger] == [LedgerKind.CHARGE, LedgerKind.PAYMENT, LedgerKind.REFUND]
