"""Fees, charges and refunds by the school's calendar, within the 3-month span, at the signed notice's fee."""

from datetime import UTC, date, datetime

import pytest

from app.enrolment import services
from app.enrolment.models import ActivityChoice, ApplicationStatus, ChoiceStatus, LedgerKind
from app.models_base import local_today
from app.programs.models import NoticeVersion
from app.programs.services import notice_content
from tests import factories

# 2026-11-30 17:00 on the server's clock (UTC) is already 2026-12-01 01:00 at a school in Shanghai.
SERVER_EVENING = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def server_clock(monkeypatch):
    """Set the moment the server lives in, as its clock would give it: the server's own date is the UTC date (a
    server keeps UTC), the school's date is that moment in the school's time zone. Only the clock is replaced."""

    def stop_at(moment: datetime) -> None:
        class ServerDateTime(datetime):
            @classmethod
            def now(cls, tz=None):
                return moment.astimezone(tz) if tz is not None else moment.astimezone(UTC).replace(tzinfo=None)

        class ServerDate(date):
            @classmethod
            def today(cls):
                return moment.astimezone(UTC).date()

        monkeypatch.setattr("app.models_base.datetime", ServerDateTime)
        monkeypatch.setattr("app.enrolment.routes.date", ServerDate, raising=False)

    return stop_at


def follow(client, response) -> str:
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.fixture
def offering(world, db):
    offering = factories.create_offering(world.own_school)
    db.session.commit()
    return offering


def approved(world, db, offering):
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED)
    db.session.commit()
    return application


# --- Whose date: the school's, not the server's ---


def test_after_midnight_at_school_the_month_begun_there_is_due_not_refunded(server_clock, client, world, login, db,
                                                                             offering):
    server_clock(SERVER_EVENING)  # the server still says 30 November; at school December has begun
    application = approved(world, db, offering)
    url = f"/enrolment/applications/{application.id}"
    login(world.users["school_admin"])
    assert client.post(url + "/charge", data={"first_month": "2026-12-01", "months": "1"}).status_code == 302
    assert client.post(url + "/payment", data={"amount": "200", "reference": "R1"}).status_code == 302
    client.post("/account/logout")
    login(application.guardian)
    client.post("/language", data={"locale": "en"})
    assert "Refund due if you withdraw today: ¥0.00" in client.get(url + "/withdraw").get_data(as_text=True)
    page = follow(client, client.post(url + "/withdraw", data={}))
    assert "Refund due: ¥0.00" in page
    db.session.expire_all()
    assert LedgerKind.REFUND not in [entry.kind for entry in application.ledger]


# --- 000 (二)13: no charge, single or split, covering more than 3 months ---


def charged(application) -> list[tuple[str, int]]:
    return [(e.period_start, e.months) for e in application.ledger if e.kind is LedgerKind.CHARGE]


def test_charges_together_never_reach_past_the_third_month_counting_this_one(server_clock, client, world, login, db,
                                                                             offering):
    server_clock(SERVER_EVENING)  # 1 December at school: December to February at most
    application = approved(world, db, offering)
    url = f"/enrolment/applications/{application.id}"
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    assert client.post(url + "/charge", data={"first_month": "2026-12-01", "months": "1"}).status_code == 302
    page = follow(client, client.post(url + "/charge", data={"first_month": "2027-01-01", "months": "3"}))
    assert "more than 3 months" in page  # December to March: four months of fees at once, split in two charges
    page = follow(client, client.post(url + "/charge", data={"first_month": "2027-03-01", "months": "1"}))
    assert "more than 3 months" in page  # one month, but March is the fourth month from now
    page = follow(client, client.post(url + "/charge", data={"first_month": "2026-12-01", "months": "1"}))
    assert "already charged" in page
    assert client.post(url + "/charge", data={"first_month": "2027-01-01", "months": "2"}).status_code == 302
    db.session.expire_all()
    assert charged(application) == [("2026-12", 1), ("2027-01", 2)]


def test_months_already_over_are_not_counted_but_one_charge_stays_within_three_months(server_clock, client, world,
                                                                                      login, db, offering):
    server_clock(SERVER_EVENING)
    application = approved(world, db, offering)
    url = f"/enrolment/applications/{application.id}"
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    # September to November, owed for service already given: used up, so December to February may still be charged
    assert client.post(url + "/charge", data={"first_month": "2026-09-01", "months": "3"}).status_code == 302
    assert client.post(url + "/charge", data={"first_month": "2026-12-01", "months": "3"}).status_code == 302
    page = follow(client, client.post(url + "/charge", data={"first_month": "2026-08-01", "months": "4"}))
    assert "Between 1 and 3 months" in page
    db.session.expire_all()
    assert charged(application) == [("2026-09", 3), ("2026-12", 3)]


def test_no_payment_beyond_what_is_charged(client, world, login, db, offering):
    application = approved(world, db, offering)
    url = f"/enrolment/applications/{application.id}"
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    page = follow(client, client.post(url + "/payment", data={"amount": "200", "reference": "R0"}))
    assert "more than what is owed (¥0.00)" in page
    month = local_today().replace(day=1).isoformat()
    assert client.post(url + "/charge", data={"first_month": month, "months": "1"}).status_code == 302
    page = follow(client, client.post(url + "/payment", data={"amount": "300", "reference": "R1"}))
    assert "more than what is owed (¥200.00)" in page
    assert client.post(url + "/payment", data={"amount": "150", "reference": "R2"}).status_code == 302
    page = follow(client, client.post(url + "/payment", data={"amount": "50.01", "reference": "R3"}))
    assert "more than what is owed (¥50.00)" in page
    db.session.expire_all()
    assert [e.amount_cents for e in application.ledger if e.kind is LedgerKind.PAYMENT] == [15000]
    assert services.balance_cents(application) == 5000


# --- The fee the family signed for ---


def test_the_monthly_fee_is_the_one_on_the_notice_the_family_signed(client, world, login, db):
    offering = factories.create_offering(world.own_school)  # version 1: ¥200 a month, football ¥50 more
    football = factories.create_activity(offering, name="足球", fee_cents=5000)
    notice = db.session.scalar(db.select(NoticeVersion).filter_by(offering_id=offering.id, version=1))
    db.session.refresh(offering)
    notice.content = notice_content(offering)  # the version as published, with the activity in it
    application = approved(world, db, offering)
    choice = ActivityChoice(activity_id=football.id, rank=1, status=ChoiceStatus.PLACED)
    application.choices.append(choice)
    # Later the school raises both fees and publishes version 2: the family signed version 1.
    offering.basic_fee_cents, football.fee_cents = 30000, 8000
    offering.published_version = 2
    db.session.add(NoticeVersion(offering_id=offering.id, version=2, content=notice_content(offering)))
    db.session.commit()
    assert application.notice_version == 1 and application.placed_choice is not None
    url = f"/enrolment/applications/{application.id}"
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    assert "monthly fee ¥250.00" in client.get(url + "/statement").get_data(as_text=True)
    month = local_today().replace(day=1).isoformat()
    assert client.post(url + "/charge", data={"first_month": month, "months": "2"}).status_code == 302
    db.session.expire_all()
    assert [e.amount_cents for e in application.ledger if e.kind is LedgerKind.CHARGE] == [50000]
