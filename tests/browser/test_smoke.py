"""A phone and a desktop browser log in as demo users, open every page of their menu, and meet no error."""

import re
from urllib.parse import urlsplit

import pytest

from app.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS
from tests.browser.page_checks import PHONE_WIDTH, phone_context, sideways

# One xdist worker takes every browser test, so the live server and its demo load happen once.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PHONE, DESKTOP = PHONE_WIDTH, 1280
LOGINS = {login.role: login for login in reversed(DEMO_LOGINS)}  # the first listed login of each role
SHOTS = ARTIFACTS / "screenshots"


class PageWatch:
    """Collects what a user would notice going wrong: script errors, console errors, failed pages, overflow."""

    def __init__(self, page, width: int, name: str) -> None:
        self.page, self.width, self.name = page, width, name
        self.problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.problems.append(
            f"console error on {page.url}: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))

    def visit(self, url: str, label: str) -> None:
        response = self.page.goto(url)
        if response is None or response.status >= 400:
            self.problems.append(f"{url} answered {response.status if response else 'nothing'}")
        self.check(label)

    def check(self, label: str) -> None:
        """Screenshot the page; on a phone, nothing may be wider than the screen."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "home"
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{self.width}-{slug}.png"), full_page=True)
        if self.width == PHONE:
            self.problems += [f"{self.page.url} {problem}" for problem in [sideways(self.page)] if problem]


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def open_at(width: int, name: str) -> PageWatch:
        context = phone_context(browser, width=width, height=800, base_url=live_server, device_scale_factor=1)
        contexts.append(context)
        return PageWatch(context.new_page(), width, name)

    yield open_at
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_public_pages(open_page, live_server, width):
    watch = open_page(width, "anonymous")
    for path in ("/", "/account/login", "/account/register"):
        watch.visit(f"{live_server}{path}", path)
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("role", ["guardian", "school_admin"])
def test_demo_user_logs_in_and_opens_every_menu_page(open_page, live_server, role, width):
    login = LOGINS[role]
    watch = open_page(width, role)
    page = watch.page
    watch.visit(f"{live_server}/account/login", "login")
    page.fill("input[name=mobile]", login.mobile)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url("**/dashboard")
    assert login.name in page.inner_text("header"), "the header does not show who is logged in"
    watch.check("dashboard")
    links = page.eval_on_selector_all("nav a[href^='/']", "links => links.map(a => [a.textContent.trim(), a.href])")
    assert links, "the logged-in menu has no links"
    for _label, url in links:
        watch.visit(url, urlsplit(url).path)
    page.click("nav form[action$='/account/logout'] button")
    page.wait_for_url(f"{live_server}/")
    watch.check("logged-out")
    assert not watch.problems, "\n".join(watch.problems)
