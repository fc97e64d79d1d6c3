"""Accounts as an attacker and an auditor meet them: login cost, proxies, production settings, cookies, idle staff
sessions, guessable passwords and passwords an administrator chose."""

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from app.accounts import password_policy, passwords
from app.accounts.models import Role, User
from config import ProductionConfig
from tests import factories


def credentials(user, password: str = factories.PASSWORD) -> dict:
    return {"mobile": user.mobile, "password": password}


# --- Login costs the same for unknown numbers ------------------------------------------------------------------

@pytest.fixture
def verifications(monkeypatch):
    """Count the password hashes verified (the expensive part of a login)."""
    calls = []
    real = passwords.verify_password

    def counting(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


def test_a_login_for_an_unknown_number_verifies_a_hash_like_a_known_one(client, world, verifications):
    known = client.post("/account/login", data=credentials(world.users["guardian"], "wrong-password"))
    assert len(verifications) == 1
    unknown = client.post("/account/login", data={"mobile": "13899998888", "password": "wrong-password"})
    assert len(verifications) == 2 and verifications[1].startswith("$argon2id$")
    assert known.get_data(as_text=True).count("手机号或密码错误") == 1
    assert unknown.get_data(as_text=True).count("手机号或密码错误") == 1


def test_a_deactivated_account_costs_a_verification_too_and_is_refused(client, db, world, verifications):
    user = world.users["teacher"]
    user.is_active_account = False
    db.session.commit()
    response = client.post("/account/login", data=credentials(user))
    assert len(verifications) == 1
    assert "手机号或密码错误" in response.get_data(as_text=True)


# --- Behind the proxy --------------------------------------------------------------------------------------------

@pytest.mark.settings(PROXY_HOPS=1)
def test_behind_one_proxy_the_forwarded_scheme_brings_hsts(client):
    response = client.get("/account/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_without_a_configured_proxy_forwarded_headers_are_not_believed(client):
    response = client.get("/account/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.settings(PROXY_HOPS=1, RATELIMIT_ENABLED=True)
def test_behind_one_proxy_each_client_has_its_own_login_limit(app, client, world):
    users = list(world.users.values()) + list(world.other_users.values())
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for attempt in range(limit):
        response = client.post("/account/login", data=credentials(users[attempt % len(users)], "wrong-password"),
                               headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 200
    blocked = client.post("/account/login", data=credentials(world.users["guardian"]),
                          headers={"X-Forwarded-For": "203.0.113.9"})
    assert blocked.status_code == 429
    # Another household behind the same proxy still logs in.
    other = client.post("/account/login", data=credentials(world.users["guardian"]),
                        headers={"X-Forwarded-For": "198.51.100.20"})
    assert other.status_code == 302


# --- Production settings -----------------------------------------------------------------------------------------

@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    monkeypatch.setenv("SMS_BACKEND", "example_sms:Backend")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://localhost:6379/1")
    for name in ("RATELIMIT_ALLOW_MEMORY", "PROXY_HOPS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_with_each_worker_counting_on_its_own(production_env):
    production_env.delenv("RATELIMIT_STORAGE_URI")
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must name a shared store"):
        ProductionConfig()
    production_env.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    assert ProductionConfig().RATELIMIT_STORAGE_URI == "memory://"


def test_production_refuses_the_development_sms_outbox(production_env):
    production_env.delenv("SMS_BACKEND")
    with pytest.raises(RuntimeError, match="SMS_BACKEND must name"):
        ProductionConfig()


def test_production_reads_the_proxy_hops_and_shared_store(production_env):
    production_env.setenv("PROXY_HOPS", "1")
    config = ProductionConfig()
    assert config.PROXY_HOPS == 1 and config.RATELIMIT_STORAGE_URI == "redis://localhost:6379/1"
    assert config.REMEMBER_COOKIE_DURATION <= timedelta(days=30) and config.REMEMBER_COOKIE_SECURE


# --- Remember me ---------------------------------------------------------------------------------------------------

def test_remember_me_lasts_a_month_at_most_and_is_same_site_lax(client, world):
    response = client.post("/account/login", data={**credentials(world.users["guardian"]), "remember": "y"})
    cookie = next(header for header in response.headers.getlist("Set-Cookie") if header.startswith("remember_token="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie


def test_staff_are_not_remembered_on_a_device(client, world):
    client.post("/account/login", data={**credentials(world.users["teacher"]), "remember": "y"})
    assert client.get_cookie("remember_token") is None
    assert client.get("/dashboard").status_code == 200


# --- Idle staff sessions ------------------------------------------------------------------------------------------

def leave_idle(client, minutes: int) -> None:
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - minutes * 60


@pytest.mark.parametrize("role", ["teacher", "school_admin", "finance", "provider_staff", "county_officer"])
def test_an_idle_staff_session_ends(app, client, world, login, role):
    login(world.users[role])
    idle = int(app.config["STAFF_IDLE_TIMEOUT"].total_seconds() // 60)
    leave_idle(client, idle - 1)
    assert client.get("/dashboard").status_code == 200
    leave_idle(client, idle + 1)
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert "next=/dashboard" in response.headers["Location"]
    assert "长时间未操作" in client.get("/account/login").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_a_staff_session_restored_from_an_old_remember_cookie_ends(client, world, login):
    login(world.users["teacher"])
    with client.session_transaction() as session:  # what Flask-Login leaves after restoring from the cookie
        session.pop("seen_at")
        session["_fresh"] = False
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_guardian_is_not_logged_out_for_being_idle(client, world, login):
    login(world.users["guardian"])
    leave_idle(client, 24 * 60)
    assert client.get("/dashboard").status_code == 200


def test_a_new_login_is_not_ended_by_an_earlier_sessions_idle_time(client, world, login):
    leave_idle(client, 24 * 60)  # left by someone who used this browser yesterday
    login(world.users["teacher"])
    assert client.get("/dashboard").status_code == 200


# --- Guessable passwords ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "12345678", "123456789", "iloveyou", "qwertyuiop", "woaini1314", "1qaz2wsx", "p@ssw0rd",  # the bundled list
    "aaaaaaaaaa", "abababab", "123123123",  # one character, repeats
    "23456789", "87654321", "abcdefgh", "asdfghjk",  # sequences and keyboard runs
    "Password-2026", "password123!", "P@ssw0rd2026", "demo-2026", "Demo2026!", "2026demo",  # word + digits
    "13912345678", "my13912345678",  # the mobile number
])
def test_guessable_passwords_are_refused(app, password):
    with app.test_request_context():
        assert password_policy.weakness(password, mobile="13912345678") is not None


@pytest.mark.parametrize("password", ["good-password", "brand-new-pass", "晴天小猫2026跑步", "tiger-lily-88",
                                      "correct horse battery staple", "Kh7#pq2Lm9"])
def test_ordinary_passwords_are_accepted(app, password):
    with app.test_request_context():
        assert password_policy.weakness(password, mobile="13912345678") is None


def test_registration_refuses_a_common_password_with_the_reason(client, db):
    response = client.post("/account/register", data={
        "name": "李家长", "mobile": "13912345678", "password": "Password-2026", "confirm": "Password-2026"})
    assert "常见单词加数字很容易被猜到" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_a_new_password_may_not_be_the_mobile_number_or_the_current_one(client, world, login):
    user = world.users["guardian"]
    login(user)
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": user.mobile, "confirm": user.mobile})
    assert "不要用手机号作密码" in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": factories.PASSWORD, "confirm": factories.PASSWORD})
    assert "请设置一个与当前密码不同的密码" in response.get_data(as_text=True)


# --- A password an administrator set is changed at first login -------------------------------------------------

def test_a_finance_officer_made_on_the_command_line_must_choose_a_password_first(client, runner, world, db):
    result = runner.invoke(args=["add-finance-officer", "--county", world.county.code, "--school",
                                 world.own_school.code, "--mobile", "13612345678", "--name", "李会计",
                                 "--password", "given-by-it-2026"])
    assert result.exit_code == 0, result.output
    response = client.post("/account/login", data={"mobile": "13612345678", "password": "given-by-it-2026"})
    assert response.status_code == 302
    for url in ("/dashboard", "/enrolment/finance"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert "密码由管理员设置" in page
    response = client.post("/account/password", data={
        "current": "given-by-it-2026", "password": "my-own-choice-7", "confirm": "my-own-choice-7"})
    assert response.status_code == 302
    assert client.get("/enrolment/finance").status_code == 200
    officer = db.session.scalar(db.select(User).filter_by(mobile="13612345678"))
    assert not officer.must_change_password


def test_staff_the_school_creates_with_a_password_must_change_it(app, client, db, world, login):
    login(world.users["school_admin"])
    client.post("/staff/new", data={
        "name": "王老师", "mobile": "13711112222", "staff_type": "teacher", "password": "first-pass-1",
        "subjects": ["数学"], "skills": ["supervision"]})
    user = db.session.scalar(db.select(User).filter_by(mobile="13711112222"))
    assert user.role is Role.TEACHER and user.must_change_password
    fresh = app.test_client()
    fresh.post("/account/login", data={"mobile": user.mobile, "password": "first-pass-1"})
    assert fresh.get("/dashboard").headers["Location"].endswith("/account/password")
    assert fresh.post("/account/logout").status_code == 302  # logging out stays possible


def test_accounts_that_chose_their_own_password_are_not_sent_to_change_it(client, world, login):
    login(world.users["teacher"])
    assert client.get("/dashboard").status_code == 200


def test_every_kind_of_stored_hash_checks_the_password_and_a_broken_one_refuses_it(app):
    from argon2 import PasswordHasher, Type
    from werkzeug.security import generate_password_hash

    secret = "晴天小猫2026跑步"
    with app.test_request_context():
        argon2id = passwords.hash_password(secret)  # checked by libsodium
        stored = {"argon2id": argon2id,
                  "argon2id, 4 lanes": PasswordHasher(time_cost=1, memory_cost=8192, parallelism=4).hash(secret),
                  "argon2i": PasswordHasher(time_cost=1, memory_cost=8192, type=Type.I).hash(secret),
                  "scrypt": generate_password_hash(secret)}
        for kind, value in stored.items():
            assert passwords.verify_password(value, secret), kind
            assert not passwords.verify_password(value, secret[:-1]), kind
        for broken in (argon2id[:-6], argon2id + "x", "$argon2id$v=19$m=19456,t=2,p=1$garbage", "$argon2id$"):
            assert not passwords.verify_password(broken, secret), broken


@pytest.mark.parametrize("old", ["argon2id 19 MiB × 2", "scrypt"])
def test_a_hash_made_with_other_settings_is_replaced_at_the_next_login(app, client, db, login, old):
    from argon2 import PasswordHasher
    from werkzeug.security import generate_password_hash

    guardian = factories.create_guardian()
    guardian.password_hash = (PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(factories.PASSWORD)
                              if old.startswith("argon2id") else generate_password_hash(factories.PASSWORD))
    db.session.commit()
    before = guardian.password_hash
    login(guardian)
    db.session.refresh(guardian)
    settings = app.config["PASSWORD_ARGON2"]
    assert guardian.password_hash != before
    assert guardian.password_hash.startswith(
        f"$argon2id$v=19$m={settings['memory_cost']},t={settings['time_cost']},p={settings['parallelism']}$")
    with app.test_request_context():
        assert passwords.verify_password(guardian.password_hash, factories.PASSWORD)
        assert not passwords.needs_rehash(guardian.password_hash)
