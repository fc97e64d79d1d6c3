"""The site started in a subprocess as a user starts it (`scripts/run.sh`, or gunicorn), waited for, and stopped."""

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
# The app's own settings (README, Configuration) and Flask's: a newcomer's shell has none of them.
APP_VARIABLES = ("DATABASE_URL", "TEST_DATABASE_URL", "SECRET_KEY", "APP_CONFIG", "RATELIMIT_STORAGE_URI", "REDIS_URL",
                 "ROSTER_JOB_RUNNER", "ROSTER_JOB_STALE_MINUTES", "LOGIN_RATE_LIMIT", "FLASK_APP", "FLASK_DEBUG",
                 "FLASK_ENV", "FLASK_RUN_PORT", "FLASK_RUN_HOST")


def wait_until_serving(url: str, process: subprocess.Popen, limit: float, log_path: Path) -> None:
    """Return once `url`/healthz answers 200; fail with the end of the server's log if it exits or `limit` s pass."""
    deadline = time.monotonic() + limit
    while True:  # not a timed assertion: a server that never starts fails here, with its log
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the site at {url} did not start; the end of {log_path}:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.3)


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started in its own session and everything it started: TERM, then KILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def run_script(database: Path, log_path: Path, limit: float = 600,
               extra: dict[str, str] | None = None) -> Iterator[str]:
    """`scripts/run.sh` exactly as the README runs it, with only PORT and DATABASE_URL (a fresh file) added to a
    newcomer's environment (and `extra`: where a walk's mail and SMS go); yields the base URL. A first run may
    install the pinned dependencies, hence the limit."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in APP_VARIABLES}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{database}", **(extra or {}))
    with log_path.open("w") as log:
        process = subprocess.Popen([str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, limit, log_path)
        yield url
    finally:
        stop_group(process)
