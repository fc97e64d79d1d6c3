"""The register on a 375 px phone, in Chinese: a guardian reports an absence (请假), the teacher on today's session
opens Today and the register, taps children present and absent (the rows change without a reload, by
app/static/js/register.js), the missing-child alert reaches the coordinator's afternoon board, which resolves it with a
note. Every page passes the page checks (tests/browser/page_checks.py); screenshots test-artifacts/daily-NN-*.png.

Today's session and its children are added to the live server's database by a small script (the demo's own
school-day data is the daybook part's)."""

import json
import os
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT
from tests.browser.page_checks import assert_sound, phone_context, watch
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

SEED = r"""
import json
from datetime import time, timedelta
from app import create_app
from app.enrolment.models import ApplicationStatus
from app.extensions import db
from app.models_base import local_today
from app.rosters import services as rosters
from app.rosters.models import Assignment, PlannedSession
from tests import factories

app = create_app("development")
with app.app_context():
    school = factories.create_school(name="点名小学")
    first, second = factories.create_class(school, 3, 1), factories.create_class(school, 3, 2)
    first.class_teacher = factories.create_teacher(school, name="班主任王老师", mobile="13712340001")
    today = local_today()
    term = factories.create_program_term(school, starts_on=today - timedelta(days=30),
                                         ends_on=today + timedelta(days=90))
    offering = factories.create_offering(school, term=term)
    children = [factories.create_student(c, name=n) for c, n in
                [(first, "张子涵"), (first, "李沐阳"), (second, "王一诺"), (second, "陈思远")]]
    guardians = []
    for n, child in enumerate(children):
        guardian = factories.create_guardian(child, name=child.name[0] + "妈妈", mobile=f"1371234010{n}")
        guardians.append(guardian)
        factories.create_application(child, offering, guardian=guardian,
                                     status=ApplicationStatus.APPROVED).weekdays = list(range(7))
    week = rosters.open_week(school, today)
    session = PlannedSession(on_date=today, starts_at=time(15, 40), ends_at=time(17, 40), kind="after_school",
                             activity="homework_help", series="三年级作业辅导", room="301", enrolled=0,
                             staff_needed=2, classes=[first, second])
    week.sessions.append(session)
    teacher = factories.create_teacher(school, name="赵老师", mobile="13712340002")
    db.session.flush()
    session.assignments.append(Assignment(profile_id=teacher.staff_profile.id))
    coordinator = factories.create_coordinator(school, name="教务孙老师", mobile="13712340003")
    db.session.commit()
    print(json.dumps({"session": session.id, "children": [c.id for c in children], "teacher": teacher.mobile,
                      "coordinator": coordinator.mobile, "guardians": [g.mobile for g in guardians]}))
"""


@pytest.fixture
def seeded(live_server, live_database) -> dict:
    env = {**os.environ, "APP_CONFIG": "development", "DATABASE_URL": f"sqlite:///{live_database}",
           "SECRET_KEY": "browser-test-secret", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def phone(browser, base_url: str, mobile: str):
    context = phone_context(browser, height=800, base_url=base_url)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    problems = watch(page)
    page.goto("/account/login")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_load_state()
    return page, problems


def test_a_register_taken_on_a_phone(browser, live_server, seeded):
    session, children = seeded["session"], seeded["children"]

    guardian, problems = phone(browser, live_server, seeded["guardians"][3])
    guardian.goto(f"/day/children/{children[3]}/absences")
    guardian.fill("input[name=reason]", "发烧，在家休息")
    guardian.click("form [type=submit]")
    guardian.wait_for_load_state()
    assert "发烧，在家休息" in guardian.inner_text("main")
    assert_sound(guardian, problems, name="daily-01-guardian-absence")

    teacher, problems = phone(browser, live_server, seeded["teacher"])
    teacher.goto("/day/")
    assert "三年级作业辅导" in teacher.inner_text("main")
    assert_sound(teacher, problems, name="daily-02-today")
    teacher.click(f"a[href='/day/sessions/{session}/register']")
    teacher.wait_for_load_state()
    absent_row = f"#child-{children[3]}"
    assert "已请假" in teacher.inner_text(absent_row) and "发烧" in teacher.inner_text(absent_row)
    teacher.evaluate("window.notReloaded = true")
    for child, status in [(children[0], "present"), (children[1], "late"), (children[2], "absent")]:
        teacher.click(f"#child-{child} button[value={status}]")
        teacher.wait_for_selector(f"#child-{child} button[value={status}][aria-pressed=true]")
    assert teacher.evaluate("window.notReloaded") is True  # the taps went by fetch
    assert "赵老师" in teacher.inner_text(f"#child-{children[0]} [data-field=current]")
    assert_sound(teacher, problems, name="daily-03-register")

    coordinator, problems = phone(browser, live_server, seeded["coordinator"])
    coordinator.goto("/day/board")
    card = coordinator.locator(".alert-card", has_text="王一诺")
    assert card.count() == 1
    assert_sound(coordinator, problems, name="daily-04-board")
    card.locator("textarea").fill("家长已接回，忘记请假")
    card.locator("button[type=submit]").click()
    coordinator.wait_for_load_state()
    assert coordinator.locator(".alert-card", has_text="王一诺").count() == 0
    assert_sound(coordinator, problems, name="daily-05-board-resolved")
