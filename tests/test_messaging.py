"""The SMS interface: development keeps an outbox page; production names a real backend and has no such page."""

import pytest

from app.messaging import sms
from tests.conftest import build_app


def test_the_development_outbox_shows_what_would_have_been_sent(app, client):
    sms.send_sms("13912345678", "验证码 123456")
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "13912345678" in page and "验证码 123456" in page


def test_a_site_with_a_real_sms_backend_has_no_outbox_page():
    app = build_app(SMS_BACKEND="app.messaging.sms:RefusingBackend")
    with app.app_context():
        assert app.test_client().get("/dev/outbox").status_code == 404
        with pytest.raises(sms.SmsError):
            sms.send_sms("13912345678", "x")


def test_no_outbox_page_outside_development_and_tests():
    app = build_app(DEV_OUTBOX=False)
    assert app.test_client().get("/dev/outbox").status_code == 404
