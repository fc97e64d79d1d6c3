"""Proof of the mobile number: one-time codes by SMS at registration, a forgotten password and a change of mobile."""

from datetime import timedelta

import pytest

from app.accounts.models import CodePurpose, OneTimeCode, User
from app.models_base import utcnow
from tests import factories
from tests.sms import last_sms, sent_code

NEW = {"name": "李家长", "mobile": "13912345678", "password": "good-password", "confirm": "good-password"}


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def ask_registration(client, **overrides):
    response = client.post("/account/register", data={**NEW, **overrides})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def accounts(db, mobile: str = NEW["mobile"]) -> int:
    return db.session.scalar(db.select(db.func.count(User.id)).filter_by(mobile=mobile))


# --- Registration -----------------------------------------------------------------------------------------------

def test_no_account_exists_before_the_code_is_entered(client, db):
    ask_registration(client)
    assert accounts(db) == 0
    assert client.get("/dashboard").status_code == 302
    assert "验证码" in last_sms(NEW["mobile"])
    assert client.post("/account/register/code", data={"code": sent_code(NEW["mobile"])}).status_code == 302
    assert accounts(db) == 1 and client.get("/dashboard").status_code == 200


def test_codes_are_kept_only_as_a_keyed_hash(client, db):
    ask_registration(client)
    code = sent_code(NEW["mobile"])
    row = db.session.scalar(db.select(OneTimeCode))
    assert row.purpose is CodePurpose.REGISTER and code not in row.code_hash and len(row.code_hash) == 64
    assert row.password_hash.startswith("$argon2id$") and "good-password" not in row.password_hash


def test_a_code_dies_after_its_tries(app, client, db):
    ask_registration(client)
    code = sent_code(NEW["mobile"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(app.config["ONE_TIME_CODE_TRIES"]):
        page = client.post("/account/register/code", data={"code": wrong}).get_data(as_text=True)
        assert "验证码错误或已失效" in page
    response = client.post("/account/register/code", data={"code": code})  # the right one, too late
    assert response.status_code == 200 and accounts(db) == 0


def test_a_code_expires(client, db):
    ask_registration(client)
    row = db.session.scalar(db.select(OneTimeCode))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.post("/account/register/code", data={"code": sent_code(NEW["mobile"])})
    assert accounts(db) == 0


def test_a_new_code_replaces_the_earlier_one(client, db):
    ask_registration(client)
    first = sent_code(NEW["mobile"])
    ask_registration(client)
    second = sent_code(NEW["mobile"])
    if first != second:
        client.post("/account/register/code", data={"code": first})
        assert accounts(db) == 0
    client.post("/account/register/code", data={"code": second})
    assert accounts(db) == 1


def test_the_code_page_without_a_code_sent_goes_back_to_registration(client):
    response = client.get("/account/register/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/register")


# --- Forgotten password -----------------------------------------------------------------------------------------

def test_a_forgotten_password_is_reset_with_the_code_and_other_sessions_end(app, client, db, world):
    user = world.users["guardian"]
    other_device = app.test_client()
    other_device.post("/account/login", data={"mobile": user.mobile, "password": factories.PASSWORD})
    assert "忘记密码" in client.get("/account/login").get_data(as_text=True)
    response = client.post("/account/forgot", data={"mobile": user.mobile})
    assert response.headers["Location"].endswith("/account/forgot/code")
    code = sent_code(user.mobile)
    assert "重设密码" in last_sms(user.mobile)
    response = client.post("/account/forgot/code", data={"code": code, "password": "fresh-start-77",
                                                          "confirm": "fresh-start-77"})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    db.session.expire_all()
    assert user.check_password("fresh-start-77") and not user.check_password(factories.PASSWORD)


def test_a_forgotten_password_answer_does_not_reveal_whether_the_number_has_an_account(client, world):
    known = client.post("/account/forgot", data={"mobile": world.users["guardian"].mobile})
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = client.post("/account/forgot", data={"mobile": "13899990000"})
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.headers["Location"] == unknown.headers["Location"]
    assert "验证码短信正在发送中" in known_page and "验证码短信正在发送中" in unknown_page
    assert last_sms("13899990000") is None


def test_a_reset_needs_the_right_code_and_a_good_password(client, db, world):
    user = world.users["teacher"]
    client.post("/account/forgot", data={"mobile": user.mobile})
    code = sent_code(user.mobile)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page = client.post("/account/forgot/code", data={"code": wrong, "password": "fresh-start-77",
                                                      "confirm": "fresh-start-77"}).get_data(as_text=True)
    assert "验证码错误或已失效" in page
    page = client.post("/account/forgot/code", data={"code": code, "password": user.mobile,
                                                      "confirm": user.mobile}).get_data(as_text=True)
    assert "请不要用手机号作密码" in page
    db.session.expire_all()
    assert user.check_password(factories.PASSWORD)


def test_a_reset_ends_the_duty_to_change_an_administrators_password(client, db, world):
    user = world.users["finance"]
    user.must_change_password = True
    db.session.commit()
    client.post("/account/forgot", data={"mobile": user.mobile})
    client.post("/account/forgot/code", data={"code": sent_code(user.mobile), "password": "fresh-start-77",
                                               "confirm": "fresh-start-77"})
    assert client.get("/dashboard").status_code == 200


# --- Change of mobile ------------------------------------------------------------------------------------------

def test_a_new_mobile_is_proved_by_a_code_and_the_old_number_is_told(app, client, db, world, login):
    user = world.users["guardian"]
    old = user.mobile
    login(user)
    assert "更换登录手机号" in client.get("/account/password").get_data(as_text=True)
    response = client.post("/account/mobile", data={"mobile": "13655556666", "current": factories.PASSWORD})
    assert response.headers["Location"].endswith("/account/mobile/code")
    db.session.expire_all()
    assert user.mobile == old  # nothing changes before the code
    response = client.post("/account/mobile/code", data={"code": sent_code("13655556666")})
    assert response.status_code == 302
    db.session.expire_all()
    assert user.mobile == "13655556666"
    assert "136****6666" in last_sms(old)
    assert client.get("/dashboard").status_code == 200
    fresh = app.test_client()
    assert fresh.post("/account/login", data={"mobile": "13655556666", "password": factories.PASSWORD}
                      ).status_code == 302


def test_a_change_of_mobile_needs_the_current_password(client, world, login):
    login(world.users["teacher"])
    page = client.post("/account/mobile", data={"mobile": "13655556666", "current": "not-it-at-all"})
    assert "当前密码不正确" in page.get_data(as_text=True)
    assert last_sms("13655556666") is None


def test_a_taken_number_gets_no_code_and_the_answer_is_the_same(client, db, world, login):
    user = world.users["guardian"]
    taken = world.users["teacher"].mobile
    login(user)
    response = client.post("/account/mobile", data={"mobile": taken, "current": factories.PASSWORD})
    assert response.headers["Location"].endswith("/account/mobile/code")
    assert sent_code(taken) is None
    client.post("/account/mobile/code", data={"code": "123456"})
    db.session.expire_all()
    assert user.mobile != taken


def test_a_code_asked_for_by_one_account_does_not_move_another(app, client, db, world, login):
    user, other = world.users["guardian"], world.users["class_teacher"]
    login(user)
    client.post("/account/mobile", data={"mobile": "13655556666", "current": factories.PASSWORD})
    code = sent_code("13655556666")
    thief = app.test_client()
    thief.post("/account/login", data={"mobile": other.mobile, "password": factories.PASSWORD})
    with thief.session_transaction() as session:
        session["new_mobile"] = "13655556666"
    thief.post("/account/mobile/code", data={"code": code})
    db.session.expire_all()
    assert other.mobile != "13655556666" and user.mobile != "13655556666"


# --- Rate limits --------------------------------------------------------------------------------------------------

@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_codes_to_one_number_are_limited_whatever_the_address(app):
    allowed = int(app.config["SMS_MOBILE_RATE_LIMIT"].split()[0])
    for attempt in range(allowed):
        ask_registration(client_at(app, f"203.0.113.{attempt + 1}"))
    response = client_at(app, "198.51.100.1").post("/account/register", data=NEW)
    assert response.status_code == 429
    response = client_at(app, "198.51.100.1").post("/account/forgot", data={"mobile": "13700001111"})
    assert response.status_code == 302  # another number is not held up


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_codes_from_one_address_are_limited_whatever_the_number(app, client):
    allowed = int(app.config["SMS_ADDRESS_RATE_LIMIT"].split()[0])
    for attempt in range(allowed):
        ask_registration(client, mobile=f"137{attempt:08d}")
    assert client.post("/account/register", data={**NEW, "mobile": "13799999999"}).status_code == 429
    assert client.post("/account/forgot", data={"mobile": "13799999999"}).status_code == 429


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_entering_codes_is_limited(app, client):
    ask_registration(client)
    allowed = int(app.config["CODE_CHECK_RATE_LIMIT"].split()[0])
    for _ in range(allowed):
        assert client.post("/account/register/code", data={"code": "000000"}).status_code == 200
    assert client.post("/account/register/code", data={"code": sent_code(NEW["mobile"])}).status_code == 429


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_mistyped_forms_do_not_use_up_the_codes(app, client):
    allowed = int(app.config["SMS_MOBILE_RATE_LIMIT"].split()[0])
    for _ in range(allowed + 2):
        page = client.post("/account/register", data={**NEW, "confirm": "not-the-same"})
        assert page.status_code == 200
    ask_registration(client)


def test_a_numbers_old_codes_are_deleted_when_it_asks_again(client, db):
    ask_registration(client)
    old = db.session.scalar(db.select(OneTimeCode))
    old.expires_at = utcnow() - timedelta(days=2)
    db.session.commit()
    ask_registration(client)
    db.session.expire_all()
    remaining = db.session.scalars(db.select(OneTimeCode)).all()
    assert len(remaining) == 1 and remaining[0].expires_at > utcnow()  # only the new code is left


@pytest.mark.settings(SMS_BACKEND="app.messaging.sms:RefusingBackend")
def test_an_sms_the_provider_refuses_leaves_nothing_behind_and_says_to_try_later(client, db, world):
    page = client.post("/account/register", data=NEW)
    assert page.status_code == 200 and "短信暂时发送失败" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(OneTimeCode.id))) == 0
    # A forgotten password answers as always: a failure only for registered numbers would tell them apart.
    known = client.post("/account/forgot", data={"mobile": world.users["guardian"].mobile})
    unknown = client.post("/account/forgot", data={"mobile": "13899990000"})
    assert known.status_code == unknown.status_code == 302
