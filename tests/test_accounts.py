"""Registering, logging in and out, and sessions that end on the server."""

from app.accounts.models import Role, User
from tests import factories
from tests.sms import last_sms, sent_code


def register(client, **overrides):
    """Fill in the registration form, then enter the code the SMS brought (read from the development outbox)."""
    data = {"name": "李家长", "mobile": "13912345678", "password": "good-password", "confirm": "good-password"}
    data.update(overrides)
    response = client.post("/account/register", data=data)
    if response.status_code != 302:
        return response
    code = sent_code(data["mobile"])
    return client.post("/account/register/code", data={"code": code or "000000"})


def test_guardian_registers_and_lands_on_dashboard(client, db):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(mobile="13912345678"))
    assert user.role is Role.GUARDIAN
    assert user.password_hash.startswith("$argon2id$") and user.check_password("good-password")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "李家长" in page


def test_a_registered_number_is_not_revealed_and_its_owner_is_told(client, db):
    other = factories.create_user(Role.GUARDIAN, mobile="13800001111")
    db.session.commit()
    free = client.post("/account/register", data={
        "name": "张家长", "mobile": "13800002222", "password": "good-password", "confirm": "good-password"})
    taken = client.post("/account/register", data={
        "name": "别人", "mobile": other.mobile, "password": "good-password", "confirm": "good-password"})
    assert free.status_code == taken.status_code == 302
    assert free.headers["Location"] == taken.headers["Location"]
    free_page = client.get(free.headers["Location"]).get_data(as_text=True)
    assert "验证码短信已发送到138****1111" in free_page and "已注册" not in free_page
    assert "有人尝试用本手机号注册新账号" in last_sms(other.mobile)
    assert sent_code(other.mobile) is None  # a warning, no code: nothing to enter
    response = client.post("/account/register/code", data={"code": "123456"})
    assert "验证码错误或已失效" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(mobile=other.mobile)) == 1
    assert other.name != "别人" and client.get("/dashboard").status_code == 302


def test_bad_registration_fields_are_explained_in_chinese(client, db):
    response = register(client, mobile="12345", password="short", confirm="other", name="x" * 51)
    page = response.get_data(as_text=True)
    assert "手机号为以1开头的11位数字" in page
    assert "两次输入的密码不一致" in page
    assert "最多50个字符" in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_wrong_password_is_refused(client, world):
    user = world.users["guardian"]
    response = client.post("/account/login", data={"mobile": user.mobile, "password": "nope-nope"})
    assert response.status_code == 200
    assert "手机号或密码错误" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_logout_ends_the_session_on_the_server(app, client, world, login):
    login(world.users["guardian"])
    copied_cookie = client.get_cookie("session").value
    client.post("/account/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied_cookie)
    response = thief.get("/dashboard")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, world, login):
    user = world.users["teacher"]
    login(user)
    other_device = app.test_client()
    other_device.post("/account/login", data={"mobile": user.mobile, "password": factories.PASSWORD})
    assert other_device.get("/dashboard").status_code == 200
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302


def test_password_change_needs_the_current_password(client, world, login):
    login(world.users["teacher"])
    response = client.post("/account/password", data={
        "current": "not-it-at-all", "password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_login_does_not_follow_an_offsite_next(client, world):
    user = world.users["guardian"]
    response = client.post("/account/login?next=//evil.example/x",
                           data={"mobile": user.mobile, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/dashboard"


def test_passwords_are_argon2id_and_older_scrypt_hashes_are_upgraded_at_login(app, client, db):
    from werkzeug.security import generate_password_hash

    user = factories.create_guardian()
    user.password_hash = generate_password_hash("old-secret-1", method="scrypt:1024:8:1")  # made before Argon2
    db.session.commit()
    assert client.post("/account/login", data={"mobile": user.mobile, "password": "wrong-one-1"}).status_code == 200
    assert user.password_hash.startswith("scrypt:")
    assert client.post("/account/login", data={"mobile": user.mobile, "password": "old-secret-1"}).status_code == 302
    db.session.expire_all()
    assert user.password_hash.startswith("$argon2id$") and user.check_password("old-secret-1")
    assert not user.check_password("old-secret-2")
