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


def test_a_registration_code_goes_to_the_gateway_as_its_filed_template_and_works(app, client, db):
    """SMS_BACKEND=http: the code travels as the provider's template id and parameters, and the code it carried
    completes the registration."""
    from app.accounts.models import User
    from tests.sms_gateway import SmsGateway

    with SmsGateway() as gateway:
        app.config.update(SMS_BACKEND="http", SMS_GATEWAY_URL=gateway.url, SMS_TEMPLATES={"code_register": "SMS_1001"})
        app.extensions.pop("sms_backend", None)
        client.post("/account/register", data={"name": "李家长", "mobile": "13912345678",
                                                "password": "good-password", "confirm": "good-password"})
        [sent] = gateway.to("13912345678")
    assert sent.template == "SMS_1001" and set(sent.params) == {"code", "minutes"}
    assert client.post("/account/register/code", data={"code": sent.params["code"]}).status_code == 302
    assert db.session.scalar(db.select(User).filter_by(mobile="13912345678")) is not None


def test_the_outbox_shows_the_filed_templates_text():
    from app.messaging import templates

    assert templates.render("code_reset_password", {"code": "123456", "minutes": 10}) == (
        "您正在重设密码，验证码123456，10分钟内有效，请勿告诉他人。")
