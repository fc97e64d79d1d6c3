"""Sign-up day: 2,000 guardians each log in, read the public notice and apply for their child within five minutes.

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python benchmarks/signup_load.py [--db sqlite|postgresql|both] [--guardians 2000] [--ramp 270]

For each database: a fresh one (`flask db upgrade` on a temporary SQLite file, or on a throwaway PostgreSQL started
by tests/pg.py, loopback only), seeded through the models and the programme services inside create_app("production")
(one county, one primary school, its classes and class teachers, a published after-school offering open for
applications, activities with few seats, the agreement, and the guardians, each bound by a verified link to one
child, having accepted the privacy notice, all with one password hashed once); the real site served by gunicorn
(wsgi:app, APP_CONFIG=production) on a free port of 127.0.0.1; locust (benchmarks/signup_locustfile.py, headless)
sends the guardians in evenly over the ramp, each once: login page, login, notice, form, apply, and the application
page the apply redirects to. Then the database is checked: one application per successful apply, none lost, no child
with two.

The login limit is per address and every virtual guardian comes from 127.0.0.1, so the run raises it through the
environment (LOGIN_RATE_LIMIT, read by config.py); nothing else differs from production. Everything stops by itself:
locust at the end of the window, the whole run at --timeout, gunicorn and PostgreSQL on exit, error or Ctrl-C.

Several web nodes (--nodes N): N gunicorn servers on their own ports (each with --workers workers), sharing the one
PostgreSQL and a throwaway Redis (tests/redis_server.py) for the login limiter; the guardians take the nodes in turn.
Figures per node and in total; the database check is the same.

A database restart (--restart-db-at S, PostgreSQL): S seconds into the load the server is stopped (as a restart does:
every session ended) and started again --outage seconds later on the same data and port. Requests meanwhile are
answered 503; the guardians send them again after a short wait, as the page asks (benchmarks/journey.py), and the
database check is the same: nothing lost or doubled.

The site on its own cores (--server-cpus 0,1): gunicorn, PostgreSQL and Redis are held to those CPUs, and locust and
this process (the calibration's requests) to the others, so a larger machine measures "on 2 cores" as the site's two
cores, without the load generator's share of them (a quarter of the machine in a 5,000-guardian run); it needs a
machine with more CPUs than that, and the workers default to 2 × those cores + 1.

Figures: a table on stdout and benchmarks/signup_last_run.json (a run with other sizes writes into its work folder).
"""

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    ROOT,
    cpu_seconds,
    cpu_split,
    free_port,
    fresh_database,
    gunicorn_arguments,
    latency,
    machine_busy_seconds,
    percentile,
    pin,
    postmaster_pid,
    serving_env,
    settle_workers,
    start_gunicorn,
    stop_on_signals,
    stop_process,
    upgrade,
    use_in_this_process,
    wait_until_idle,
)
from harness import browser as cookie_browser  # noqa: E402
from harness import commit as _commit  # noqa: E402
from harness import run_locust as _run_locust  # noqa: E402
from harness import shared_password_hash as _shared_password_hash  # noqa: E402

LOCUSTFILE = ROOT / "benchmarks" / "signup_locustfile.py"
LAST_RUN = ROOT / "benchmarks" / "signup_last_run.json"
PASSWORD = "signup-day-2026"
LOGIN_RATE_LIMIT = "100000 per minute"  # raised for the run: every virtual guardian logs in from 127.0.0.1
STEPS = ["login page", "login", "notice", "form", "apply", "application"]
TARGET_P95_MS = 300
DEFAULT_GUARDIANS = 2000
WINDOW_S = 300  # the sign-up day's five minutes: every journey starts and ends inside it
CLASS_SIZE = 45  # the most pupils a primary class may have
CALIBRATION = 20  # guardians more, who sign up one at a time after the load: what each step costs the server


# --- The database ---


def seed_signup_day(guardians: int, password_hash: str, seed: int) -> dict:
    """One county, school, classes with class teachers, a published offering open for applications, its activities
    and agreement, and the guardians with one verified child each (inside an app context; commits). Returns the plan
    the locust users follow."""
    from app.accounts.models import AdminTitle, GuardianLink, Relationship, Role, User
    from app.extensions import db
    from app.models_base import utcnow
    from app.privacy.models import NoticeAcceptance
    from app.privacy.services import current_notice
    from app.programs import services as programs
    from app.programs.models import Activity, Offering, OfferingKind
    from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student, Term

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    given = "子涵梓萱思雨欣怡俊熙一诺佳琪浩然宇轩"
    today = date.today()

    def person() -> str:
        return rng.choice(surnames) + "".join(rng.sample(given, 2))

    def account(mobile: str, name: str, role: Role, **fields) -> User:
        user = User(mobile=mobile, name=name, role=role, password_hash=password_hash, **fields)
        db.session.add(user)
        return user

    county = County(name="签约日县", code="SIGNUP")
    school = School(county=county, code="QY", name="签约日实验小学", school_type=SchoolType.PRIMARY,
                    address="签约日县学府路1号")
    db.session.add(school)
    term = Term(name="下学期", starts_on=today + timedelta(days=21), ends_on=today + timedelta(days=161))
    school.terms.append(term)
    principal = account("13600000001", "吴校长", Role.SCHOOL_ADMIN, school=school, admin_title=AdminTitle.PRINCIPAL)
    classes_per_grade = max(1, math.ceil(guardians / (6 * CLASS_SIZE)))
    classes = []
    for number in range(1, 7):
        grade = Grade(number=number)
        school.grades.append(grade)
        for class_number in range(1, classes_per_grade + 1):
            teacher = account(f"136{len(classes) + 100:08d}", person() + "老师", Role.TEACHER, school=school)
            school_class = SchoolClass(school=school, number=class_number, class_teacher=teacher)
            grade.classes.append(school_class)
            classes.append(school_class)
    db.session.flush()

    links = []
    for n in range(guardians):
        school_class = classes[n % len(classes)]
        student = Student(school=school, school_class=school_class, name=person(),
                          student_number=f"QY{today.year - school_class.grade.number + 1}{n + 1:05d}")
        guardian = account(f"150{n + 1:08d}", student.name[0] + "家长", Role.GUARDIAN)
        links.append(GuardianLink(guardian=guardian, student=student, verified=True, verified_at=utcnow(),
                                  relationship_kind=rng.choice([Relationship.MOTHER, Relationship.FATHER,
                                                                Relationship.GRANDPARENT]),
                                  verified_by=school_class.class_teacher))
    db.session.add_all(links)
    db.session.flush()
    # Each guardian accepted the privacy notice when registering (applying asks for it first).
    notice_version = current_notice().version
    db.session.add_all(NoticeAcceptance(user_id=link.guardian.id, notice_version=notice_version) for link in links)
    db.session.flush()

    # Application-window and allocation fields keep their defaults: open now, as a school publishes it.
    offering = Offering(
        school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id, title="下学期课后服务（签约日）",
        starts_on=term.starts_on, ends_on=term.ends_on, weekdays=[0, 1, 2, 3, 4], starts_at=dtime(15, 30),
        ends_at=dtime(17, 40), basic_content="看护、作业辅导与答疑，不讲授新课",
        apply_deadline=today + timedelta(days=14), basic_fee_cents=20000, fee_rules="按月收取，每次预收不超过三个月",
        refund_rule="退出时，尚未开始月份的费用全额退还",
        hardship_rule="家庭经济困难学生经学校审核免收费用", safety_measures="专人看护，凭接送卡接送",
        priority_groups=["hardship", "left_behind", "late_working"])
    db.session.add(offering)
    db.session.flush()
    leaders = [c.class_teacher for c in classes]
    for k, (name, code, grades, weekdays, capacity) in enumerate([
        ("足球", "sports", [3, 4, 5, 6], [0, 2], 60),
        ("绘本阅读", "reading", [1, 2, 3], [1, 3], 80),
        ("科学小实验", "science", [1, 2, 3, 4, 5, 6], [4], 50),
        ("书法", "arts", [2, 3, 4, 5, 6], [1], 40),
        ("合唱团", "arts", [1, 2, 3, 4, 5, 6], [3], 40),
        ("编程社团", "club", [4, 5, 6], [2], 30),
    ]):
        offering.activities.append(Activity(
            school_id=school.id, name=name, activity=code, grades=grades, weekdays=weekdays, starts_at=dtime(16, 30),
            ends_at=dtime(17, 30), capacity=capacity, room=f"{name}教室", leader_id=leaders[k % len(leaders)].id))
    db.session.flush()
    programs.add_agreement(school, "课后服务协议书\n一、学生自愿参加，家长申请，学校审核后实施。\n"
                           "二、学校按公示内容组织看护、作业辅导和拓展活动，不讲授新课。", principal)
    notice = programs.publish_offering(offering, principal, "签约日")
    if accepts_applications(offering) is False:
        raise RuntimeError("the seeded offering is not open for applications: its window fields need setting")
    db.session.commit()
    plan_guardians = []
    for link in links:
        plan_guardians.append({"mobile": link.guardian.mobile, "student_id": link.student_id,
                               "student_number": link.student.student_number, "student_name": link.student.name})
    return {"seed": seed, "password": PASSWORD, "offering_id": offering.id, "offering_title": offering.title,
            "notice_path": f"/programs/notice/offering/{offering.id}/v{notice.version}",
            "classes": len(classes), "activities": len(offering.activities), "guardians": plan_guardians}


def accepts_applications(offering) -> bool | None:
    """Whether the app takes applications for the offering now: by its application window where the app has one
    (app.enrolment.allocation), else by the deadline (Offering.is_open_for_applications); None if it has neither."""
    from app.models_base import utcnow

    try:
        from app.programs.window import accepts_applications as window_open
    except ImportError:
        check = getattr(offering, "is_open_for_applications", None)
        return check(date.today()) if check else None
    return window_open(offering, utcnow())


def check_database(offering_id: int, outcomes: list[dict]) -> dict:
    """Applications in the database against what the guardians were told (inside an app context)."""
    from app.enrolment.models import ActivityChoice, Application
    from app.extensions import db

    rows = db.session.execute(db.select(Application.id, Application.student_id)
                              .filter_by(offering_id=offering_id)).all()
    per_child = Counter(student_id for _, student_id in rows)
    stored = {application_id: student_id for application_id, student_id in rows}
    told = {o["application_id"]: o["student_id"] for o in outcomes if o["applied"]}
    choices = db.session.scalar(db.select(db.func.count(ActivityChoice.id)).join(Application)
                                .filter(Application.offering_id == offering_id))
    return {
        "applications": len(rows),
        "apply_successes": len(told),
        "children_with_two_or_more": sum(1 for count in per_child.values() if count > 1),
        "lost": sum(1 for application_id in told if application_id not in stored),
        "wrong_child": sum(1 for a, s in told.items() if a in stored and stored[a] != s),
        "stored_but_reported_failed": sum(1 for application_id in stored if application_id not in told),
        "activity_choices": choices,
        "matches": len(rows) == len(told) and set(stored) == set(told),
    }


# --- What each step costs ---


def run_locust(plan_file: Path, results: Path, urls: list[str], args, log: Path) -> tuple[dict, float]:
    """Run the locustfile headless (the guardians take the nodes' URLs in turn); its results and its CPU seconds."""
    return _run_locust(LOCUSTFILE, urls[0], users=args.guardians, spawn_rate=args.guardians / args.ramp,
                       run_time_s=args.window, results=results, log=log, cpus=args.cpus and args.cpus[1],
                       env={"SIGNUP_PLAN": str(plan_file), "SIGNUP_RESULTS": str(results), "SIGNUP_THINK": args.think,
                            "SIGNUP_NODES": ",".join(urls)})


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIRST_CHOICE = re.compile(r'name="choice_1">.*?<option value="0">[^<]*</option><option value="(\d+)"', re.S)


def sign_up(guardian: dict, plan: dict, request) -> None:
    """One guardian's journey, one request at a time: request(step, path, data or None) sends it (a POST with data)
    and returns (status, redirect path, page text). The login and the application must be taken (302)."""
    _, _, page = request("login page", "/account/login", None)
    status, _, _ = request("login", "/account/login", {
        "csrf_token": TOKEN.search(page).group(1), "mobile": guardian["mobile"], "password": plan["password"]})
    if status != 302:
        raise RuntimeError(f"the login of {guardian['mobile']} was refused (HTTP {status})")
    request("notice", plan["notice_path"], None)
    apply_path = f"/enrolment/apply/{guardian['student_id']}/{plan['offering_id']}"
    _, _, page = request("form", apply_path, None)
    first_choice = FIRST_CHOICE.search(page)
    status, location, _ = request("apply", apply_path, {
        "csrf_token": TOKEN.search(page).group(1), "student_number": guardian["student_number"],
        "weekdays": [0, 1, 2, 3, 4], "choice_1": first_choice.group(1) if first_choice else 0, "choice_2": 0,
        "choice_3": 0, "pickup": "collected", "pickup_people": "母亲 王芳", "agree": "y"})
    if status != 302:
        raise RuntimeError(f"the application of {guardian['mobile']} was refused (HTTP {status})")
    request("application", location, None)


def step_costs(base: str, plan: dict, pids: list[int], cores: int | None = None) -> dict:
    """The calibration guardians sign up one request at a time on the idle server: each step's latency alone and the
    CPU it costs the server (gunicorn workers and PostgreSQL backends, mean over the guardians) — where the time goes
    and how many journeys a second the site's cores (`cores`, else the machine's) could serve at most."""
    costs: dict[str, list[tuple[float, float]]] = {step: [] for step in STEPS}

    def request(opener, step: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        cpu, started = cpu_seconds(pids), time.perf_counter()
        try:
            with opener.open(base + path, data=body, timeout=60) as response:
                status, location, text = response.status, "", response.read().decode()
        except urllib.error.HTTPError as answer:
            status, location, text = answer.code, answer.headers.get("Location", ""), ""
        costs[step].append(((time.perf_counter() - started) * 1000, (cpu_seconds(pids) - cpu) * 1000))
        return status, urlsplit(location).path, text

    for guardian in plan["calibration"]:
        opener = cookie_browser()
        sign_up(guardian, plan, lambda step, path, data, opener=opener: request(opener, step, path, data))
    steps = {}
    for step, rows in costs.items():
        latencies = sorted(latency for latency, _ in rows)
        steps[step] = {"latency_alone_ms": round(percentile(latencies, 50), 1),
                       "server_cpu_ms": round(sum(cpu for _, cpu in rows) / len(rows), 1)}
    journey_cpu = sum(step["server_cpu_ms"] for step in steps.values())
    cores = cores or os.cpu_count() or 1
    return {"guardians": len(plan["calibration"]), "steps": steps, "journey_server_cpu_ms": round(journey_cpu, 1),
            "max_journeys_per_s": round(cores * 1000 / journey_cpu, 2) if journey_cpu else None}


# --- Figures ---


def summarise(results: dict, guardians: int) -> dict:
    samples, outcomes = results["samples"], results["outcomes"]
    first = min((s[1] for s in samples), default=0.0)
    last = max((s[1] + s[2] / 1000 for s in samples), default=0.0)
    duration = max(last - first, 1e-9)
    per_10s = Counter(int((s[1] - first) // 10) for s in samples)
    failures = Counter(o["failed"][:160] for o in outcomes if o["failed"])
    journeys = [o["ended"] - o["started"] for o in outcomes if not o["failed"]]
    return {
        "overall": latency(samples) | {"duration_s": round(duration, 1), "rps": round(len(samples) / duration, 1),
                                       "answered_503": sum(1 for s in samples if s[4] == 503),
                                       "peak_10s_rps": round(max(per_10s.values(), default=0) / 10, 1)},
        "steps": {step: latency([s for s in samples if s[0] == step]) for step in STEPS},
        "journeys": {"guardians": guardians, "started": len(outcomes), "never_started": guardians - len(outcomes),
                     "completed": sum(1 for o in outcomes if not o["failed"]),
                     "logged_in": sum(1 for o in outcomes if o["login"]),
                     "applied": sum(1 for o in outcomes if o["applied"]),
                     "median_journey_s": round(sorted(journeys)[len(journeys) // 2], 1) if journeys else None,
                     "failures": dict(failures.most_common(8))},
    }


def per_node(results: dict, urls: list[str], servers_cpu: list[float]) -> list[dict]:
    """Each node's share: its requests' latency, its journeys, its gunicorn's CPU seconds."""
    nodes = []
    for n, url in enumerate(urls):
        outcomes = [o for o in results["outcomes"] if o.get("node", 0) == n]
        nodes.append({"url": url, "overall": latency([s for s in results["samples"] if (s[5:] or [0])[0] == n]),
                      "journeys": len(outcomes), "completed": sum(1 for o in outcomes if not o["failed"]),
                      "applied": sum(1 for o in outcomes if o["applied"]), "gunicorn_cpu_s": servers_cpu[n]})
    return nodes


def shared_password_hash() -> tuple[str, dict]:
    """The benchmark password hashed once by the app (inside an app context), and what one check of it costs."""
    return _shared_password_hash(PASSWORD)


def seeded_site(url: str, guardians: int, seed: int = 1, **extra: str) -> tuple[dict, object, dict, tuple[str, dict]]:
    """The served site's environment on this database (with `extra` settings), migrated; the app created in this
    process on it; a sign-up day seeded with this many guardians, their password hashed once. Returns the
    environment, the app, the plan and shared_password_hash()'s (hash, what a check costs)."""
    env = serving_env(url, LOGIN_RATE_LIMIT, **extra)
    upgrade(env)
    use_in_this_process(env)
    from app import create_app
    from app.extensions import db

    app = create_app("production")
    with app.app_context():
        password = shared_password_hash()
        plan = seed_signup_day(guardians, password[0], seed)
        db.session.remove()
        db.engine.dispose()
    return env, app, plan, password


def commit() -> dict:
    return _commit()


def print_table(figures: dict) -> None:
    print(f"\n{'database':<11} {'step':<12} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}")
    for name, run in figures.items():
        rows = [("all", run["overall"]), *run["steps"].items()]
        for k, (step, row) in enumerate(rows):
            print(f"{name if k == 0 else '':<11} {step:<12} {row['requests']:>8} {row['errors']:>6} "
                  f"{row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f} {row['max_ms']:>8.0f}")
    print(f"\n{'database':<11} {'rps':>6} {'peak':>6} {'journeys ok':>11} {'apply ok':>8} {'in db':>6} {'doubles':>7} "
          f"{'lost':>5} {'unreported':>10} {'cpu s: web':>10} {'db':>5} {'locust':>6} {'other':>5}  verdict")
    for name, run in figures.items():
        o, j, d, c = run["overall"], run["journeys"], run["database_check"], run["cpu_seconds"]
        print(f"{name:<11} {o['rps']:>6.1f} {o['peak_10s_rps']:>6.1f} {j['completed']:>5}/{j['guardians']:<5} "
              f"{j['applied']:>8} {d['applications']:>6} {d['children_with_two_or_more']:>7} {d['lost']:>5} "
              f"{d['stored_but_reported_failed']:>10} {c['gunicorn']:>10.0f} {c['database']:>5.0f} "
              f"{c['locust']:>6.0f} {c['other_processes']:>5.0f}  {run['verdict']}")
    for name, run in figures.items():
        if run.get("database_restart"):
            r = run["database_restart"]
            print(f"  {name}: database restarted {r['at_s']:.0f} s into the load, down {r['down_s']} s; "
                  f"{run['overall']['answered_503']} requests answered 503 and sent again")
    for name, run in figures.items():
        for n, node in enumerate(run.get("nodes", [])):
            o = node["overall"]
            print(f"  {name} node {n + 1} ({node['url']}): {o['requests']} requests, {o['errors']} errors, p50 "
                  f"{o['p50_ms']:.0f} ms, p95 {o['p95_ms']:.0f} ms; journeys {node['completed']}/{node['journeys']}, "
                  f"applied {node['applied']}; gunicorn CPU {node['gunicorn_cpu_s']:.0f} s")
    for name, run in figures.items():
        for reason, count in run["journeys"]["failures"].items():
            print(f"  {name}: {count} × {reason}")
    print("\nwhere the time goes — each step alone on the idle server (median latency / mean server CPU, ms):")
    print(f"{'database':<11} " + " ".join(f"{step:>17}" for step in STEPS) + f" {'journey CPU':>11} {'max/s':>6}")
    for name, run in figures.items():
        costs = run.get("step_costs")
        if costs:
            cells = " ".join(f"{c['latency_alone_ms']:>8.0f} /{c['server_cpu_ms']:>7.0f}"
                             for c in costs["steps"].values())
            print(f"{name:<11} {cells} {costs['journey_server_cpu_ms']:>11.0f} {costs['max_journeys_per_s']:>6.1f}")


# --- One run ---


class DatabaseRestart(threading.Thread):
    """Stop the PostgreSQL server `at` seconds from now and start it again `outage` seconds later (same data, same
    port); what happened, and the CPU its old server had used, in .report."""

    def __init__(self, pg, at: float, outage: float, cpus: list[int] | None = None) -> None:
        super().__init__(daemon=True, name="database-restart")
        self.pg, self.at, self.outage, self.cpus, self.report = pg, at, outage, cpus, {}

    def run(self) -> None:
        time.sleep(self.at)
        old = postmaster_pid(self.pg)
        self.report["old_server_cpu_s"] = cpu_seconds([old])
        stopping = time.monotonic()
        self.pg.stop_server("fast")
        stopped = time.monotonic()
        time.sleep(self.outage)
        self.pg.start_server()
        pin([postmaster_pid(self.pg)], self.cpus)  # the new server on the site's cores too
        self.report.update(at_s=self.at, stop_s=round(stopped - stopping, 2),
                           down_s=round(time.monotonic() - stopped, 2))
        print(f"[postgresql] database restarted: down {self.report['down_s']} s", flush=True)


def run_database(kind: str, args, workdir: Path) -> dict:
    """Build, seed, serve (on args.nodes gunicorn servers) and load one database; the figures."""
    from app.extensions import db

    folder = workdir / kind
    folder.mkdir()
    pg = redis = None
    servers: list = []
    try:
        pg, url = fresh_database(kind, folder, "signup")
        extra = {}
        if args.nodes > 1:  # the nodes share the login limiter's counts, as production's do
            from tests.redis_server import RedisServer

            redis = RedisServer().start()
            extra["RATELIMIT_STORAGE_URI"] = redis.url
        started = time.monotonic()
        env, app, plan, (_, password) = seeded_site(url, args.guardians + CALIBRATION, args.seed, **extra)
        plan["guardians"], plan["calibration"] = plan["guardians"][:args.guardians], plan["guardians"][args.guardians:]
        seeding = time.monotonic() - started
        plan_file = folder / "plan.json"
        plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        print(f"[{kind}] migrated and seeded {len(plan['guardians'])} guardians, {plan['classes']} classes, "
              f"{plan['activities']} activities in {seeding:.1f} s; serving with gunicorn"
              + (f" on {args.nodes} nodes" if args.nodes > 1 else ""), flush=True)

        urls, logs = [], []
        for n in range(args.nodes):
            port = free_port()
            logs.append(folder / ("gunicorn.log" if args.nodes == 1 else f"gunicorn-node{n + 1}.log"))
            servers.append(start_gunicorn(env, port, args, logs[-1]))
            urls.append(f"http://127.0.0.1:{port}")
        web_pids = [server.pid for server in servers]
        postmaster = postmaster_pid(pg)
        redis_pids = [redis.process.pid] if redis else []
        server_cpus, load_cpus = args.cpus or (None, None)
        pin([*web_pids, *([postmaster] if postmaster else []), *redis_pids], server_cpus)
        if load_cpus:  # this process alone (not its servers): the calibration's requests come from here
            os.sched_setaffinity(0, load_cpus)
        time.sleep(3)  # every worker booted, so its import is not counted as serving
        web_cpu = [cpu_seconds([pid]) for pid in web_pids]
        db_cpu, redis_cpu = cpu_seconds([postmaster] if postmaster else []), cpu_seconds(redis_pids)
        busy, load_before = machine_busy_seconds(), os.getloadavg()[0]
        print(f"[{kind}] locust: {args.guardians} guardians over {args.ramp} s, think {args.think} s, "
              f"window {args.window} s", flush=True)
        restart = None
        if pg and args.restart_db_at:
            restart = DatabaseRestart(pg, args.restart_db_at, args.outage, server_cpus)
            restart.start()
        results, locust_cpu = run_locust(plan_file, folder / "results.json", urls, args, folder / "locust.log")
        if restart:
            restart.join()
            db_cpu -= restart.report.pop("old_server_cpu_s", 0.0)  # the first server's share, then the new one's
            postmaster = postmaster_pid(pg)
        servers_cpu = [round(cpu_seconds([pid]) - before, 1) for pid, before in zip(web_pids, web_cpu, strict=True)]
        cpu = {"gunicorn": round(sum(servers_cpu), 1),
               "database": round(cpu_seconds([postmaster]) - db_cpu, 1) if postmaster else 0.0,
               "locust": round(locust_cpu, 1)}
        if redis:
            cpu["redis"] = round(cpu_seconds(redis_pids) - redis_cpu, 1)
        # Whatever else ran on the machine meanwhile (other test suites...) took CPU from the site: say how much.
        cpu["other_processes"] = round(max(0.0, machine_busy_seconds() - busy - sum(cpu.values())), 1)
        cpu["load_average_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        figures = summarise(results, args.guardians)
        if restart:
            figures["database_restart"] = restart.report
        if args.nodes > 1:
            figures["nodes"] = per_node(results, urls, servers_cpu)
        with app.app_context():
            figures["database_check"] = check_database(plan["offering_id"], results["outcomes"])
            db.session.remove()
            db.engine.dispose()
        served = [*web_pids, *([postmaster] if postmaster else []), *redis_pids]
        wait_until_idle(served)
        figures["step_costs"] = step_costs(urls[0], plan, served, server_cpus and len(server_cpus))
        for server in servers:
            stop_process(server)
        servers = []
        figures["cpu_seconds"] = cpu
        figures["password"] = password
        figures["gunicorn_log_lines"] = sum(sum(1 for _ in log.open()) for log in logs)
        figures["verdict"] = verdict(kind, figures)
        return figures
    finally:
        for server in servers:
            stop_process(server)
        if redis is not None:
            redis.stop()
        if pg is not None:
            pg.stop()


def verdict(kind: str, figures: dict) -> str:
    check, overall, journeys = figures["database_check"], figures["overall"], figures["journeys"]
    problems = []
    if check["lost"] or check["wrong_child"]:
        problems.append(f"{check['lost']} applications lost, {check['wrong_child']} on the wrong child")
    if check["children_with_two_or_more"]:
        problems.append(f"{check['children_with_two_or_more']} children with two applications")
    if check["stored_but_reported_failed"]:
        problems.append(f"{check['stored_but_reported_failed']} applications stored without the guardian being told")
    outage = overall.get("answered_503", 0) if figures.get("database_restart") else 0  # expected, and sent again
    if overall["errors"] - outage:
        problems.append(f"{overall['errors'] - outage} failed requests")
    if journeys["completed"] < journeys["guardians"]:
        problems.append(f"{journeys['guardians'] - journeys['completed']} journeys not completed in the window")
    if kind == "postgresql" and overall["p95_ms"] >= TARGET_P95_MS:
        problems.append(f"p95 {overall['p95_ms']:.0f} ms ≥ {TARGET_P95_MS} ms")
    return "ok" if not problems else "; ".join(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--guardians", type=int, default=DEFAULT_GUARDIANS)
    parser.add_argument("--ramp", type=float, default=270, help="seconds over which the guardians arrive")
    parser.add_argument("--window", type=int, default=WINDOW_S, help="seconds locust runs at most")
    parser.add_argument("--think", default="1-2", help="seconds a guardian pauses between steps (min-max)")
    gunicorn_arguments(parser, "gunicorn workers per node")
    parser.add_argument("--nodes", type=int, default=1,
                        help="gunicorn servers (web nodes) on their own ports, sharing the database and a Redis")
    parser.add_argument("--restart-db-at", type=float, metavar="SECONDS",
                        help="PostgreSQL: stop the server this long into the load and start it again --outage later")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the database stays down (--restart-db-at)")
    parser.add_argument("--server-cpus", metavar="LIST",
                        help="hold the site (gunicorn, PostgreSQL, Redis) to these CPUs, e.g. 0,1, and locust to the "
                             "others (a machine with more CPUs than these)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=1800, help="hard limit for the whole benchmark, seconds")
    parser.add_argument("--out", type=Path, help="where the JSON goes (default: benchmarks/signup_last_run.json "
                                                 "for a full-size run, else the work folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, plan, raw samples)")
    args = parser.parse_args()
    if args.restart_db_at and args.db != "postgresql":
        parser.error("--restart-db-at restarts the throwaway PostgreSQL: use it with --db postgresql")
    if args.ramp + 30 > args.window:
        parser.error("the ramp must leave at least 30 s of the window for the last guardians' journeys")
    args.cpus = cpu_split(args.server_cpus)
    settle_workers(args, args.cpus and args.cpus[0])

    stop_on_signals(args.timeout)

    load_at_start, code = [round(x, 2) for x in os.getloadavg()], commit()  # what is measured: the tree at start
    workdir = Path(tempfile.mkdtemp(prefix="signup-load-"))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"sign-up day: {args.guardians} guardians, {', '.join(kinds)}; nproc {os.cpu_count()}, load {load_at_start}; "
          f"{args.nodes} × gunicorn {args.workers} × {args.worker_class} (threads {args.threads}); "
          + (f"site on CPUs {args.cpus[0]}, locust on {args.cpus[1]}; " if args.cpus else "") +
          f"LOGIN_RATE_LIMIT={LOGIN_RATE_LIMIT!r} for this run only (all guardians come from 127.0.0.1); "
          f"work folder {workdir}", flush=True)
    figures, ok, out = {}, False, None
    try:
        for kind in kinds:
            figures[kind] = run_database(kind, args, workdir)
        ok = True
    finally:
        signal.alarm(0)
        if figures:
            print_table(figures)
            report = {
                "benchmark": "signup_load", "date": datetime.now(UTC).isoformat(timespec="seconds"), **code,
                "command": " ".join([".venv/bin/python", "benchmarks/signup_load.py", *sys.argv[1:]]),
                "machine": {"nproc": os.cpu_count(), "load_average_at_start": load_at_start,
                            "python": platform.python_version(),
                            **({"site_cpus": args.cpus[0], "load_cpus": args.cpus[1]} if args.cpus else {})},
                "gunicorn": {"app": "wsgi:app", "APP_CONFIG": "production", "bind": "127.0.0.1:<free port>",
                             "nodes": args.nodes,
                             "workers": args.workers, "worker_class": args.worker_class, "threads": args.threads,
                             "timeout_s": 60, "access_log": False},
                "rate_limit": f"LOGIN_RATE_LIMIT={LOGIN_RATE_LIMIT!r}: the per-address login limit, raised for the "
                              "run (every virtual guardian comes from 127.0.0.1)",
                "load": {"guardians": args.guardians, "ramp_s": args.ramp, "spawn_rate": round(args.guardians
                                                                                            / args.ramp, 3),
                         "think_s": args.think, "window_s": args.window, "journey": STEPS, "seed": args.seed},
                "targets": {"postgresql_p95_ms_below": TARGET_P95_MS, "errors": 0, "lost_or_doubled": 0},
                "complete": ok, "results": figures,
            }
            full = args.guardians == DEFAULT_GUARDIANS and args.window == WINDOW_S and ok
            last_run = LAST_RUN if args.nodes == 1 else LAST_RUN.with_name(f"signup_{args.nodes}_nodes_last_run.json")
            out = args.out or (last_run if full else workdir / "signup_run.json")
            out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(f"\nfigures written to {out}")
        if ok and not args.keep and not (figures and out.parent == workdir):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work folder kept (logs, plan, raw samples): {workdir}")
    sys.exit(0 if ok and all(run["verdict"] == "ok" for run in figures.values()) else 1)


if __name__ == "__main__":
    main()
