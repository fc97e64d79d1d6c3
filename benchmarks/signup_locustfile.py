"""Locust users for benchmarks/signup_load.py: every guardian of the plan signs up once, as a phone browser would.

One journey per guardian, taken from the plan in $SIGNUP_PLAN: GET the login page, POST the login with the form's
CSRF token, GET the offering's public notice, GET the application form, POST it filled in (random ranked activities,
days, pick-up), then GET the application page the POST redirects to. A user that has finished stays idle, so locust
does not spawn a replacement (arrivals follow the spawn rate); when every guardian is done, the run quits.

Every request's start, duration and verdict and every journey's outcome go to $SIGNUP_RESULTS (JSON) at the end.
The site is served as in production (Secure session cookie) over plain HTTP on loopback: the cookie jar sends Secure
cookies to 127.0.0.1 as a browser would to the TLS proxy in front of production.
"""

import json
import os
import random
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journey import LoopbackTLSPolicy, Steps, location_path  # noqa: E402

PLAN = json.loads(Path(os.environ["SIGNUP_PLAN"]).read_text(encoding="utf-8"))
RESULTS = Path(os.environ["SIGNUP_RESULTS"])
THINK = tuple(float(x) for x in os.environ.get("SIGNUP_THINK", "1-2").split("-"))
NODES = [url for url in os.environ.get("SIGNUP_NODES", "").split(",") if url]  # base URLs of the nodes, if several
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
ERROR_RE = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)  # a field's error (_macros.html)
FLASH_RE = re.compile(r'<li class="flash flash-\w+">(.*?)</li>', re.S)  # a flashed message (base.html)

pending = list(reversed(PLAN["guardians"]))  # popped one per user: each guardian exactly once
samples: list[list] = []  # [name, start (epoch s), response time (ms), ok, status, node]
outcomes: list[dict] = []



class PostForm(HTMLParser):
    """The fields of the page's POST form that has the named field (the header's language and logout forms are
    others), with what a browser would send by default."""

    def __init__(self, html: str, field: str) -> None:
        super().__init__(convert_charrefs=True)
        self.field, self.inside, self.done = field, False, False
        self.defaults: list[tuple[str, str]] = []  # what the browser submits untouched
        self.checkables: dict[str, list[str]] = {}  # checkbox and radio values by name
        self.options: dict[str, list[str]] = {}  # select options by name
        self._select: str | None = None
        self._selected: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and not self.done and a.get("method", "").lower() == "post":
            self.inside = True
            self.defaults, self.checkables, self.options = [], {}, {}
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self.checkables.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.defaults.append((name, a.get("value", "on")))
            elif kind != "submit":
                self.defaults.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._selected = name, None
            self.options[name] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a or self._selected is None:
                self._selected = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            names = {k for k, _ in self.defaults} | set(self.checkables) | set(self.options)
            self.inside, self.done = False, self.field in names
        elif tag == "select" and self._select is not None:
            self.defaults.append((self._select, self._selected or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.defaults.append((self._textarea, self._text.strip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def filled(self, values: dict[str, str | list[str]]) -> str:
        """The urlencoded body: the defaults, with the given fields replaced (a list sends one pair per value)."""
        pairs = [(k, v) for k, v in self.defaults if k not in values]
        for key, value in values.items():
            pairs.extend((key, v) for v in value) if isinstance(value, list) else pairs.append((key, value))
        return urlencode(pairs)


@events.request.add_listener
def record(request_type, name, response_time, response_length, response=None, context=None, exception=None,
           start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    samples.append([name, start_time, response_time, exception is None, status, (context or {}).get("node", 0)])


def write_results(**kwargs) -> None:
    RESULTS.write_text(json.dumps({"samples": samples, "outcomes": outcomes}), encoding="utf-8")


events.test_stop.add_listener(write_results)
events.quitting.add_listener(write_results)




class Guardian(Steps, FastHttpUser):
    """One guardian signing up one child, once."""

    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackTLSPolicy())
        self.guardian = pending.pop() if pending else None
        # Several nodes ($SIGNUP_NODES, --nodes): the guardians take them in turn, in the order they arrive.
        self.node = (len(PLAN["guardians"]) - len(pending) - 1) % len(NODES) if NODES else 0
        if NODES:
            self.client.base_url = NODES[self.node]
        self.rng = random.Random(f"{PLAN['seed']}:{self.guardian['mobile']}" if self.guardian else 0)

    def context(self) -> dict:
        return {"node": self.node}

    def think(self) -> None:
        gevent.sleep(self.rng.uniform(*THINK))

    @task
    def sign_up(self) -> None:
        if self.guardian is None or getattr(self, "finished", False):
            gevent.sleep(3600)  # done (or nobody left): stay, so no replacement user is spawned
            return
        g = self.guardian
        outcome = {"mobile": g["mobile"], "student_id": g["student_id"], "node": self.node, "started": time.time(),
                   "login": False, "applied": False, "application_id": None, "failed": None}
        self.run_journey(g, outcome, outcomes, len(PLAN["guardians"]))

    def journey(self, g: dict, outcome: dict) -> None:
        login = self.step("login page", "GET", "/account/login", expect_form("password")).form
        self.think()
        self.step("login", "POST", "/account/login", expect_redirect("/dashboard"), headers=FORM_HEADERS,
                  data=login.filled({"mobile": g["mobile"], "password": PLAN["password"], "submit": "submit"}))
        outcome["login"] = True
        self.think()
        self.step("notice", "GET", PLAN["notice_path"], expect_page(PLAN["offering_title"]))
        self.think()
        apply_path = f"/enrolment/apply/{g['student_id']}/{PLAN['offering_id']}"
        form = self.step("form", "GET", apply_path, expect_form("pickup_people")).form
        self.think()
        applied = self.step("apply", "POST", apply_path, expect_redirect("/enrolment/applications/"),
                            headers=FORM_HEADERS, data=form.filled(self.answers(form, g)))
        path = location_path(applied)
        outcome["applied"], outcome["application_id"] = True, int(path.rstrip("/").rsplit("/", 1)[1])
        self.step("application", "GET", path, expect_page(g["student_name"]))

    def answers(self, form: PostForm, g: dict) -> dict:
        """What this guardian fills in: days, up to three ranked activities, pick-up, consent."""
        rng = self.rng
        days = form.checkables.get("weekdays", [])
        if rng.random() < 0.6 or len(days) < 2:
            chosen_days = days
        else:
            chosen_days = sorted(rng.sample(days, rng.randint(1, len(days) - 1)), key=int)
        activities = [v for v in form.options.get("choice_1", []) if v not in ("", "0")]
        ranked = rng.sample(activities, rng.randint(1, min(3, len(activities)))) if activities else []
        values: dict[str, str | list[str]] = {"weekdays": chosen_days, "agree": "y", "submit": "submit"}
        for rank in (1, 2, 3):
            if f"choice_{rank}" in form.options:
                values[f"choice_{rank}"] = ranked[rank - 1] if rank <= len(ranked) else "0"
        if rng.random() < 0.2:
            values.update(pickup="walks_alone", walk_alone_consent="y", pickup_people="")
        else:
            values.update(pickup="collected", pickup_people=rng.choice(["母亲 王芳", "父亲 李强", "奶奶 张秀英"]))
        if rng.random() < 0.1:  # sensitive answers are kept only with their own consent ticked (PIPL)
            values.update(health_notes="花生过敏，请勿提供含花生的点心。", health_consent="y")
        groups = form.checkables.get("priority_groups", [])
        if groups and rng.random() < 0.1:
            values.update(priority_groups=[rng.choice(groups)], situation_consent="y")
        if rng.random() < 0.05:
            values.update(hardship="y", situation_consent="y")
        return values


def expect_form(field: str):
    """A page with the POST form that has this field and a CSRF token; the parsed form goes on response.form."""

    def check(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        response.form = PostForm(response.text, field)
        if not response.form.done:
            return f"no form with a {field} field on the page"
        return None if any(k == "csrf_token" for k, _ in response.form.defaults) else "the form has no CSRF token"

    return check


def expect_page(text: str):
    def check(response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return None if text in response.text else f"page without {text!r}"

    return check


def expect_redirect(prefix: str):
    """A successful POST redirects (to prefix); a form shown again (200) is a validation or CSRF failure."""

    def check(response) -> str | None:
        if response.status_code in (301, 302, 303) and location_path(response).startswith(prefix):
            return None
        if response.status_code == 200:
            messages = [re.sub(r"\s+", " ", m).strip() for m in ERROR_RE.findall(response.text)
                        + FLASH_RE.findall(response.text)]
            return "form shown again: " + ("; ".join(messages) or "no message")
        return f"HTTP {response.status_code} to {location_path(response) or '-'}"

    return check
