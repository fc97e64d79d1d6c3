"""CSRF, security headers, login throttling, ended sessions, error pages and redirects, as an attacker meets them."""

import re

import pytest

from tests import factories

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no csrf_token field in the page"
    return match.group(1) or match.group(2)


def credentials(user, password: str = factories.PASSWORD) -> dict:
    return {"mobile": user.mobile, "password": password}


# --- CSRF ---------------------------------------------------------------------------------------------------------

@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_post_without_the_csrf_token_is_refused(client, world):
    response = client.post("/account/login", data=credentials(world.users["guardian"]))
    assert response.status_code == 400
    assert "无法处理该请求。如果您正在提交表单，请返回、刷新页面后重试。" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # not logged in


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_post_with_the_token_from_the_page_works(client, world):
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    response = client.post("/account/login", data={**credentials(world.users["guardian"]), "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_forged_logout_or_language_switch_changes_nothing(client, world):
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    client.post("/account/login", data={**credentials(world.users["guardian"]), "csrf_token": token})
    assert client.post("/account/logout").status_code == 400
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.get_data(as_text=True)


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_token_from_another_session_is_refused(app, client, world):
    attacker = app.test_client()
    token = csrf_token(attacker.get("/account/login").get_data(as_text=True))
    response = client.post("/account/login", data={**credentials(world.users["guardian"]), "csrf_token": token})
    assert response.status_code == 400


# --- Security headers -------------------------------------------------------------------------------------------

def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_security_headers(response) -> None:
    policy = directives(response.headers["Content-Security-Policy"])
    script_sources = policy.get("script-src", policy.get("default-src"))
    assert script_sources, "no script-src or default-src in the CSP"
    assert "'unsafe-inline'" not in script_sources and "'unsafe-eval'" not in script_sources
    assert "*" not in script_sources
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("object-src") == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"no-referrer", "same-origin", "strict-origin",
                                                   "strict-origin-when-cross-origin"}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def assert_nothing_inline(page: str) -> None:
    """The CSP blocks inline script, event handlers and style attributes: a page that has them is broken."""
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page).group(0)
    assert not INLINE_HANDLER.search(page), INLINE_HANDLER.search(page).group(0)
    assert not INLINE_STYLE.search(page), INLINE_STYLE.search(page).group(0)


@pytest.mark.parametrize("url", ["/", "/account/login", "/account/register", "/no-such-page", "/healthz"])
def test_public_responses_carry_the_security_headers(client, url):
    response = client.get(url)
    assert_security_headers(response)
    if response.mimetype == "text/html":
        assert_nothing_inline(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["guardian", "class_teacher", "school_admin", "provider_staff", "county_officer"])
def test_logged_in_pages_carry_the_headers_and_are_not_cached(client, world, login, role):
    login(world.users[role])
    for url in ("/dashboard", "/account/password"):
        response = client.get(url)
        assert response.status_code == 200
        assert_security_headers(response)
        assert_nothing_inline(response.get_data(as_text=True))
        assert "no-store" in response.headers["Cache-Control"]


# --- Login throttling -------------------------------------------------------------------------------------------

def client_at(app, address: str):
    """A test client whose requests come from this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def per_minute(app, setting: str) -> int:
    return int(app.config[setting].split()[0])


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_login_attempts_are_throttled_with_a_chinese_page(app, client, world):
    users = list(world.users.values()) + list(world.other_users.values())
    for attempt in range(per_minute(app, "LOGIN_RATE_LIMIT")):  # many numbers, one address
        user = users[attempt % len(users)]
        assert client.post("/account/login", data=credentials(user, "wrong-password")).status_code == 200
    response = client.post("/account/login", data=credentials(world.users["guardian"]))  # even the right password
    assert response.status_code == 429
    assert "尝试次数过多，请稍等一分钟再试。" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert client.get("/account/login").status_code == 200  # only attempts are limited, not the page


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_login_attempts_on_one_number_are_throttled_from_every_address(app, world):
    user = world.users["guardian"]
    for attempt in range(per_minute(app, "LOGIN_MOBILE_RATE_LIMIT")):
        guesser = client_at(app, f"203.0.113.{attempt + 1}")
        assert guesser.post("/account/login", data=credentials(user, "wrong-password")).status_code == 200
    owner = client_at(app, "198.51.100.7")
    assert owner.post("/account/login", data=credentials(user)).status_code == 429
    other = world.users["teacher"]  # another number from that address is not held up
    assert owner.post("/account/login", data=credentials(other)).status_code == 302


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_throttling_starts_afresh_in_a_new_app(client, world):
    """The limiter's memory storage belongs to one app: tests (and restarts) do not inherit old counts."""
    assert client.post("/account/login", data=credentials(world.users["guardian"])).status_code == 302


# --- Ended sessions -------------------------------------------------------------------------------------------
# tests/test_accounts.py covers a copied session cookie after logout and password change; these cover the
# long-lived "remember me" cookie and deactivated accounts.

def log_in_remembered(client, user):
    response = client.post("/account/login", data={**credentials(user), "remember": "y"})
    assert response.status_code == 302
    remember = client.get_cookie("remember_token")
    assert remember is not None, "logging in with 'remember me' set no remember_token cookie"
    return remember.value


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, world):
    stolen = log_in_remembered(client, world.users["guardian"])
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/dashboard").status_code == 200  # the cookie alone logs in: that is what it is for
    client.post("/account/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    response = thief.get("/dashboard")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_a_copied_remember_cookie_stops_working_after_a_password_change(app, client, world):
    stolen = log_in_remembered(client, world.users["guardian"])
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/dashboard").status_code == 302


def test_a_deactivated_account_is_logged_out_everywhere(db, client, world, login):
    user = world.users["school_admin"]
    login(user)
    user.is_active_account = False
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
    response = client.post("/account/login", data=credentials(user))
    assert response.status_code == 200
    assert client.get("/dashboard").status_code == 302


# --- Error pages and redirects ----------------------------------------------------------------------------------

def test_an_unknown_url_gets_a_chinese_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "页面不存在，或您无权查看。" in page
    assert "返回首页" in page


def test_a_wrong_method_gets_a_chinese_405_page(client):
    response = client.post("/dashboard")
    assert response.status_code == 405
    assert "该页面不支持此操作。" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example/x",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    # Browsers drop a tab (Werkzeug does too: Location //evil.example); a newline would break the header.
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "evil.example",
])
def test_login_refuses_an_offsite_next(client, world, target):
    response = client.post("/account/login", query_string={"next": target}, data=credentials(world.users["guardian"]))
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard", f"next={target!r} redirected to {response.headers['Location']}"


def test_login_follows_a_next_on_this_site(client, world):
    response = client.post("/account/login", query_string={"next": "/account/password"},
                           data=credentials(world.users["guardian"]))
    assert response.headers["Location"] == "/account/password"


def test_the_language_switch_does_not_redirect_offsite(client):
    response = client.post("/language", data={"locale": "en"}, headers={"Referer": "https://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
