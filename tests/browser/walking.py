"""A walk through the site on phones: numbered screenshots, every page checked (page_checks.assert_sound), failures
gathered rather than ending the walk at the first, and what each step did read back from the site's SQLite file.
Used by the newcomer walk and the school-day walk."""

import re
import sqlite3
import traceback
from contextlib import closing

from app.demo import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS
from tests.browser.page_checks import assert_sound, phone_context, watch


class StepFailed(Exception):
    """A step of the walk that cannot be done: its part ends."""


class Walk:
    """Numbered screenshots, every page checked, failures gathered rather than ending the walk at the first."""

    def __init__(self, browser, base_url: str, database, roles: dict[str, str], prefix: str = "walk") -> None:
        self.browser, self.base_url, self.database = browser, base_url, database
        self.roles, self.prefix = roles, prefix  # mobile -> the role's name in screenshots; screenshot prefix
        self.number = 0
        self.failures: list[str] = []  # steps that could not be done, expectations not met
        self.unsound: dict[str, list[str]] = {}  # what assert_sound found -> the screenshots it was found on
        self.done: set[str] = set()
        self.contexts = []
        self.current = None  # the page of the person acting now

    # --- people and pages
    def phone(self, mobile: str, before_login=None, width: int = 375, height: int = 812):
        """A person's own phone (375×812, touch), logged in with the demo password (after `before_login(page)`); a
        width of 1000 or more is their office computer instead (no touch)."""
        desk = width >= 1000
        context = phone_context(self.browser, width=width, height=height, touch=not desk, device_scale_factor=1,
                                base_url=self.base_url, accept_downloads=True)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" questions: the person says yes
        page.problems = watch(page)
        self.current = page
        page.goto("/")
        if not self.contexts[:-1]:  # the home page, once
            self.check(page, "home")
        if before_login:
            before_login(page)
            page.goto("/")
        page.get_by_role("link", name="登录").first.click()
        page.get_by_label(re.compile("手机")).fill(mobile)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_load_state()
        if "/account/login" in page.url:
            raise StepFailed(f"{mobile} could not log in: {page.inner_text('main')[:300]}")
        self.check(page, f"{self.roles[mobile]}-dashboard")
        return page

    def check(self, page, step: str) -> str:
        """Screenshot walk-NN-<step>.png and check the page; an unsound page is recorded, the walk goes on."""
        self.number += 1
        name = f"{self.prefix}-{self.number:02d}-{step}"
        page.wait_for_load_state()
        try:
            assert_sound(page, page.problems, name=name)
        except AssertionError as unsound:
            path = page.url.removeprefix(self.base_url)
            for line in str(unsound).splitlines()[1:]:
                self.unsound.setdefault(line.replace(self.base_url, ""), []).append(f"{name} ({path})")
        return name

    def report(self) -> str:
        """Every failure: the steps first, then each kind of unsound page once, with the screenshots showing it."""
        lines = [f"{len(self.failures)} step(s) failed or not reached:", *self.failures,
                 f"\n{len(self.unsound)} distinct problem(s) on the pages (assert_sound):"]
        for problem, shots in self.unsound.items():
            unique = list(dict.fromkeys(shots))
            where = ", ".join(unique[:4]) + (f" and {len(unique) - 4} more" if len(unique) > 4 else "")
            times = f" ×{len(shots)}" if len(shots) > len(unique) else ""
            lines.append(f"{problem}{times}\n    on {where}")
        return "\n".join(lines)

    def should(self, condition: bool, page, what: str) -> None:
        """An expectation that, unmet, is recorded while the walk goes on."""
        if not condition:
            self.number += 1
            name = f"{self.prefix}-{self.number:02d}-should"
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            self.failures.append(f"[{name}.png] {page.url.replace(self.base_url, '')}: {what}")

    def run(self, name: str, steps, needs: tuple[str, ...] = ()) -> None:
        """Run a part of the walk; one whose prerequisite failed is reported as not reached, the next ones still run."""
        missing = [n for n in needs if n not in self.done]
        if missing:
            self.failures.append(f"[{name}] not reached: it needs {', '.join(missing)}")
            return
        try:
            steps()
        except Exception as error:  # noqa: BLE001 - every failure is reported at the end
            self.number += 1
            shot = f"{self.prefix}-{self.number:02d}-{name}-failed"
            where = "before any page opened"
            if self.current is not None and not self.current.is_closed():
                self.current.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
                where = self.current.url.replace(self.base_url, "")
            detail = str(error) if isinstance(error, StepFailed) else "".join(
                traceback.format_exception_only(error)).strip()
            self.failures.append(f"[{shot}.png] {name} stopped at {where}: {detail[:1500]}")
            return
        self.done.add(name)

    # --- reading what the site stored (to pick what to act on and to see that it happened)
    def rows(self, sql: str, *args) -> list[tuple]:
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as connection:
            return connection.execute(sql, args).fetchall()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def flash(page) -> str:
    """The messages the last action left at the top of the page."""
    messages = page.get_by_role("status")
    return " ".join(messages.all_inner_texts()) if messages.count() else ""


def click_and_wait(page, locator) -> None:
    locator.click()
    page.wait_for_load_state()
