"""Fees, charges and refunds by the school's calendar, within the 3-month span, at the signed notice's fee."""

from datetime import UTC, date, datetime

import pytest

from app.enrolment.models import ApplicationStatus, LedgerKind
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
