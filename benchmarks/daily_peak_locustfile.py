"""Locust users for benchmarks/daily_peak.py: every staff member of the plan takes their register and hands their
children over once, as the register page's script and a phone browser would.

One journey per staff member, taken from the plan in $DAILY_PLAN: GET the login page, POST the login with the form's
CSRF token, GET the day's page (/day/, which must link to their register), GET the register (every expected child on
it), then a tap per child in the plan's order — POST /day/sessions/<id>/register/<child> with Accept:
application/json, `status` and the page's CSRF token — some sent again after the answer, some twice at once (a double
tap: two requests in flight together), a few corrections at the end; a pause while the session runs; GET the
hand-over page, and a sign-out by code per child with a collecting adult — POST /day/sessions/<id>/pickup/<child>,
`method=code`, `code` — a few sent again (the answer must say "already"), a few with a mistyped code first (422).
A failed tap or sign-out is counted and the journey goes on (the teacher taps the next child); a page that fails
ends the journey. A user that has finished stays idle, so locust spawns no replacement; when every staff member is
done, the run quits.

Every request's start, duration and verdict, every tap's answer (changed or not) and every journey's outcome go to
$DAILY_RESULTS (JSON) at the end. The site is served as in production (Secure session cookie) over plain HTTP on
loopback: the cookie jar sends Secure cookies to 127.0.0.1 as a browser would to the TLS proxy in front of production.
"""

import json
import os
import random
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journey import JourneyFailed, LoopbackTLSPolicy, Steps, location_path  # noqa: E402

PLAN = json.loads(Path(os.environ["DAILY_PLAN"]).read_text(encoding="utf-8"))
RESULTS = Path(os.environ["DAILY_RESULTS"])


def seconds(name: str, default: str) -> tuple[float, float]:
    low, _, high = os.environ.get(name, default).partition("-")
    return float(low), float(high or low)


THINK = seconds("DAILY_THINK", "1-2")  # between two taps
CODE_THINK = seconds("DAILY_CODE_THINK", "2-4")  # between two sign-outs: the adult reads out a code
PAUSE = seconds("DAILY_PAUSE", "20-60")  # between the register and the hand-over
LOGIN_THINK = seconds("DAILY_LOGIN_THINK", "1-2")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_FORM = {**FORM, "Accept": "application/json"}
CSRF_RE = re.compile(r'name="csrf-token"\s+content="([^"]+)"|name="csrf_token"[^>]*?value="([^"]+)"')
FLASH_RE = re.compile(r'<li class="flash flash-\w+">(.*?)</li>', re.S)  # a flashed message (base.html)

pending = list(reversed(PLAN["staff"]))  # popped one per user: each staff member exactly once
samples: list[list] = []  # [name, start (epoch s), response time (ms), ok, status]
taps: list[list] = []  # [student_id, kind, changed, status]: every tap answered, in the order sent
signouts: list[list] = []  # [student_id, kind, already]: every sign-out answered "signed out"
outcomes: list[dict] = []
anomalies = {"unexpected_changed": 0, "unexpected_signout": 0}



@events.request.add_listener
def record(request_type, name, response_time, response_length, response=None, context=None, exception=None,
           start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    samples.append([name, start_time, response_time, exception is None, status])


def write_results(**kwargs) -> None:
    RESULTS.write_text(json.dumps({"samples": samples, "taps": taps, "signouts": signouts, "outcomes": outcomes,
                                   **anomalies}),
                       encoding="utf-8")


events.test_stop.add_listener(write_results)
events.quitting.add_listener(write_results)



def csrf_of(text: str) -> str | None:
    found = CSRF_RE.search(text or "")
    return (found.group(1) or found.group(2)) if found else None



class StepFailed(Exception):
    """A tap or a sign-out failed: counted, and the staff member goes on with the next child."""


class Staff(Steps, FastHttpUser):
    """One staff member taking one register and handing its children over, once."""

    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 10.0
    concurrency = 4  # a double tap: two requests of the same phone in flight together

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackTLSPolicy())
        self.member = pending.pop() if pending else None
        self.rng = random.Random(f"{PLAN['seed']}:{self.member['mobile']}:think" if self.member else 0)

    def think(self, between: tuple[float, float]) -> None:
        gevent.sleep(self.rng.uniform(*between))

    @task
    def work(self) -> None:
        if self.member is None or getattr(self, "finished", False):
            gevent.sleep(3600)  # done (or nobody left): stay, so no replacement user is spawned
            return
        m = self.member
        outcome = {"mobile": m["mobile"], "session_id": m["session_id"], "started": time.time(), "login": False,
                   "taps_ok": 0, "taps_failed": 0, "signouts_ok": 0, "signouts_failed": 0, "failed": None,
                   "step_failures": []}
        self.run_journey(m, outcome, outcomes, len(PLAN["staff"]))

    def journey(self, m: dict, outcome: dict) -> None:
        page = self.step("login page", "GET", "/account/login", expect_page("password")).text
        token = csrf_of(page)
        self.think(LOGIN_THINK)
        self.step("login", "POST", "/account/login", expect_redirect("/dashboard"), headers=FORM,
                  data=urlencode({"csrf_token": token, "mobile": m["mobile"], "password": PLAN["password"],
                                  "submit": "submit"}))
        outcome["login"] = True
        register = f"/day/sessions/{m['session_id']}/register"
        self.step("today", "GET", "/day/", expect_page(register))
        self.think(LOGIN_THINK)
        page = self.step("register", "GET", register, expect_children(m["children"])).text
        token = csrf_of(page)
        if not token:
            raise JourneyFailed("register: no CSRF token on the page")
        for n, (student_id, status, kind) in enumerate(m["taps"]):
            if n:
                self.think(THINK) if kind != "again" else gevent.sleep(self.rng.uniform(0.3, 1.0))
            path = f"{register}/{student_id}"
            body = urlencode({"status": status, "csrf_token": token})
            try:
                if kind == "twice":
                    self.double_tap(path, body, student_id, status, outcome)
                else:
                    self.tap(path, body, student_id, status, kind, outcome)
            except StepFailed as failure:
                outcome["taps_failed"] += 1
                outcome["step_failures"].append(str(failure))
        self.think(PAUSE)
        handover = f"/day/sessions/{m['session_id']}/pickup"
        page = self.step("handover", "GET", handover, expect_children(
            [c for c in m["children"] if c["adult_id"] is not None])).text
        token = csrf_of(page) or token
        for n, (student_id, code, kind) in enumerate(m["signouts"]):
            if n:
                self.think(CODE_THINK) if kind != "again" else gevent.sleep(self.rng.uniform(0.3, 1.0))
            try:
                self.sign_out(f"{handover}/{student_id}", student_id, code, kind, token)
                outcome["signouts_ok"] += kind == "sign-out"
            except StepFailed as failure:
                outcome["signouts_failed"] += 1
                outcome["step_failures"].append(str(failure))
        if outcome["taps_failed"] or outcome["signouts_failed"]:
            outcome["failed"] = "; ".join(outcome["step_failures"][:3])

    def tap(self, path: str, body: str, student_id: int, status: str, kind: str, outcome: dict) -> bool:
        """One tap; whether the answer says it changed the mark."""
        name = "tap again" if kind in ("again", "twice") else "tap"
        response = self.step(name, "POST", path, expect_tap(student_id, status), failure=StepFailed,
                             headers=JSON_FORM, data=body)
        changed = response.json()["changed"]
        taps.append([student_id, kind, changed, status])
        outcome["taps_ok"] += 1
        if kind == "again" and changed:
            anomalies["unexpected_changed"] += 1
        return changed

    def double_tap(self, path: str, body: str, student_id: int, status: str, outcome: dict) -> None:
        """A child's first tap sent twice at once (a double tap: both in flight before either is answered): exactly
        one of the two answers may say it changed the mark."""
        first = gevent.spawn(self.tap, path, body, student_id, status, "tap", outcome)
        second = gevent.spawn(self.tap, path, body, student_id, status, "twice", outcome)
        gevent.joinall([first, second])
        for greenlet in (first, second):
            if greenlet.exception is not None:
                raise greenlet.exception
        if first.value + second.value != 1:
            anomalies["unexpected_changed"] += 1

    def sign_out(self, path: str, student_id: int, code: str, kind: str, token: str) -> None:
        body = urlencode({"method": "code", "code": code, "csrf_token": token})
        if kind == "wrong":
            self.step("wrong code", "POST", path, expect_wrong_code, failure=StepFailed, headers=JSON_FORM, data=body)
            return
        response = self.step("sign-out again" if kind == "again" else "sign-out", "POST", path,
                             expect_signed_out(student_id), failure=StepFailed, headers=JSON_FORM, data=body)
        already = bool(response.json().get("already"))
        signouts.append([student_id, kind, already])
        if kind == "again" and not already:
            anomalies["unexpected_signout"] += 1


def expect_page(text: str):
    def check(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}" + (f" to {location_path(response)}" if location_path(response)
                                                     else "")
        return None if text in response.text else f"page without {text!r}"

    return check


def expect_children(children: list[dict]):
    """A page (register, hand-over) that lists each of these children by name, with a CSRF token."""

    def check(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        missing = [c["name"] for c in children if c["name"] not in response.text]
        if missing:
            return f"{len(missing)} of {len(children)} children not on the page (e.g. {missing[0]})"
        return None if csrf_of(response.text) else "no CSRF token on the page"

    return check


def expect_redirect(prefix: str):
    """A successful POST redirects (to prefix); a form shown again (200) is a validation or CSRF failure."""

    def check(response) -> str | None:
        if response.status_code in (301, 302, 303) and location_path(response).startswith(prefix):
            return None
        if response.status_code == 200:
            messages = [re.sub(r"\s+", " ", m).strip() for m in FLASH_RE.findall(response.text)]
            return "form shown again: " + ("; ".join(messages) or "no message")
        return f"HTTP {response.status_code} to {location_path(response) or '-'}"

    return check


def expect_tap(student_id: int, status: str):
    def check(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.text[:120]!r}"
        answer = response.json()
        if answer.get("student_id") != student_id or answer.get("status") != status:
            return f"answer for another child or status: {answer}"
        return None if isinstance(answer.get("changed"), bool) else f"answer without 'changed': {answer}"

    return check


def expect_signed_out(student_id: int):
    def check(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.text[:120]!r}"
        answer = response.json()
        if answer.get("student_id") != student_id or answer.get("signed_out") is not True:
            return f"not signed out: {answer}"
        return None

    return check


def expect_wrong_code(response) -> str | None:
    if response.status_code != 422:
        return f"a mistyped code answered HTTP {response.status_code}, not 422"
    return None if "tries_left" in response.json() else f"no tries_left: {response.text[:120]!r}"
