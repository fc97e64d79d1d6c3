"""The README's one command, `./scripts/run.sh`, serves a site on which 生成排班 (generate the roster) finishes.

The script itself runs in a subprocess (its own process group, killed at the end); the coordinator logs in with a
plain urllib client (cookie jar, the CSRF token read from each form), opens the week the rosters page offers, plans
it from the templates, starts the roster job and polls it until it is done.
"""

import http.cookiejar
import json
import re
import time
import urllib.parse
import urllib.request

import pytest

from tests.serving import run_script

COORDINATOR = ("13800000011", "demo-2026")

pytestmark = pytest.mark.slow


class Browser:
    """Cookies, forms with their CSRF token, and redirects followed: what a browser does for these pages."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, data: dict, csrf_from: str) -> tuple[str, str]:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', csrf_from)
        assert token, "the page has no form with a CSRF token"
        body = urllib.parse.urlencode({"csrf_token": token.group(1), **data}).encode()
        with self.opener.open(self.base + path, data=body, timeout=60) as response:
            return response.geturl(), response.read().decode()


@pytest.fixture()
def served(tmp_path):
    """Base URL of the site `scripts/run.sh` serves on a fresh SQLite file; the process group is stopped after."""
    with run_script(tmp_path / "run.sqlite", tmp_path / "run.log") as url:
        yield url


def test_run_script_serves_a_site_whose_roster_generation_finishes(served):
    browser = Browser(served)
    _, page = browser.get("/account/login")
    url, page = browser.post("/account/login", {"mobile": COORDINATOR[0], "password": COORDINATOR[1]}, page)
    assert "/account/login" not in url, "the coordinator could not log in"

    _, page = browser.get("/rosters/")
    day = re.search(r'name="day"[^>]*value="([0-9-]+)"', page) or re.search(r'value="([0-9-]+)"[^>]*name="day"', page)
    assert day, "the rosters page offers no week to open"
    url, page = browser.post("/rosters/weeks", {"day": day.group(1)}, page)
    week_path = urllib.parse.urlparse(url).path
    assert re.fullmatch(r"/rosters/weeks/\d+", week_path), url
    _, page = browser.post(f"{week_path}/sessions/generate", {}, page)
    _, page = browser.get(f"{week_path}/roster")
    url, page = browser.post(f"{week_path}/solve", {}, page)
    job_path = urllib.parse.urlparse(url).path
    assert re.fullmatch(r"/rosters/jobs/\d+", job_path), f"generating did not start a job: {url}"

    deadline = time.monotonic() + 300
    while True:
        _, body = browser.get(f"{job_path}.json")
        status = json.loads(body)
        if status["finished"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status["status"] == "done", f"the roster job did not finish: {status}"
    assert status["progress"]["staffed"] > 0
