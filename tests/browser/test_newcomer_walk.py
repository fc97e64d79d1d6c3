"""The newcomer walk: the site started exactly as the README says (`./scripts/run.sh`, a fresh database), a phone at
375 px in Chinese, and every demo role doing the job it exists for, end to end:

1. the guardian reads the public notice and applies for winter care; the class teacher returns it (the pick-up
   phone is missing); the guardian fixes and resubmits it; the class teacher confirms; the principal approves;
   finance charges the fee;
2. the coordinator opens next week, plans it from the templates, generates the roster (the job must finish), reads
   why sessions are short, adjusts (pins the provider's coach) and publishes;
3. the teacher and the provider's coach find their sessions in My week and say "I can't make it"; the coordinator
   puts a replacement in for each;
4. the county officer renews the vetting of the provider whose vetting has expired.

Every page a step lands on goes through tests/browser/page_checks.assert_sound (server and console errors, sideways
scroll, overlapping text, touch targets, English left on the Chinese page) and is saved as
test-artifacts/walk-NN-<step>.png. What a step did is read back from the site's database (read-only).

A page that is unsound, or a "should" that is not met, is recorded and the walk goes on; a step that cannot be done
ends its part of the walk (the parts that need it are reported as not reached), and the other parts still run. The
test fails at the end with every failure, each naming its screenshot. The server's output is in
test-artifacts/walk-server.log.
"""

import re
import time
from datetime import date, timedelta

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.walking import StepFailed, Walk, click_and_wait, flash
from tests.conftest import unavailable
from tests.serving import run_script

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

GUARDIAN, CLASS_TEACHER, PRINCIPAL = "13800000100", "13800000020", "13800000010"
COORDINATOR, FINANCE, TEACHER, COACH, COUNTY = "13800000011", "13800000012", "13800000030", "13800000200", "13800000001"
CHILD, CARE = "张子涵", "寒假托管"  # the guardian's first child; the demo school's winter care (open for applications)
ROLES = {GUARDIAN: "guardian", CLASS_TEACHER: "class-teacher", PRINCIPAL: "principal", COORDINATOR: "coordinator",
         FINANCE: "finance", TEACHER: "teacher", COACH: "coach", COUNTY: "county"}
EXPIRED_PROVIDER = "小小科学家"  # the README's provider whose vetting has expired
JOB_LIMIT = 120_000  # ms for the roster job to finish (its own time limit is 10 s on the demo week)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`scripts/run.sh` in its own process group, on a fresh SQLite file and a free port; stopped at the end."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        unavailable("no .venv: scripts/run.sh would create it (run scripts/setup.sh first)")
    database = tmp_path_factory.mktemp("walk") / "walk.sqlite"
    ARTIFACTS.mkdir(exist_ok=True)
    with run_script(database, ARTIFACTS / "walk-server.log") as url:
        yield url, database


def test_every_role_does_its_main_job_on_a_phone(browser, site):
    # `browser`: Debian's Chromium from tests/browser/conftest.py (one Playwright per process, shared with the other
    # browser tests); asked for first, so that without Chromium the site is not started for nothing.
    base_url, database = site
    for old in ARTIFACTS.glob("walk-*.png"):  # no screenshot of an earlier run left to mislead
        old.unlink()
    walk = Walk(browser, base_url, database, ROLES)
    started = time.monotonic()
    people = {}
    state = {}

    def application_is(expected: str, *, after: str) -> None:
        """The walk's application has this status in the site's database, or the step fails."""
        status = walk.rows("SELECT status FROM application WHERE id = ?", state["application"])[0][0]
        if status.lower() != expected:
            raise StepFailed(f"the application is {status!r} after {after}")

    def reads_the_notice(page):
        """What a parent opens first: the school's public notice, from the home page, before logging in."""
        click_and_wait(page, page.get_by_role("link", name=re.compile("公示")).first)
        walk.check(page, "guardian-notice-list")
        click_and_wait(page, page.get_by_role("link", name=re.compile(CARE)).first)
        walk.check(page, "guardian-notice")

    def person(mobile: str):
        if mobile not in people:
            people[mobile] = walk.phone(mobile, reads_the_notice if mobile == GUARDIAN else None)
        walk.current = people[mobile]
        return people[mobile]

    # ---- 1. Enrolment: apply, return, fix, confirm, approve.
    def guardian_applies():
        page = person(GUARDIAN)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="报名申请"))
        walk.check(page, "guardian-applications")
        child = page.locator("section", has=page.get_by_role("heading", name=re.compile(CHILD)))
        click_and_wait(page, child.locator("p", has_text=CARE).get_by_role("link", name="申请"))
        walk.check(page, "guardian-apply-form")
        number = page.get_by_label("孩子的学号")
        walk.should(number.count() == 0, page, f"the form asks again for the student number of {CHILD}, whose link "
                    "the school confirmed")
        if number.count():
            number.fill(walk.rows("SELECT student_number FROM student WHERE name = ?", CHILD)[0][0])
        for day in ("周一", "周三", "周五"):
            page.get_by_label(day, exact=True).check()
        page.get_by_label("拓展活动第一志愿").select_option(label="趣味体育")
        page.get_by_label(re.compile("接送人")).fill("奶奶（祖母）")
        page.get_by_label(re.compile("我已阅读协议书")).check()
        click_and_wait(page, page.get_by_role("button", name="提交申请"))
        walk.check(page, "guardian-applied")
        found = walk.rows("SELECT a.id, a.status FROM application a JOIN student s ON s.id = a.student_id "
                          "JOIN offering o ON o.id = a.offering_id WHERE s.name = ? AND o.title LIKE ?",
                          CHILD, f"%{CARE}%")
        if not found:
            raise StepFailed(f"no application stored; the page says: {page.inner_text('main')[:400]}")
        state["application"] = found[0][0]

    def class_teacher_returns():
        page = person(CLASS_TEACHER)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="待审核申请"))
        walk.check(page, "class-teacher-review")
        row = page.get_by_role("row", name=re.compile(CHILD)).filter(has_text=CARE)
        click_and_wait(page, row.get_by_role("link", name=CHILD))
        walk.check(page, "class-teacher-application")
        page.get_by_label(re.compile("原因")).fill("请补充接送人电话")
        click_and_wait(page, page.get_by_role("button", name="退回家长"))
        walk.check(page, "class-teacher-returned")
        application_is("returned", after="退回家长")

    def guardian_fixes():
        page = person(GUARDIAN)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="报名申请"))
        child = page.locator("section", has=page.get_by_role("heading", name=re.compile(CHILD)))
        click_and_wait(page, child.get_by_role("link", name=re.compile(CARE)).first)
        walk.check(page, "guardian-returned-application")
        walk.should("请补充接送人电话" in page.inner_text("main"), page,
                    "the guardian does not see why it was returned")
        edit = page.get_by_role("link", name=re.compile("修改|补充|更正|重新|再次"))
        if not edit.count():
            links = page.get_by_role("main").get_by_role("link").all_inner_texts()
            raise StepFailed("a returned application has no way to fix it: no link to change it "
                             f"(修改/补充/更正/重新/再次) on the application page, whose links are {links}")
        click_and_wait(page, edit.first)
        walk.check(page, "guardian-fix-form")
        page.get_by_label(re.compile("接送人")).fill("奶奶（祖母）13900001234")
        agree = page.get_by_label(re.compile("我已阅读协议书"))
        if agree.count() and not agree.is_checked():
            agree.check()
        click_and_wait(page, page.get_by_role("button", name=re.compile("提交|保存")))
        walk.check(page, "guardian-resubmitted")
        status, people_ = walk.rows("SELECT status, pickup_people FROM application WHERE id = ?",
                                    state["application"])[0]
        if status.lower() != "submitted" or "13900001234" not in people_:
            raise StepFailed(f"after the fix the application is {status!r} with pick-up {people_!r}")

    def class_teacher_confirms():
        page = person(CLASS_TEACHER)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="待审核申请"))
        row = page.get_by_role("row", name=re.compile(CHILD)).filter(has_text=CARE)
        click_and_wait(page, row.get_by_role("button", name="确认"))
        walk.check(page, "class-teacher-confirmed")
        application_is("confirmed", after="确认")

    def principal_approves():
        page = person(PRINCIPAL)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="服务项目"))
        walk.check(page, "principal-offerings")
        click_and_wait(page, page.get_by_role("link", name=re.compile(CARE)).first)
        walk.check(page, "principal-offering")
        click_and_wait(page, page.get_by_role("link", name="报名申请"))
        walk.check(page, "principal-applications")
        click_and_wait(page, page.get_by_role("button", name="审定已确认的申请"))
        walk.check(page, "principal-approved")
        application_is("approved", after="审定已确认的申请")

    def finance_charges():
        page = person(FINANCE)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="费用"))
        walk.check(page, "finance-fees")
        row = page.get_by_role("row", name=re.compile(CHILD)).filter(has_text=CARE)
        click_and_wait(page, row.get_by_role("link", name=CHILD))
        walk.check(page, "finance-statement")
        page.get_by_label("收费起始月份").fill(date.today().replace(day=1).isoformat())
        page.get_by_label("月数").fill("1")
        click_and_wait(page, page.get_by_role("button", name="收费"))
        walk.check(page, "finance-charged")
        charged = walk.rows("SELECT count(*) FROM ledger_entry WHERE application_id = ?", state["application"])
        if not charged or not charged[0][0]:
            raise StepFailed(f"nothing charged; the page says: {flash(page)}")
        walk.should(not re.search(r"应缴余额：¥0\.00", page.inner_text("main")), page,
                    "the balance due is still ¥0.00 after a charge")

    # ---- 2. Rosters: plan, generate, explain, adjust, publish.
    def coordinator_rosters():
        page = person(COORDINATOR)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="排班"))
        walk.check(page, "coordinator-rosters")
        click_and_wait(page, page.get_by_role("button", name="打开该周"))
        walk.check(page, "coordinator-week")
        week_id = int(re.search(r"/rosters/weeks/(\d+)", page.url).group(1))
        state["week"] = week_id
        state["monday"] = date.fromisoformat(walk.rows("SELECT monday FROM week WHERE id = ?", week_id)[0][0])
        click_and_wait(page, page.get_by_role("button", name=re.compile("按模板安排")))
        walk.check(page, "coordinator-planned")
        planned = walk.rows("SELECT count(*) FROM planned_session WHERE week_id = ?", week_id)[0][0]
        if not planned:
            raise StepFailed("planning from the templates made no session")
        click_and_wait(page, page.get_by_role("link", name=re.compile("下一步")))
        walk.check(page, "coordinator-roster-empty")
        click_and_wait(page, page.get_by_role("button", name="生成排班"))
        walk.check(page, "coordinator-generating")
        try:  # the progress page goes to the roster by itself when the job is done
            page.wait_for_url(re.compile(rf"/rosters/weeks/{week_id}/roster$"), timeout=JOB_LIMIT)
        except Exception as waited:  # noqa: BLE001
            jobs = walk.rows("SELECT status, error FROM roster_job WHERE week_id = ?", week_id)
            raise StepFailed(f"the roster job did not finish in {JOB_LIMIT // 1000} s: {jobs}; the page says "
                             f"{page.inner_text('main')[:300]!r}") from waited
        walk.check(page, "coordinator-roster")
        status = walk.rows("SELECT status FROM roster_job WHERE week_id = ? ORDER BY id DESC", week_id)[0][0]
        if status.lower() != "done":
            raise StepFailed(f"the roster job ended {status!r}")
        understaffed = walk.rows(
            "SELECT count(*) FROM planned_session s WHERE s.week_id = ? AND s.staff_needed > "
            "(SELECT count(*) FROM assignment a WHERE a.session_id = s.id)", week_id)[0][0]
        short = page.get_by_role("heading", name=re.compile("未排满"))
        walk.should(short.count() == (1 if understaffed else 0), page,
                    f"{understaffed} session(s) short of people, {short.count()} heading(s) explaining why")
        if short.count():  # the explanations: each short session says why
            reasons = short.locator("xpath=following-sibling::ul[1]/li")
            walk.should(reasons.count() > 0, page, "a 'not fully staffed' heading without sessions")
            for text in reasons.all_inner_texts()[:5]:
                walk.should(bool(re.split(r"[:：]", text, maxsplit=1)[-1].strip()), page,
                            f"an explanation without a reason: {text}")
            short.scroll_into_view_if_needed()
            walk.check(page, "coordinator-explanations")
        # Adjust: pin the provider's coach to a session the engine gave them, so a re-solve keeps them there.
        coach = walk.rows("SELECT p.id, u.name FROM staff_profile p JOIN user u ON u.id = p.user_id "
                          "WHERE u.mobile = ?", COACH)[0]
        theirs = walk.rows("SELECT a.session_id FROM assignment a JOIN planned_session s ON s.id = a.session_id "
                           "WHERE s.week_id = ? AND a.profile_id = ? ORDER BY s.on_date, s.starts_at", week_id,
                           coach[0])
        if not theirs:
            raise StepFailed(f"the engine gave {coach[1]} no session of the week to pin")
        pin = page.locator("form", has=page.get_by_role("button", name="固定安排", exact=True))
        session_choice, person_choice = pin.get_by_role("combobox").all()[:2]
        session_choice.select_option(value=str(theirs[0][0]))
        person_choice.select_option(value=str(coach[0]))
        click_and_wait(page, pin.get_by_role("button", name="固定安排", exact=True))
        walk.check(page, "coordinator-pinned")
        walk.should(walk.rows("SELECT pinned FROM assignment WHERE session_id = ? AND profile_id = ?",
                              theirs[0][0], coach[0]) == [(1,)], page, f"pinning {coach[1]} did not pin")
        click_and_wait(page, page.get_by_role("button", name=re.compile(r"发布第\s*\d+\s*版")))
        walk.check(page, "coordinator-published")
        if not walk.rows("SELECT id FROM roster_version WHERE week_id = ?", week_id):
            raise StepFailed(f"nothing published; the page says {flash(page)!r}")

    # ---- 3. My week and "I can't make it", then the coordinator puts someone in.
    def cannot_make_it(mobile: str, label: str):
        def steps():
            page = person(mobile)
            click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="我的一周"))
            walk.check(page, f"{label}-my-week")
            monday = state["monday"]
            for _ in range(4):  # the published week is ahead: "next week" until it shows
                if monday.isoformat() in page.get_by_role("heading", level=1).inner_text() + page.inner_text("main"):
                    break
                click_and_wait(page, page.get_by_role("link", name="下一周"))
            walk.check(page, f"{label}-my-week-published")
            sessions = page.get_by_role("listitem").filter(has=page.get_by_text("我无法参加"))
            if not sessions.count():
                raise StepFailed(f"{label} sees no session of the week of {monday} to say they can't make")
            session = sessions.first
            when = session.locator("strong").first.inner_text()
            session.get_by_text("我无法参加").click()
            session.get_by_label("原因").fill("家中有事")
            click_and_wait(page, session.get_by_role("button", name="告知排班负责人"))
            walk.check(page, f"{label}-cannot-make-it")
            found = walk.rows("SELECT ab.id, ab.session_id FROM session_absence ab JOIN staff_profile p "
                              "ON p.id = ab.profile_id JOIN user u ON u.id = p.user_id WHERE u.mobile = ?", mobile)
            if not found:
                raise StepFailed(f"no notice stored for {when}; the page says {flash(page)!r}")
            state.setdefault("absences", []).append((mobile, label, found[-1][0], found[-1][1]))
        return steps

    def coordinator_replaces():
        page = person(COORDINATOR)
        if not state.get("absences"):
            raise StepFailed("nobody could say they can't make it: no notice to replace")
        for mobile, label, absence_id, session_id in state["absences"]:
            click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="首页"))
            click_and_wait(page, page.get_by_role("link", name=re.compile("无法到岗|无法参加")).first)
            walk.check(page, f"coordinator-absences-{label}")
            absent = walk.rows("SELECT u.name FROM user u WHERE u.mobile = ?", mobile)[0][0]
            row = page.get_by_role("row", name=re.compile(absent))
            click_and_wait(page, row.get_by_role("link", name=re.compile("替")).first)
            walk.check(page, f"coordinator-replacement-for-{label}")
            put_in = page.get_by_role("button", name=re.compile(r"^安排"))
            ask = re.compile("让系统|询问|排班引擎|建议")
            engine = page.get_by_role("link", name=ask).or_(page.get_by_role("button", name=ask))
            if not put_in.count() and engine.count():  # nobody free as it stands: the engine re-plans around it
                click_and_wait(page, engine.first)  # a roster job: the page shows its progress until it is done
                page.locator("#job-progress").wait_for(state="detached", timeout=60_000)
                page.wait_for_load_state("networkidle")
                walk.check(page, f"coordinator-engine-for-{label}")
            if not put_in.count():  # the page says so in words; the demo should leave someone to step in
                session = walk.rows("SELECT on_date, starts_at, series FROM planned_session WHERE id = ?", session_id)
                walk.should(False, page, f"nobody, not even the engine, can replace {absent} in {session}: the "
                            "demo leaves no one free and qualified for it, so the coordinator cannot assign anyone")
                continue
            click_and_wait(page, put_in.first)
            walk.check(page, f"coordinator-replaced-{label}")
            people_now = {name for (name,) in walk.rows(
                "SELECT u.name FROM assignment a JOIN staff_profile p ON p.id = a.profile_id "
                "JOIN user u ON u.id = p.user_id WHERE a.session_id = ?", session_id)}
            status = walk.rows("SELECT status FROM session_absence WHERE id = ?", absence_id)[0][0]
            if absent in people_now or status.lower() == "open":
                raise StepFailed(f"安排 changed nothing: {absent} is still in the session ({sorted(people_now)}), "
                                 f"the notice is {status!r}; the page says {flash(page)!r}")

    # ---- 4. The county vets a provider.
    def county_vets():
        page = person(COUNTY)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="机构白名单"))
        walk.check(page, "county-providers")
        click_and_wait(page, page.get_by_role("link", name=EXPIRED_PROVIDER))
        walk.check(page, "county-provider")
        until = (date.today() + timedelta(days=365)).isoformat()
        form = page.locator("form", has=page.get_by_role("button", name=re.compile("续期|审核通过")))
        form.locator("input[type=date]").fill(until)
        click_and_wait(page, form.get_by_role("button", name=re.compile("续期|审核通过")))
        walk.check(page, "county-vetted")
        stored = walk.rows("SELECT vetted_until FROM provider WHERE name = ?", EXPIRED_PROVIDER)[0][0]
        if str(stored)[:10] != until:
            raise StepFailed(f"{EXPIRED_PROVIDER} is vetted until {stored}, not {until}: {flash(page)!r}")
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="机构白名单"))
        walk.check(page, "county-providers-after")
        row = page.get_by_role("row", name=re.compile(EXPIRED_PROVIDER))
        walk.should("已过期" not in row.inner_text() and until in row.inner_text(), page,
                    f"the whitelist still shows {row.inner_text()!r} after the renewal")

    try:
        walk.run("guardian-applies", guardian_applies)
        walk.run("class-teacher-returns", class_teacher_returns, needs=("guardian-applies",))
        walk.run("guardian-fixes", guardian_fixes, needs=("class-teacher-returns",))
        walk.run("class-teacher-confirms", class_teacher_confirms, needs=("guardian-fixes",))
        walk.run("principal-approves", principal_approves, needs=("class-teacher-confirms",))
        walk.run("finance-charges", finance_charges, needs=("principal-approves",))
        walk.run("coordinator-rosters", coordinator_rosters)
        walk.run("teacher-cannot-make-it", cannot_make_it(TEACHER, "teacher"), needs=("coordinator-rosters",))
        walk.run("coach-cannot-make-it", cannot_make_it(COACH, "coach"), needs=("coordinator-rosters",))
        walk.run("coordinator-replaces", coordinator_replaces, needs=("coordinator-rosters",))
        walk.run("county-vets", county_vets)
    finally:
        walk.close()
    minutes = (time.monotonic() - started) / 60
    if walk.failures or walk.unsound:
        pytest.fail(f"the newcomer walk ({walk.number} steps, {minutes:.1f} min; screenshots in test-artifacts/):\n"
                    + walk.report(), pytrace=False)
