"""A county's 16:30 peak: 200 staff open their registers, make 6,000 taps, then 3,000 sign-outs by pickup code.

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python benchmarks/daily_peak.py [--db postgresql|sqlite] [--staff 200] [--children 30] [--ramp 360]

A fresh database (a throwaway PostgreSQL started by tests/pg.py, loopback only, or a SQLite file) with the migrations
applied, seeded through the models inside create_app("production") (seed_daily_peak below): one county, --schools
schools, --staff staff members (class teachers, and one provider's staff member per school) each with a StaffProfile
and assigned on the roster to one after-school session today (school time) of their class; --children children in
each class, each with a guardian and an approved application to the school's published offering that covers today,
so each session expects --children children (app.rosters.expected, checked by the seed); half the children have an
adult allowed to collect them, whose pickup code of the day the seed computes (app.daily.codes.code_for) with the
SECRET_KEY the served site gets too. The site is served by gunicorn (wsgi:app, APP_CONFIG=production) on a free port
of 127.0.0.1; locust (benchmarks/daily_peak_locustfile.py, headless) sends the staff in evenly over --ramp seconds,
each once: login page, login, the day's page (/day/), their register, a tap per child (JSON, as the page's script
sends it; some tapped twice — one after the other, or two at once like a double tap — and a few corrected), a pause
while the session runs, the hand-over page, and a sign-out by code for each child who has a collecting adult (a few
sent twice, a few with a mistyped code first). Everything stops by itself: locust after --window seconds (10
minutes), the whole run at --timeout, gunicorn and PostgreSQL on exit, error or Ctrl-C.

Then the database is checked: exactly one mark per child tapped, with the last status tapped and the staff member
who tapped it; as many history rows (AttendanceChange) as taps that changed a mark (a double tap adds none); exactly
one sign-out per child signed out, by code, with the adult and the staff member. Afterwards a few calibration staff
take their register one request at a time on the idle server: each step's latency alone, the CPU it costs the server
(gunicorn workers and PostgreSQL backends) and, on PostgreSQL, the SQL statements it sends (the server's statement
log, counted per request; with --keep, the SQL of each step's first request is in the work folder).

The login limit is per address and every virtual staff member comes from 127.0.0.1, so the run raises it through the
environment (LOGIN_RATE_LIMIT, read by config.py); nothing else differs from production. The sessions started two
minutes before the seeding (school time), so the registers are open and no missing-child alert is due yet; the
messages the taps and sign-outs write (a child absent without notice, a child collected) are queued for the
notification sender, which production runs as a process of its own (NOTIFY_SENDER unset) and this run does not start.

Figures: a table on stdout and benchmarks/daily_peak_last_run.json (a run of another size writes into its work folder).
"""

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    ROOT,
    browser,
    commit,
    cpu_seconds,
    free_port,
    fresh_database,
    gunicorn_arguments,
    latency,
    machine_busy_seconds,
    percentile,
    postmaster_pid,
    run_locust,
    serving_env,
    settle_workers,
    shared_password_hash,
    start_gunicorn,
    stop_on_signals,
    stop_process,
    upgrade,
    use_in_this_process,
    wait_until_idle,
)

LOCUSTFILE = ROOT / "benchmarks" / "daily_peak_locustfile.py"
LAST_RUN = ROOT / "benchmarks" / "daily_peak_last_run.json"
PASSWORD = "school-day-2026"
LOGIN_RATE_LIMIT = "100000 per minute"  # raised for the run: every virtual staff member logs in from 127.0.0.1
TARGET_TAP_P95_MS = 300
DEFAULT_STAFF, DEFAULT_CHILDREN, DEFAULT_SCHOOLS = 200, 30, 10
WINDOW_S = 600  # the peak's ten minutes: every journey starts and ends inside it
CALIBRATION = 2  # staff more, who take their register one request at a time after the load
STEPS = ["login page", "login", "today", "register", "tap", "tap again", "handover", "sign-out", "sign-out again",
         "wrong code"]
TAP_STEPS = ("tap", "tap again")  # the issue's target: p95 of a tap (doubles included)
STATUSES = ("present", "absent", "late", "left_early")


# --- The database ---


def seed_daily_peak(*, schools: int, staff: int, children: int, password_hash: str, seed: int,
                    day: date | None = None, starts_at: dtime | None = None, minutes: int = 120,
                    adults_share: float = 0.5) -> dict:
    """The county's afternoon, inside an app context (flushes; the caller commits). Staff member k works at school
    k % schools: a class teacher (the last of each school's staff, a provider's staff member) assigned to one
    after-school session today of a class of `children` children, each with a verified guardian and an approved
    application; `adults_share` of each class has a collecting adult, with today's pickup code. Returns the plan
    the locust users follow (and the test checks)."""
    from app.accounts.models import AdminTitle, GuardianLink, Relationship, Role, User
    from app.daily.codes import code_for
    from app.daily.models import PickupAdult
    from app.enrolment.models import Application, ApplicationStatus
    from app.extensions import db
    from app.models_base import local_today, school_zone, utcnow
    from app.programs import services as programs
    from app.programs.models import Offering, OfferingKind
    from app.providers.models import Provider, ProviderStatus
    from app.rosters.expected import expected_by_session
    from app.rosters.models import Assignment, PlannedSession, Week
    from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student, Term
    from app.staff.models import StaffProfile, StaffType
    from scheduling.policy import AFTER_SCHOOL_KIND

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    given = "子涵梓萱思雨欣怡俊熙一诺佳琪浩然宇轩明杰雅静"
    day = day or local_today()
    if starts_at is None:  # the session started two minutes ago (school time): its register is being taken now
        now = datetime.now(school_zone()).replace(second=0, microsecond=0, tzinfo=None)
        starts_at = max(now - timedelta(minutes=2), datetime.combine(now.date(), dtime(0, 0))).time()
    ends = datetime.combine(day, starts_at) + timedelta(minutes=minutes)
    ends_at = ends.time() if ends.date() == day else dtime(23, 59)
    weekday = day.weekday()

    def person() -> str:
        return rng.choice(surnames) + "".join(rng.sample(given, 2))

    def account(mobile: str, name: str, role: Role, **fields) -> User:
        user = User(mobile=mobile, name=name, role=role, password_hash=password_hash, **fields)
        db.session.add(user)
        return user

    county = County(name="晚高峰县", code="PEAK")
    provider = Provider(county=county, name="晚高峰体育俱乐部", categories=["sports"], status=ProviderStatus.ACTIVE,
                        vetted_until=day + timedelta(days=365))
    db.session.add(provider)
    school_rows = []
    for n in range(schools):
        school = School(county=county, code=f"PK{n + 1:02d}", name=f"晚高峰第{n + 1}小学",
                        school_type=SchoolType.PRIMARY, address=f"晚高峰县学府路{n + 1}号")
        school.terms.append(Term(name="本学期", starts_on=day - timedelta(days=60), ends_on=day + timedelta(days=60)))
        db.session.add(school)
        school_rows.append(school)
    db.session.flush()
    coordinators = [account(f"1360000{n + 1:04d}", person() + "主任", Role.SCHOOL_ADMIN, school=school,
                            admin_title=AdminTitle.COORDINATOR) for n, school in enumerate(school_rows)]
    db.session.flush()

    # The staff, their classes and sessions: staff member k at school k % schools.
    per_school: dict[int, list[int]] = {}
    for k in range(staff):
        per_school.setdefault(k % schools, []).append(k)
    weeks, offerings, grades = {}, {}, {}
    members = []  # (k, user, school, class)
    for s, ks in per_school.items():
        school = school_rows[s]
        for position, k in enumerate(ks):
            from_provider = len(ks) > 1 and position == len(ks) - 1
            if from_provider:
                user = account(f"137{k + 1:08d}", person() + "教练", Role.PROVIDER_STAFF, provider=provider)
                user.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=["sports"], opted_in=True)
            else:
                user = account(f"137{k + 1:08d}", person() + "老师", Role.TEACHER, school=school)
                user.staff_profile = StaffProfile(school_id=school.id, staff_type=StaffType.TEACHER,
                                                  subjects=["数学"], skills=["supervision", "homework_help"],
                                                  opted_in=True)
            grade_number = position % 6 + 1
            grade = grades.get((s, grade_number))
            if grade is None:
                grade = grades[(s, grade_number)] = Grade(number=grade_number)
                school.grades.append(grade)
            school_class = SchoolClass(school=school, number=position // 6 + 1,
                                       class_teacher=None if from_provider else user)
            grade.classes.append(school_class)
            members.append((k, user, school, school_class, from_provider))
    db.session.flush()

    for school in school_rows:
        term = school.terms[0]
        offering = Offering(
            school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id, title="本学期课后服务",
            starts_on=term.starts_on, ends_on=term.ends_on, weekdays=[0, 1, 2, 3, 4], starts_at=dtime(15, 30),
            ends_at=dtime(17, 40), basic_content="看护、作业辅导与答疑，不讲授新课", apply_deadline=term.starts_on,
            basic_fee_cents=20000, safety_measures="专人看护，凭接送码接送")
        db.session.add(offering)
        db.session.flush()
        coordinator = coordinators[school_rows.index(school)]  # publishes the offering, as a school does
        agreement = programs.add_agreement(school, "课后服务协议书\n学生自愿参加，家长申请，学校审核后实施。",
                                           coordinator)
        programs.publish_offering(offering, coordinator, "晚高峰")
        offerings[school.id] = (offering, agreement)
        weeks[school.id] = Week(school_id=school.id, monday=day - timedelta(days=weekday))
        db.session.add(weeks[school.id])
    db.session.flush()

    # Children, guardians, approved applications, collecting adults.
    student_rows = []  # (k, student, guardian, has_adult)
    year = day.year
    for k, _user, school, school_class, _ in members:
        with_adult = set(rng.sample(range(children), round(children * adults_share)))
        for c in range(children):
            student = Student(school=school, school_class=school_class, name=person(),
                              student_number=f"{school.code}{year - school_class.grade.number + 1}{k:03d}{c:02d}")
            guardian = account(f"150{k:05d}{c:03d}", student.name[0] + "家长", Role.GUARDIAN)
            db.session.add(student)
            student_rows.append((k, student, guardian, c in with_adult))
    db.session.flush()
    now = utcnow()
    links, applications, adults = [], [], []
    coordinator_of = {school.id: coordinators[n] for n, school in enumerate(school_rows)}
    for k, student, guardian, has_adult in student_rows:
        links.append(GuardianLink(guardian=guardian, student=student, verified=True, verified_at=now,
                                  relationship_kind=Relationship.MOTHER,
                                  verified_by=coordinator_of[student.school_id]))
        offering, agreement = offerings[student.school_id]
        applications.append(Application(
            school_id=student.school_id, offering_id=offering.id, student_id=student.id, guardian_id=guardian.id,
            status=ApplicationStatus.APPROVED, notice_version=offering.published_version,
            weekdays=sorted({0, 1, 2, 3, 4, weekday}), pickup_people="奶奶", agreement_id=agreement.id,
            signed_at=now, signed_by_id=guardian.id))
        if has_adult:
            adults.append(PickupAdult(student_id=student.id, name=student.name[0] + "奶奶", relation="奶奶",
                                      mobile=f"151{k:05d}{len(adults) % 1000:03d}", added_by_id=guardian.id))
    db.session.add_all(links + applications + adults)
    db.session.flush()

    sessions = {}
    for k, _user, school, school_class, from_provider in members:
        session = PlannedSession(week=weeks[school.id], on_date=day, starts_at=starts_at, ends_at=ends_at,
                                 kind=AFTER_SCHOOL_KIND, activity="sports" if from_provider else "homework_help",
                                 series=f"{school_class.grade.number}年级{school_class.number}班课后服务",
                                 room=f"{school_class.grade.number}0{school_class.number}教室",
                                 enrolled=children, staff_needed=1, classes=[school_class])
        db.session.add(session)
        sessions[k] = session
    db.session.flush()
    db.session.add_all(Assignment(session_id=sessions[k].id, profile_id=user.staff_profile.id, pinned=True)
                       for k, user, *_ in members)
    db.session.flush()

    # The plan, and the check that the app expects exactly these children in each session.
    adult_of = {adult.student_id: adult for adult in adults}
    expected = expected_by_session(session.id for session in sessions.values())
    plan_staff = []
    for k, user, school, _class, from_provider in members:
        session = sessions[k]
        mine = [student for kk, student, _, _ in student_rows if kk == k]
        seen = {application.student_id for application in expected[session.id].children}
        if expected[session.id].estimated or seen != {student.id for student in mine}:
            raise RuntimeError(f"the app expects {len(seen)} children in session {session.id}, not the "
                               f"{len(mine)} seeded (app.rosters.expected has changed its rule?)")
        plan_staff.append({
            "mobile": user.mobile, "name": user.name, "user_id": user.id, "provider": from_provider,
            "school_id": school.id, "session_id": session.id,
            "children": [{"student_id": student.id, "name": student.name,
                          "adult_id": adult_of[student.id].id if student.id in adult_of else None,
                          "code": code_for(adult_of[student.id], day) if student.id in adult_of else None}
                         for student in mine]})
    return {"seed": seed, "password": PASSWORD, "day": day.isoformat(), "starts_at": starts_at.isoformat("minutes"),
            "ends_at": ends_at.isoformat("minutes"), "schools": len(school_rows), "staff": plan_staff}


def add_journeys(plan: dict, args) -> dict:
    """What each staff member taps and signs out, in order (deterministic for a seed); the expected outcome.

    A tap is [student_id, status, kind]: kind "tap" (the first), "twice" (the first sent twice at once: a double
    tap), "again" (the same status sent once more after the answer: a resubmitted tap), "correct" (a later tap with
    another status). A sign-out is [student_id, code, kind]: "sign-out", "again" (sent once more), "wrong"
    (a mistyped code first, then the right one as "sign-out")."""
    for member in plan["staff"]:
        rng = random.Random(f"{plan['seed']}:{member['mobile']}")
        taps, corrections, signouts = [], [], []
        for child in member["children"]:
            sid = child["student_id"]
            if child["adult_id"] is None and rng.random() < args.absent_share:
                status = "absent"
            else:
                status = "late" if rng.random() < 0.05 else "present"
            roll = rng.random()
            taps.append([sid, status, "twice" if roll < args.concurrent_share else "tap"])
            if args.concurrent_share <= roll < args.concurrent_share + args.repeat_share:
                taps.append([sid, status, "again"])
            if child["adult_id"] is None and status == "absent" and rng.random() < 0.5:
                corrections.append([sid, "late", "correct"])  # arrived after all
            elif child["adult_id"] is None and status != "absent" and rng.random() < args.correct_share:
                corrections.append([sid, "left_early", "correct"])
            if child["adult_id"] is not None:
                if rng.random() < args.wrong_code_share:
                    wrong = str((int(child["code"]) + 1) % 10 ** len(child["code"])).zfill(len(child["code"]))
                    signouts.append([sid, wrong, "wrong"])
                signouts.append([sid, child["code"], "sign-out"])
                if rng.random() < args.repeat_share:
                    signouts.append([sid, child["code"], "again"])
        member["taps"], member["signouts"] = taps + corrections, signouts
    return expected_outcome(plan)


def expected_outcome(plan: dict) -> dict:
    """Marks (final status per session and child), history rows and sign-outs the taps should leave behind."""
    marks, changes, signed_out = {}, 0, set()
    for member in plan["staff"]:
        for sid, status, _ in member.get("taps", []):
            key = f"{member['session_id']}:{sid}"
            if marks.get(key) != status:
                changes += 1
            marks[key] = status
        signed_out |= {f"{member['session_id']}:{sid}" for sid, _, kind in member.get("signouts", [])
                       if kind == "sign-out"}
    return {"marks": marks, "changes": changes, "signed_out": sorted(signed_out),
            "taps": sum(len(m.get("taps", [])) for m in plan["staff"]),
            "signout_requests": sum(len(m.get("signouts", [])) for m in plan["staff"])}


def check_database(plan: dict, expected: dict, results: dict) -> dict:
    """Marks, history and sign-outs in the database against what the staff did and were told (inside an app
    context). Lost: answered as done, not in the database; not reached: planned, but the run ended before the staff
    member got there (their journey is counted unfinished)."""
    from app.daily.models import AttendanceChange, AttendanceMark, SignOut
    from app.extensions import db

    session_ids = [m["session_id"] for m in plan["staff"]]
    staff_of = {m["session_id"]: m["user_id"] for m in plan["staff"]}
    session_of = {c["student_id"]: m["session_id"] for m in plan["staff"] for c in m["children"]}
    adult_of = {c["student_id"]: c["adult_id"] for m in plan["staff"] for c in m["children"]}
    marks = db.session.execute(db.select(AttendanceMark.session_id, AttendanceMark.student_id, AttendanceMark.status,
                                         AttendanceMark.marked_by_id)
                               .where(AttendanceMark.session_id.in_(session_ids))).all()
    per_pair = Counter(f"{s}:{c}" for s, c, _, _ in marks)
    stored = {f"{s}:{c}": (status.value, by) for s, c, status, by in marks}
    changes = db.session.scalar(db.select(db.func.count(AttendanceChange.id))
                                .where(AttendanceChange.session_id.in_(session_ids)))
    signouts = db.session.execute(db.select(SignOut.session_id, SignOut.student_id, SignOut.method, SignOut.adult_id,
                                            SignOut.staff_id).where(SignOut.session_id.in_(session_ids))).all()
    per_child = Counter(f"{s}:{c}" for s, c, *_ in signouts)
    told_changed = sum(1 for outcome in results["taps"] if outcome[2] is True)
    last_told = {f"{session_of[sid]}:{sid}": status for sid, _, _, status in results["taps"]}  # the last answered
    told_out = {f"{session_of[sid]}:{sid}" for sid, _, _ in results.get("signouts", [])}
    want_marks, want_out = expected["marks"], set(expected["signed_out"])
    return {
        "marks": len(marks), "marks_expected": len(want_marks),
        "marks_lost": sum(1 for key in last_told if key not in stored),
        "marks_not_reached": sum(1 for key in want_marks if key not in last_told),
        "marks_doubled": sum(1 for count in per_pair.values() if count > 1),
        "marks_unexpected": sum(1 for key in stored if key not in want_marks),
        "marks_wrong_status": sum(1 for key, status in last_told.items()
                                  if key in stored and stored[key][0] != status),
        "marks_wrong_staff": sum(1 for key, (_, by) in stored.items() if by != staff_of[int(key.split(":")[0])]),
        "history_rows": changes, "history_rows_expected": expected["changes"],
        "taps_answered_changed": told_changed,
        "signouts": len(signouts), "signouts_expected": len(want_out),
        "signouts_lost": sum(1 for key in told_out if key not in per_child),
        "signouts_not_reached": sum(1 for key in want_out if key not in told_out),
        "signouts_doubled": sum(1 for count in per_child.values() if count > 1),
        "signouts_unexpected": sum(1 for key in per_child if key not in want_out),
        "signouts_stored_but_not_told": sum(1 for key in per_child if key not in told_out),
        "signouts_wrong": sum(1 for s, c, method, adult, by in signouts
                              if method.value != "code" or adult != adult_of.get(c) or by != staff_of.get(s)),
    }


def database_ok(check: dict) -> bool:
    """Nothing lost, doubled, unexpected or wrong, and one history row per tap answered as a change (the counts
    against the plan are the journeys' business: an unfinished journey leaves children not reached)."""
    return (check["history_rows"] == check["taps_answered_changed"]
            and not any(check[key] for key in ("marks_lost", "marks_doubled", "marks_unexpected", "marks_wrong_status",
                                               "marks_wrong_staff", "signouts_lost", "signouts_doubled",
                                               "signouts_unexpected", "signouts_stored_but_not_told",
                                               "signouts_wrong")))


# --- What each step costs, one request at a time ---


class StatementLog:
    """Counts the SQL statements PostgreSQL runs, from its log (log_statement = all, switched on here)."""

    LINE = re.compile(r"LOG:  (?:statement|execute [^:]*): ")

    def __init__(self, pg) -> None:
        import psycopg

        self.pg, self.path = pg, pg.log_file
        with psycopg.connect(host="127.0.0.1", port=pg.port, user="kehou", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute("ALTER SYSTEM SET log_statement = 'all'")
            connection.execute("SELECT pg_reload_conf()")
        time.sleep(1)
        self.offset = self.path.stat().st_size

    def since_last(self) -> tuple[int, str]:
        """The statements logged since the last call: how many, and the log lines."""
        time.sleep(0.05)  # the backend has written its lines by the time the answer came; be generous
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode("utf-8", "replace")
            self.offset = log.tell()
        return len(self.LINE.findall(text)), text


def step_costs(base: str, plan: dict, pids: list[int], pg, folder: Path) -> dict:
    """The calibration staff take their register and hand-over one request at a time on the idle server: each
    step's latency alone, the CPU it costs the server (gunicorn and PostgreSQL), and its SQL statements (the first
    request of each step's go to folder/sql-<step>.log)."""
    statements = StatementLog(pg) if pg is not None else None
    token = re.compile(r'(?:name="csrf-token" content="([^"]+)")|(?:name="csrf_token"[^>]*value="([^"]+)")')
    costs: dict[str, list[tuple[float, float, int | None]]] = {}

    def request(opener, step: str, path: str, data: dict | None = None, json_answer: bool = False):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(base + path, data=body,
                                     headers={"Accept": "application/json"} if json_answer else {})
        if statements:
            statements.since_last()
        cpu, started = cpu_seconds(pids), time.perf_counter()
        try:
            with opener.open(req, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as answer:
            status, text = answer.code, ""
        elapsed = (time.perf_counter() - started) * 1000
        cost = (cpu_seconds(pids) - cpu) * 1000
        count, sql = statements.since_last() if statements else (None, "")
        if step not in costs and sql:
            (folder / f"sql-{step.replace(' ', '-')}.log").write_text(sql, encoding="utf-8")
        costs.setdefault(step, []).append((elapsed, cost, count))
        return status, text

    def csrf(page: str) -> str:
        found = token.search(page)
        if not found:
            raise RuntimeError("calibration: no CSRF token on the page")
        return found.group(1) or found.group(2)

    def calibrate(member: dict) -> None:
        opener = browser()
        _, page = request(opener, "login page", "/account/login")
        status, _ = request(opener, "login", "/account/login", {"csrf_token": csrf(page), "mobile": member["mobile"],
                                                                  "password": plan["password"]})
        if status not in (302, 303):
            raise RuntimeError(f"calibration: the login of {member['mobile']} was refused (HTTP {status})")
        request(opener, "today", "/day/")
        register = f"/day/sessions/{member['session_id']}/register"
        _, page = request(opener, "register", register)
        token_value = csrf(page)
        for child in member["children"]:
            path = f"{register}/{child['student_id']}"
            status, _ = request(opener, "tap", path, {"status": "present", "csrf_token": token_value}, True)
            if status != 200:
                raise RuntimeError(f"calibration: a tap answered HTTP {status}")
            request(opener, "tap again", path, {"status": "present", "csrf_token": token_value}, True)
        handover = f"/day/sessions/{member['session_id']}/pickup"
        _, page = request(opener, "handover", handover)
        token_value = csrf(page)
        for child in member["children"]:
            if child["code"]:
                path = f"{handover}/{child['student_id']}"
                request(opener, "sign-out", path, {"method": "code", "code": child["code"],
                                                   "csrf_token": token_value}, True)
                request(opener, "sign-out again", path, {"method": "code", "code": child["code"],
                                                         "csrf_token": token_value}, True)

    error = None
    try:
        for member in plan["calibration"]:
            calibrate(member)
    except Exception as failure:  # noqa: BLE001 - the steps measured so far stand; the error is reported
        error = f"{type(failure).__name__}: {failure}"
    steps = {}
    for step, rows in costs.items():
        latencies = sorted(latency_ms for latency_ms, _, _ in rows)
        counted = [n for _, _, n in rows if n is not None]
        steps[step] = {"requests": len(rows), "latency_alone_ms": round(percentile(latencies, 50), 1),
                       "server_cpu_ms": round(sum(cpu for _, cpu, _ in rows) / len(rows), 1),
                       "sql_statements": round(sum(counted) / len(counted), 1) if counted else None}
    return {"staff": len(plan["calibration"]), "steps": steps, "error": error}


# --- Figures ---


def summarise(results: dict, plan: dict) -> dict:
    samples, outcomes = results["samples"], results["outcomes"]
    first = min((s[1] for s in samples), default=0.0)
    last = max((s[1] + s[2] / 1000 for s in samples), default=0.0)
    duration = max(last - first, 1e-9)
    per_10s = Counter(int((s[1] - first) // 10) for s in samples)
    taps = [s for s in samples if s[0] in TAP_STEPS]
    tap_first, tap_last = (min((s[1] for s in taps), default=0.0),
                           max((s[1] + s[2] / 1000 for s in taps), default=0.0))
    outs = [s for s in samples if s[0] in ("sign-out", "sign-out again", "wrong code")]
    failures = Counter(o["failed"][:160] for o in outcomes if o["failed"])
    journeys = [o["ended"] - o["started"] for o in outcomes if not o["failed"]]
    errors = Counter(f"{s[0]}: HTTP {s[4]}" for s in samples if not s[3])
    timeline = []  # minute by minute: how the load came in and whether the taps queued
    for minute in range(int(duration // 60) + 1):
        here = [s for s in samples if int((s[1] - first) // 60) == minute]
        taps_here = sorted(s[2] for s in here if s[0] in TAP_STEPS)
        timeline.append({"minute": minute + 1, "requests": len(here), "taps": len(taps_here),
                         "signouts": sum(1 for s in here if s[0] in ("sign-out", "sign-out again", "wrong code")),
                         "tap_p95_ms": round(percentile(taps_here, 95), 1), "errors": sum(1 for s in here if not s[3])})
    return {
        "overall": latency(samples) | {"duration_s": round(duration, 1), "rps": round(len(samples) / duration, 1),
                                       "peak_10s_rps": round(max(per_10s.values(), default=0) / 10, 1)},
        "taps": latency(taps) | {"per_s": round(len(taps) / max(tap_last - tap_first, 1e-9), 1)},
        "signouts": latency(outs),
        "steps": {step: latency([s for s in samples if s[0] == step]) for step in STEPS
                  if any(s[0] == step for s in samples)},
        "errors_by_step": dict(errors.most_common(12)),
        "timeline": timeline,
        "idempotency": {"double_taps_answered_changed": results.get("unexpected_changed", 0),
                        "repeat_signouts_not_already": results.get("unexpected_signout", 0)},
        "journeys": {"staff": len(plan["staff"]), "started": len(outcomes),
                     "never_started": len(plan["staff"]) - len(outcomes),
                     "completed": sum(1 for o in outcomes if not o["failed"]),
                     "median_journey_s": round(sorted(journeys)[len(journeys) // 2], 1) if journeys else None,
                     "longest_journey_s": round(max(journeys), 1) if journeys else None,
                     "first_to_last_request_s": round(duration, 1),
                     "failures": dict(failures.most_common(8))},
    }


def print_table(name: str, run: dict) -> None:
    print(f"\n{'step':<15} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [("all requests", run["overall"]), ("ALL TAPS", run["taps"]), ("ALL SIGN-OUTS", run["signouts"]),
            *run["steps"].items()]
    for step, row in rows:
        print(f"{step:<15} {row['requests']:>8} {row['errors']:>6} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} "
              f"{row['p99_ms']:>8.0f} {row['max_ms']:>8.0f}")
    o, j, d, c = run["overall"], run["journeys"], run["database_check"], run["cpu_seconds"]
    print(f"\n[{name}] {o['requests']} requests in {o['duration_s']:.0f} s ({o['rps']:.1f}/s, "
          f"peak {o['peak_10s_rps']:.1f}/s); taps {run['taps']['per_s']:.1f}/s; journeys {j['completed']}/"
          f"{j['staff']} (median {j['median_journey_s']} s, longest {j['longest_journey_s']} s)")
    print(f"[{name}] database: marks {d['marks']}/{d['marks_expected']} (lost {d['marks_lost']}, doubled "
          f"{d['marks_doubled']}, wrong status {d['marks_wrong_status']}, not reached {d['marks_not_reached']}), "
          f"history rows {d['history_rows']}/{d['history_rows_expected']} (taps answered changed: "
          f"{d['taps_answered_changed']}), sign-outs {d['signouts']}/{d['signouts_expected']} (lost "
          f"{d['signouts_lost']}, doubled {d['signouts_doubled']}, wrong {d['signouts_wrong']}, not reached "
          f"{d['signouts_not_reached']})")
    print(f"[{name}] server CPU s: gunicorn {c['gunicorn']:.0f}, database {c['database']:.0f}, "
          f"locust {c['locust']:.0f}, other processes {c['other_processes']:.0f}; per tap (all server CPU / taps) "
          f"{run['server_cpu_ms_per_tap']} ms; load average before/after {c['load_average_before_after']}")
    for reason, count in j["failures"].items():
        print(f"  {count} × {reason}")
    print("minute by minute (requests / taps / sign-outs / tap p95 ms / errors): " + "  ".join(
        f"{m['minute']}: {m['requests']}/{m['taps']}/{m['signouts']}/{m['tap_p95_ms']:.0f}/{m['errors']}"
        for m in run["timeline"]))
    costs = run.get("step_costs")
    if costs:
        print(f"\nalone on the idle server ({costs['staff']} calibration staff): median latency / mean server CPU / "
              "SQL statements per request")
        for step, row in costs["steps"].items():
            print(f"  {step:<15} {row['latency_alone_ms']:>7.0f} ms {row['server_cpu_ms']:>7.0f} ms "
                  f"{row['sql_statements'] if row['sql_statements'] is not None else '-':>6}")
        if costs["error"]:
            print(f"  calibration stopped: {costs['error']}")
    print(f"\nverdict: {run['verdict']}")


def verdict(kind: str, figures: dict) -> str:
    check, taps, journeys = figures["database_check"], figures["taps"], figures["journeys"]
    problems = []
    if not database_ok(check):
        problems.append("the database does not hold exactly what the staff were told: " + ", ".join(
            f"{key} {value}" for key, value in check.items() if value and any(
                word in key for word in ("lost", "doubled", "unexpected", "wrong", "not_told")))
            + f" (history rows {check['history_rows']}, taps answered changed {check['taps_answered_changed']})")
    if check["marks_not_reached"] or check["signouts_not_reached"]:
        problems.append(f"not reached in the window: {check['marks_not_reached']} children's taps, "
                        f"{check['signouts_not_reached']} sign-outs")
    if figures["overall"]["errors"]:
        problems.append(f"{figures['overall']['errors']} failed requests")
    if any(figures["idempotency"].values()):
        problems.append(f"idempotency: {figures['idempotency']}")
    if journeys["completed"] < journeys["staff"]:
        problems.append(f"{journeys['staff'] - journeys['completed']} journeys not completed in the window")
    if kind == "postgresql" and taps["p95_ms"] >= TARGET_TAP_P95_MS:
        problems.append(f"tap p95 {taps['p95_ms']:.0f} ms ≥ {TARGET_TAP_P95_MS} ms")
    return "ok" if not problems else "; ".join(problems)


# --- One run ---


def run(kind: str, args, workdir: Path) -> dict:
    """Build, seed, serve and load one database; the figures."""
    from app import create_app
    from app.extensions import db

    folder = workdir / kind
    folder.mkdir()
    pg = server = None
    try:
        pg, url = fresh_database(kind, folder, "daily_peak")
        env = serving_env(url, LOGIN_RATE_LIMIT)
        upgrade(env)
        use_in_this_process(env)  # the same SECRET_KEY: the seed computes the pickup codes the site will accept
        app = create_app("production")
        started = time.monotonic()
        with app.app_context():
            password_hash, password = shared_password_hash(PASSWORD)
            plan = seed_daily_peak(schools=args.schools, staff=args.staff + CALIBRATION, children=args.children,
                                   password_hash=password_hash, seed=args.seed)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        plan["staff"], plan["calibration"] = plan["staff"][:args.staff], plan["staff"][args.staff:]
        plan["staff"] = plan["staff"][:args.only or args.staff]  # the others are seeded, and stay away
        expected = add_journeys(plan, args)
        seeding = time.monotonic() - started
        plan_file = folder / "plan.json"
        plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        children = sum(len(m["children"]) for m in plan["staff"])
        print(f"[{kind}] seeded {len(plan['staff'])} staff (+{CALIBRATION} calibration), {plan['schools']} schools, "
              f"{children} children expected today {plan['day']} {plan['starts_at']}–{plan['ends_at']} (school time),"
              f" {len(expected['signed_out'])} to sign out by code, in {seeding:.1f} s; {expected['taps']} taps and "
              f"{expected['signout_requests']} sign-out requests planned; serving with gunicorn", flush=True)

        port = free_port()
        server = start_gunicorn(env, port, args, folder / "gunicorn.log")
        postmaster = postmaster_pid(pg)
        time.sleep(3)  # every worker booted, so its import is not counted as serving
        web_cpu, db_cpu = cpu_seconds([server.pid]), cpu_seconds([postmaster] if postmaster else [])
        busy, load_before = machine_busy_seconds(), [round(x, 2) for x in os.getloadavg()]
        print(f"[{kind}] locust: {args.staff} staff over {args.ramp} s, think {args.think} s between taps, "
              f"{args.code_think} s between sign-outs, pause {args.pause} s; window {args.window} s", flush=True)
        results_file = folder / "results.json"
        users = len(plan["staff"])
        results, locust_cpu = run_locust(
            LOCUSTFILE, f"http://127.0.0.1:{port}", users=users, spawn_rate=users / args.ramp,
            run_time_s=args.window, results=results_file, log=folder / "locust.log",
            env={"DAILY_PLAN": str(plan_file), "DAILY_RESULTS": str(results_file), "DAILY_THINK": args.think,
                 "DAILY_CODE_THINK": args.code_think, "DAILY_PAUSE": args.pause, "DAILY_LOGIN_THINK": "1-2"})
        cpu = {"gunicorn": round(cpu_seconds([server.pid]) - web_cpu, 1),
               "database": round(cpu_seconds([postmaster]) - db_cpu, 1) if postmaster else 0.0,
               "locust": round(locust_cpu, 1)}
        # Whatever else ran on the machine meanwhile (other test suites...) took CPU from the site: say how much.
        cpu["other_processes"] = round(max(0.0, machine_busy_seconds() - busy - sum(cpu.values())), 1)
        cpu["load_average_before_after"] = [load_before, [round(x, 2) for x in os.getloadavg()]]
        figures = summarise(results, plan)
        taps = figures["taps"]["requests"]
        figures["server_cpu_ms_per_tap"] = round((cpu["gunicorn"] + cpu["database"]) * 1000 / taps, 1) if taps else None
        figures["server_cpu_note"] = ("all the server's CPU during the run (logins, pages, taps, sign-outs) divided "
                                      "by the taps: an upper bound; step_costs has each step's own")
        figures["planned"] = {key: value for key, value in expected.items() if key in ("taps", "signout_requests",
                                                                                        "changes")}
        figures["planned"]["marks"], figures["planned"]["signouts"] = len(expected["marks"]), len(
            expected["signed_out"])
        with app.app_context():
            figures["database_check"] = check_database(plan, expected, results)
            db.session.remove()
            db.engine.dispose()
        wait_until_idle([server.pid, *([postmaster] if postmaster else [])])
        figures["step_costs"] = step_costs(f"http://127.0.0.1:{port}", plan,
                                           [server.pid, *([postmaster] if postmaster else [])], pg, folder)
        stop_process(server)
        server = None
        figures["cpu_seconds"] = cpu
        figures["password"] = password
        figures["gunicorn_log_lines"] = sum(1 for _ in (folder / "gunicorn.log").open())
        figures["verdict"] = verdict(kind, figures)
        return figures
    finally:
        stop_process(server)
        if pg is not None:
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--staff", type=int, default=DEFAULT_STAFF, help="staff members, one session each")
    parser.add_argument("--children", type=int, default=DEFAULT_CHILDREN, help="children expected per session")
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--only", type=int, help="send only this many of the seeded staff (a quick look at the "
                                                 "step costs on a county-sized database)")
    # The staff arrive over six minutes; a journey takes about two and a half (taps a second or two apart, a pause,
    # a code read out every few seconds), so the last ones finish with a margin inside the ten minutes.
    parser.add_argument("--ramp", type=float, default=360, help="seconds over which the staff arrive")
    parser.add_argument("--window", type=int, default=WINDOW_S, help="seconds locust runs at most")
    parser.add_argument("--think", default="1-2", help="seconds between two taps (min-max)")
    parser.add_argument("--code-think", default="2-4", help="seconds between two sign-outs: a code is typed")
    parser.add_argument("--pause", default="20-60", help="seconds between the register and the hand-over")
    parser.add_argument("--repeat-share", type=float, default=0.08,
                        help="taps and sign-outs sent once more after the answer")
    parser.add_argument("--concurrent-share", type=float, default=0.03, help="taps sent twice at once (double tap)")
    parser.add_argument("--correct-share", type=float, default=0.02, help="children whose mark is corrected")
    parser.add_argument("--absent-share", type=float, default=0.06,
                        help="children without a collecting adult marked absent")
    parser.add_argument("--wrong-code-share", type=float, default=0.01, help="sign-outs with a mistyped code first")
    gunicorn_arguments(parser)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=1800, help="hard limit for the whole benchmark, seconds")
    parser.add_argument("--out", type=Path, help="where the JSON goes (default: benchmarks/daily_peak_last_run.json "
                                                 "for a full-size run on PostgreSQL, else the work folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, plan, raw samples)")
    args = parser.parse_args()
    settle_workers(args)
    if args.ramp + 120 > args.window:
        parser.error("the ramp must leave at least 120 s of the window for the last staff's journeys")
    stop_on_signals(args.timeout)

    load_at_start, code = [round(x, 2) for x in os.getloadavg()], commit()  # what is measured: the tree at start
    workdir = Path(tempfile.mkdtemp(prefix="daily-peak-"))
    print(f"school-day peak: {args.staff} staff × {args.children} children, {args.schools} schools, {args.db}; "
          f"nproc {os.cpu_count()}, load {load_at_start}; gunicorn {args.workers} × {args.worker_class} "
          f"(threads {args.threads}); LOGIN_RATE_LIMIT={LOGIN_RATE_LIMIT!r} for this run only; work folder {workdir}",
          flush=True)
    figures, ok, out = None, False, None
    try:
        figures = run(args.db, args, workdir)
        ok = True
    finally:
        signal.alarm(0)
        if figures:
            print_table(args.db, figures)
            report = {
                "benchmark": "daily_peak", "date": datetime.now(UTC).isoformat(timespec="seconds"), **code,
                "command": " ".join([".venv/bin/python", "benchmarks/daily_peak.py", *sys.argv[1:]]),
                "machine": {"nproc": os.cpu_count(), "load_average_at_start": load_at_start,
                            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                            "python": platform.python_version()},
                "gunicorn": {"app": "wsgi:app", "APP_CONFIG": "production", "bind": "127.0.0.1:<free port>",
                             "workers": args.workers, "worker_class": args.worker_class, "threads": args.threads,
                             "timeout_s": 60, "access_log": False},
                "rate_limit": f"LOGIN_RATE_LIMIT={LOGIN_RATE_LIMIT!r}: the per-address login limit, raised for the "
                              "run (every virtual staff member comes from 127.0.0.1)",
                "load": {"staff": args.staff, "only": args.only, "children_per_session": args.children,
                         "schools": args.schools,
                         "ramp_s": args.ramp, "spawn_rate": round(args.staff / args.ramp, 3), "think_s": args.think,
                         "code_think_s": args.code_think, "pause_s": args.pause, "window_s": args.window,
                         "repeat_share": args.repeat_share, "concurrent_share": args.concurrent_share,
                         "correct_share": args.correct_share, "absent_share": args.absent_share,
                         "wrong_code_share": args.wrong_code_share, "seed": args.seed, "database": args.db},
                "targets": {"tap_p95_ms_below": TARGET_TAP_P95_MS, "errors": 0, "lost_or_doubled": 0,
                            "window_s": WINDOW_S},
                "complete": ok, "results": figures,
            }
            full = (args.staff == DEFAULT_STAFF and args.children == DEFAULT_CHILDREN and args.window <= WINDOW_S
                    and not args.only and args.db == "postgresql" and ok)
            out = args.out or (LAST_RUN if full else workdir / "daily_peak_run.json")
            out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(f"\nfigures written to {out}")
        if ok and not args.keep and not (figures and out.parent == workdir):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work folder kept (logs, plan, raw samples): {workdir}")
    sys.exit(0 if ok and figures and figures["verdict"] == "ok" else 1)


if __name__ == "__main__":
    main()
