"""The README's one command, `./scripts/run.sh`, serves a site on which 生成排班 (generate the roster) finishes.

The script itself runs in a subprocess (its own process group, killed at the end); the coordinator logs in with a
plain urllib client (cookie jar, the CSRF token read from each form), opens the week the rosters page offers, plans
it from the templates, starts the roster job and polls it until it is done.
"""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
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
    """Base URL of the site `scripts/run.sh` serves on a fresh SQLite file; the process group is killed after."""
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "ROSTER_JOB_RUNNER", "APP_CONFIG", "FLASK_DEBUG", "FLASK_APP")}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite'}", SECRET_KEY="run-script-test",
               PYTHONWARNINGS="ignore::DeprecationWarning")
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # set-up, database upgrade and the demo county come first
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/run.sh did not serve the site:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


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
