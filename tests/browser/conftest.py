"""The real app served on a free port from a migrated SQLite file with the demo loaded, and Debian's Chromium."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.pg import free_port
from tests.serving import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def flask(env: dict, *args: str) -> None:
    """Run a `flask` command against the test server's database; fail with its output."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def live_database(tmp_path_factory) -> Path:
    """The SQLite file the live server serves (tests may read it, e.g. for what a guardian knows offline)."""
    return tmp_path_factory.mktemp("live") / "live.sqlite"


@pytest.fixture(scope="session")
def live_server(live_database):
    """Base URL of gunicorn serving wsgi:app on a database built as the README says (db upgrade, then demo)."""
    env = {**os.environ, "APP_CONFIG": "development", "DATABASE_URL": f"sqlite:///{live_database}",
           "SECRET_KEY": "browser-test-secret", "FLASK_DEBUG": "0", "PYTHONWARNINGS": "ignore::DeprecationWarning",
           # Every browser test logs its people in from 127.0.0.1 on this one server, dozens a minute; the login
           # limits themselves are tested in tests/test_security.py and tests/test_account_security.py.
           "LOGIN_RATE_LIMIT": "1000 per minute", "LOGIN_MOBILE_RATE_LIMIT": "1000 per minute"}
    # Roster jobs run in a thread of the server (the development default), never on a Redis queue of the shell's.
    env.pop("REDIS_URL", None)
    flask(env, "db", "upgrade")
    flask(env, "demo")
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "live-server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--access-logfile", "-", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server, 60, ARTIFACTS / "live-server.log")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} not found (apt-get install chromium, or run scripts/setup.sh --test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
