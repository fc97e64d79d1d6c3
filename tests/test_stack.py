"""The stack command CI runs: `scripts/stack.sh` starts throwaway PostgreSQL and Redis, migrates, loads the demo and
runs the Procfile with honcho (gunicorn, the RQ roster worker, the run-due scheduler, the sender). Over HTTP, as
people do it: a new guardian signs up (the SMS code read from the development log), binds a child of 一年级1班, the
class teacher confirms the link; the guardian applies for the winter care; the class teacher confirms and the
principal approves; the coordinator plans next week, generates the roster — run by the Procfile's worker process,
not the web server — and publishes it. Along the way: /readyz is 200, /metrics counts what happened, every request
left one JSON log line with its request id and no name, mobile number or student number; TERM stops it all.

What a person knows without the site (a child's student number) is read from the stack's database, read-only.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urljoin, urlparse

import psycopg
import pytest

from app.demo import DEMO_PASSWORD
from tests.conftest import unavailable
from tests.pg import PostgresServer, PostgresUnavailable, free_port
from tests.redis_server import RedisServer, RedisUnavailable
from tests.serving import APP_VARIABLES, ROOT, stop_group

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLASS_TEACHER, PRINCIPAL, COORDINATOR = "13800000020", "13800000010", "13800000011"
NEW_GUARDIAN = ("林晓燕", "13655501234", "Stack-smoke-2026")
METRICS_TOKEN = "stack-test-token"
START_LIMIT = 600  # s: a first run may install the pinned dependencies; the demo takes a minute on a busy machine
JOB_LIMIT = 300  # s for the roster job (its own time limit is 10 s)


class Forms(HTMLParser):
    """The forms of a page: action, fields with their default values, and the words on their buttons."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.select: str | None = None
        self.button: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": [], "options": {}, "buttons": []})
        elif not self.forms:
            return
        form = self.forms[-1] if self.forms else None
        if tag == "input" and form is not None:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image"):
                form["buttons"].append(attrs.get("value", ""))
            elif kind in ("checkbox", "radio"):
                form["fields"].append((attrs.get("name"), attrs.get("value", "on"), kind, "checked" in attrs))
            else:
                form["fields"].append((attrs.get("name"), attrs.get("value", ""), kind, True))
        elif tag == "select" and form is not None:
            self.select = attrs.get("name")
            form["options"][self.select] = []
        elif tag == "option" and form is not None and self.select:
            form["options"][self.select].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and form is not None:
            form["fields"].append((attrs.get("name"), "", "textarea", True))
        elif tag == "button" and form is not None:
            self.button = {"text": ""}

    def handle_data(self, data):
        if self.button is not None:
            self.button["text"] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "button" and self.button is not None and self.forms:
            self.forms[-1]["buttons"].append(self.button["text"].strip())
            self.button = None


class Answer:
    def __init__(self, status: int, url: str, body: bytes, headers) -> None:
        self.status, self.url, self.text, self.headers = status, url, body.decode(errors="replace"), headers


def fetch(url: str, *, data: bytes | None = None, headers: dict | None = None, opener=None) -> Answer:
    """One request (redirects followed); an error status is an answer too."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
            return Answer(response.status, response.geturl(), response.read(), response.headers)
    except urllib.error.HTTPError as error:
        return Answer(error.code, url, error.read(), error.headers)


class Person:
    """One person's browser: cookies, and forms read and sent as the page would send them."""

    def __init__(self, base: str, who: str) -> None:
        self.base, self.who = base, who
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.url, self.page = "", ""

    def get(self, path: str) -> str:
        response = fetch(urljoin(self.base, path), opener=self.opener)
        assert response.status == 200, f"{self.who}: GET {path} answered {response.status}"
        self.url, self.page = response.url, response.text
        return self.page

    def submit(self, *, action: str | None = None, button: str | None = None, fill: dict | None = None) -> str:
        """Send the form of the current page whose action ends with `action` (or that has `button`)."""
        forms = Forms(self.page).forms
        for form in forms:  # a form without an action posts to its page
            form["action"] = urljoin(self.url, form["action"] or self.url)
        chosen = [form for form in forms if (action is None or urlparse(form["action"]).path.endswith(action))
                  and (button is None or any(button in text for text in form["buttons"]))]
        assert chosen, f"{self.who}: no form {action or button!r} on {self.url}; forms: " \
                       f"{[(form['action'], form['buttons']) for form in forms]}"
        form = chosen[0]
        data: list[tuple[str, str]] = [(name, value) for name, value, _, on in form["fields"] if name and on]
        for name, options in form["options"].items():
            picked = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            data += [(name, value) for value in picked]
        for name, value in (fill or {}).items():
            data = [(key, old) for key, old in data if key != name]
            data += [(name, item) for item in (value if isinstance(value, list) else [value])]
        target = form["action"]
        response = fetch(target, data=urlencode(data).encode(), opener=self.opener)
        assert response.status == 200, f"{self.who}: POST {target} answered {response.status}"
        self.url, self.page = response.url, response.text
        return self.page

    def log_in(self, mobile: str, password: str = DEMO_PASSWORD) -> None:
        self.get("/account/login")
        self.submit(action="/account/login", fill={"mobile": mobile, "password": password})
        assert "/account/login" not in self.url, f"{self.who} could not log in"


class Stack:
    """`scripts/stack.sh` in its own process group, its output in a file."""

    def __init__(self, log_path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {name: value for name, value in os.environ.items() if name not in APP_VARIABLES}
        env.update(PORT=str(self.port), METRICS_TOKEN=METRICS_TOKEN)
        with log_path.open("w") as log:
            self.process = subprocess.Popen([str(ROOT / "scripts" / "stack.sh")], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def database_url(self) -> str:
        match = re.search(r"DATABASE_URL=(\S+)", self.log())
        assert match, "the stack did not say which database it started"
        return re.sub(r"^postgresql\+\w+://", "postgresql://", match.group(1))

    def wait_until_ready(self) -> dict:
        deadline = time.monotonic() + START_LIMIT
        while True:  # not a timed assertion: a stack that never gets ready fails here, with its log
            try:
                response = fetch(f"{self.base}/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
                if response.status == 200:
                    return json.loads(response.text)
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stack did not get ready; the end of its log:\n{self.log()[-6000:]}")
            time.sleep(1)

    def sms_code(self, mobile: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            codes = re.findall(rf"SMS to {mobile} \(development outbox[^\n]*?(\d{{6}})", self.log())
            if codes:
                return codes[-1]
            time.sleep(0.5)
        pytest.fail(f"no SMS code for {mobile} in the stack's log")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for server, missing in ((PostgresServer, PostgresUnavailable), (RedisServer, RedisUnavailable)):
        try:
            server()
        except missing as error:
            unavailable(str(error))
    stack = Stack(tmp_path_factory.mktemp("stack") / "stack.log")
    try:
        yield stack
    finally:
        stop_group(stack.process)


def query(url: str, sql: str, *args):
    with psycopg.connect(url) as connection:
        row = connection.execute(sql, args).fetchone()
    assert row, f"nothing for {sql} {args}"
    return row


def test_the_stack_signs_up_approves_solves_through_the_worker_and_publishes(stack):
    readiness = stack.wait_until_ready()
    assert {"database", "redis", "roster_worker", "scheduler", "sender", "due_work"} <= set(readiness["checks"])
    assert readiness["checks"]["sender"]["ok"]  # the Procfile's sender says it is alive
    database = stack.database_url()
    name, mobile, password = NEW_GUARDIAN

    # 1. A new guardian signs up with the code sent by SMS.
    guardian = Person(stack.base, "guardian")
    guardian.get("/account/register")
    guardian.submit(action="/account/register",
                    fill={"name": name, "mobile": mobile, "password": password, "confirm": password})
    assert "/account/register/code" in guardian.url, guardian.page[:2000]
    guardian.submit(action="/account/register/code", fill={"code": stack.sms_code(mobile)})
    assert "/dashboard" in guardian.url, "the sign-up did not finish"

    # 2. Binds a child of 一年级1班 with no application yet for the winter care (a draw at the window's close) and as
    #    few guardians as any; the class teacher confirms the link.
    class_id, school_id = query(database, "SELECT class_id, school_id FROM student WHERE name = '张子涵'")
    offering_id = query(database, "SELECT id FROM offering WHERE school_id = %s AND allocation = 'draw' AND "
                                  "drawn_at IS NULL AND published_version > 0 ORDER BY id LIMIT 1", school_id)[0]
    student_id, child, number = query(
        database, "SELECT s.id, s.name, s.student_number FROM student s WHERE s.class_id = %s AND s.name != '张子涵' "
                  "AND NOT EXISTS (SELECT 1 FROM application a WHERE a.student_id = s.id AND a.offering_id = %s) "
                  "ORDER BY (SELECT count(*) FROM guardian_link l WHERE l.student_id = s.id), s.id LIMIT 1",
        class_id, offering_id)
    guardian.get("/schools/bind-child")
    guardian.submit(action="/schools/bind-child", fill={
        "school_id": str(school_id), "student_number": number, "name": child, "relationship": "grandparent",
        "binding_code": ""})
    link_id, verified = query(database, "SELECT l.id, l.verified FROM guardian_link l JOIN \"user\" u ON "
                                        "u.id = l.guardian_id WHERE u.mobile = %s", mobile)
    assert not verified
    teacher = Person(stack.base, "class teacher")
    teacher.log_in(CLASS_TEACHER)
    teacher.get("/schools/my-class")
    teacher.submit(action=f"/links/{link_id}/verify")
    assert query(database, "SELECT verified FROM guardian_link WHERE id = %s", link_id)[0] is True

    # 3. The guardian applies for the winter care; the class teacher confirms, the principal approves.
    guardian.get(f"/enrolment/apply/{student_id}/{offering_id}")
    if "/privacy/notice" in guardian.url:  # a new account reads and accepts the privacy notice first
        guardian.submit(action="/privacy/notice/accept")
        assert f"/enrolment/apply/{student_id}/{offering_id}" in guardian.url, guardian.url
    weekdays = [value for form in Forms(guardian.page).forms for field, value, kind, _ in form["fields"]
                if field == "weekdays"]
    answers = {"pickup_people": "林晓燕（奶奶）", "agree": "y", **({"weekdays": weekdays} if weekdays else {})}
    guardian.submit(action=f"/enrolment/apply/{student_id}/{offering_id}", fill=answers)
    assert re.search(r"/enrolment/applications/\d+$", guardian.url), f"the application was not sent: {guardian.url}"
    application_id = int(guardian.url.rsplit("/", 1)[1])
    teacher.get("/enrolment/review")
    teacher.submit(action=f"/applications/{application_id}/confirm")
    principal = Person(stack.base, "principal")
    principal.log_in(PRINCIPAL)
    principal.get(f"/enrolment/offerings/{offering_id}")
    principal.submit(action=f"/offerings/{offering_id}/approve")
    assert query(database, "SELECT status FROM application WHERE id = %s", application_id)[0] == "approved"

    # 4. The coordinator plans next week and generates its roster: the Procfile's worker runs the job.
    coordinator = Person(stack.base, "coordinator")
    coordinator.log_in(COORDINATOR)
    coordinator.get("/rosters/")
    coordinator.submit(action="/rosters/weeks")
    week_path = urlparse(coordinator.url).path
    assert re.fullmatch(r"/rosters/weeks/\d+", week_path), coordinator.url
    coordinator.submit(action=f"{week_path}/sessions/generate")
    coordinator.get(f"{week_path}/roster")
    coordinator.submit(action=f"{week_path}/solve")
    job_path = urlparse(coordinator.url).path
    assert re.fullmatch(r"/rosters/jobs/\d+", job_path), f"generating did not start a job: {coordinator.url}"
    deadline = time.monotonic() + JOB_LIMIT
    while True:
        status = json.loads(fetch(f"{stack.base}{job_path}.json", opener=coordinator.opener).text)
        if status["finished"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status["status"] == "done", f"the roster job did not finish: {status}"
    job_id = int(job_path.rsplit("/", 1)[1])
    worker_lines = [line for line in stack.log().splitlines() if line[9:].startswith("worker.1")]
    assert any(f"roster job {job_id}" in line for line in worker_lines), "the worker process did not run the job"

    coordinator.get(f"{week_path}/roster")
    coordinator.submit(action=f"{week_path}/publish")
    week_id = int(week_path.rsplit("/", 1)[1])
    assert query(database, "SELECT count(*) FROM roster_version WHERE week_id = %s", week_id)[0] == 1

    # 5. What the operators see: ready, metrics that counted it, one JSON line per request with nothing personal.
    stranger = fetch(f"{stack.base}/readyz")  # no token: ready or not, not why
    assert stranger.status == 200 and json.loads(stranger.text) == {"status": "ready"}
    assert fetch(f"{stack.base}/metrics").status == 401
    scrape = fetch(f"{stack.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scrape.status == 200
    figures = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in scrape.text.splitlines() if line and not line.startswith("#")}
    assert figures['kehou_roster_jobs{status="done"}'] >= 1
    assert figures['kehou_request_seconds_count{endpoint="accounts.register_verify",status="302"}'] == 1
    sent = fetch(f"{stack.base}/healthz", headers={"X-Request-ID": "stack-test-1"})
    assert sent.headers["X-Request-ID"] == "stack-test-1"
    time.sleep(1)  # the web process's last line reaches the log through honcho
    requests_logged = [json.loads(line.split("| ", 1)[1]) for line in stack.log().splitlines()
                       if line[9:].startswith("web.1") and '"logger": "app.requests"' in line]
    assert any(line["request_id"] == "stack-test-1" for line in requests_logged)
    assert any(line["endpoint"] == "enrolment.apply" and line["user_id"] for line in requests_logged)
    written = json.dumps(requests_logged, ensure_ascii=False)
    for personal in (name, mobile, child, number):
        assert personal not in written, f"{personal!r} is in the request log"

    # 6. TERM stops every process and deletes the throwaway servers.
    os.kill(stack.process.pid, signal.SIGTERM)
    assert stack.process.wait(timeout=120) == 0
    assert "==> stopped" in stack.log()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(database, connect_timeout=5).close()
