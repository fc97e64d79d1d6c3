"""The real site for the fault tests: a sign-up day seeded on a throwaway PostgreSQL, served by gunicorn as in
production (benchmarks/harness.py), and guardians who sign up over HTTP one request at a time."""

import re
import sys
import urllib.error
import urllib.parse
from argparse import Namespace
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402
import signup_load  # noqa: E402

from app.extensions import db  # noqa: E402
from tests.conftest import build_app, dispose_engines  # noqa: E402

PASSWORD = signup_load.PASSWORD
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIRST_CHOICE = re.compile(r'name="choice_1">.*?<option value="0">[^<]*</option><option value="(\d+)"', re.S)
SECRET_KEY = "fault-tests-shared-secret"


def seed(url: str, guardians: int) -> dict:
    """The benchmark's sign-up day (one school, an offering open for applications, guardians with one child each)
    in a new database at `url`; the plan (guardians' mobiles, children, the offering)."""
    app = build_app(url)
    with app.app_context():
        db.create_all()
        from app.accounts.models import User

        user = User()
        user.set_password(PASSWORD)
        plan = signup_load.seed_signup_day(guardians, user.password_hash, seed=1)
        db.session.remove()
        dispose_engines()
    return plan


def site_env(url: str, **extra: str) -> dict:
    """The environment of the served site and its commands: production, this database, the shared secret."""
    return harness.serving_env(url, "100000 per minute", secret_key=SECRET_KEY, **extra)


def serve(url: str, log: Path, workers: int = 2, **extra: str):
    """gunicorn wsgi:app (production settings, this database) on a free port; (process, base URL)."""
    port = harness.free_port()
    env = site_env(url, **extra)
    process = harness.start_gunicorn(env, port, Namespace(workers=workers, worker_class="sync", threads=1), log)
    return process, f"http://127.0.0.1:{port}"


@dataclass
class Answer:
    status: int
    location: str
    text: str
    headers: dict


@dataclass
class Guardian:
    """One guardian's browser: cookies kept, redirects not followed."""

    person: dict
    offering_id: int
    opener: object = field(default_factory=harness.browser)
    form: dict | None = None

    def request(self, base: str, path: str, data: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(base + path, data=body, timeout=60) as response:
                return Answer(response.status, "", response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as answer:
            return Answer(answer.code, urlsplit(answer.headers.get("Location", "")).path,
                          answer.read().decode(errors="replace"), dict(answer.headers))

    @property
    def apply_path(self) -> str:
        return f"/enrolment/apply/{self.person['student_id']}/{self.offering_id}"

    def login(self, base: str, password: str = PASSWORD) -> Answer:
        page = self.request(base, "/account/login")
        return self.request(base, "/account/login", {"csrf_token": TOKEN.search(page.text).group(1),
                                                     "mobile": self.person["mobile"], "password": password})

    def open_form(self, base: str) -> None:
        """The application form, filled in as the guardian will send it (its CSRF token kept for re-sending)."""
        page = self.request(base, self.apply_path)
        assert page.status == 200, (page.status, page.location)
        choice = FIRST_CHOICE.search(page.text)
        self.form = {"csrf_token": TOKEN.search(page.text).group(1), "student_number": self.person["student_number"],
                     "weekdays": [0, 1, 2, 3, 4], "choice_1": choice.group(1) if choice else 0, "choice_2": 0,
                     "choice_3": 0, "pickup": "collected", "pickup_people": "母亲 王芳", "agree": "y"}

    def apply(self, base: str) -> Answer:
        return self.request(base, self.apply_path, self.form)


def applications_per_child(url: str, offering_id: int) -> dict[int, list[int]]:
    """Each child's application ids in the database (read with a fresh app)."""
    from app.enrolment.models import Application

    app = build_app(url)
    with app.app_context():
        rows = db.session.execute(db.select(Application.student_id, Application.id).filter_by(
            offering_id=offering_id)).all()
        db.session.remove()
        dispose_engines()
    per_child: dict[int, list[int]] = {}
    for student_id, application_id in rows:
        per_child.setdefault(student_id, []).append(application_id)
    return per_child
