"""The enrolment path on a phone: a guardian of the demo school reads the public notice and applies, the class teacher
confirms, the principal approves and the over-subscribed activity goes by the recorded lottery, then a placed child
withdraws and the first child on the waiting list gets the place and an inbox notice.

Screenshots of every step land in test-artifacts/enrol-NN-<step>-375.png."""

import json
import re
import sqlite3

import pytest

from app.demo import DEMO_PASSWORD
from app.enrolment.lottery import allocate, lottery_number
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PHONE = 375
SCHOOL = "实验小学"
GUARDIAN, CHILD = "13800000100", "张子涵"
CLASS_TEACHER, PRINCIPAL = "13800000020", "13800000010"
FULL_ACTIVITY = "足球"  # the demo's small activity (two places) that more confirmed applications ask for


class Phone:
    """One person's phone: a 375 px browser that fails on script or console errors and on sideways scrolling."""

    def __init__(self, browser, base_url: str, who: str) -> None:
        self.context = browser.new_context(viewport={"width": PHONE, "height": 800}, base_url=base_url,
                                           locale="zh-CN", device_scale_factor=1)
        self.page = self.context.new_page()
        self.who = who
        self.problems: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.problems.append(
            f"{who}: console error on {self.page.url}: {message.text}"))
        self.page.on("pageerror", lambda error: self.problems.append(
            f"{who}: script error on {self.page.url}: {error}"))
        self.page.on("response", lambda response: response.status >= 400 and self.problems.append(
            f"{who}: {response.url} answered {response.status}"))
        self.page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions: the user says yes

    def goto(self, path: str) -> None:
        self.page.goto(path)

    def shot(self, name: str) -> None:
        """Screenshot the step; nothing on the page may be wider than the phone; no error so far."""
        self.page.screenshot(path=str(ARTIFACTS / f"enrol-{name}-{PHONE}.png"), full_page=True)
        scroll_width = self.page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > PHONE:
            wide = self.page.evaluate(
                """width => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > width + 1)
                    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
                PHONE)
            self.problems.append(f"{self.who}: {self.page.url} scrolls sideways on a phone ({scroll_width}px): {wide}")
        small = self.page.evaluate(
            """() => [...document.querySelectorAll('main button, main .button, main input[type=submit]')]
                .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
                .map(e => e.textContent.trim() || e.value)""")
        if small:
            self.problems.append(f"{self.who}: {self.page.url} has buttons under 44 px high: {small}")
        assert not self.problems, "\n".join(self.problems)

    def log_in(self, mobile: str) -> None:
        if "/account/login" not in self.page.url:
            self.goto("/account/login")
        self.page.fill("input[name=mobile]", mobile)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("form:has(input[name=password]) [type=submit]")
        self.page.wait_for_load_state()

    def text(self, selector: str = "main") -> str:
        return self.page.inner_text(selector)


def query(database, sql: str, *args):
    """What people know without the site (a child's student number, a guardian's phone): read from the database."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute(sql, args).fetchone()
    assert row is not None, f"nothing for {sql} {args}"
    return row[0]


def application_id(url: str) -> int:
    match = re.search(r"/applications/(\d+)", url)
    assert match, f"not an application page: {url}"
    return int(match.group(1))


def test_guardian_to_place_with_lottery_and_waiting_list(browser, live_server, live_database):
    ARTIFACTS.mkdir(exist_ok=True)
    school_id = query(live_database, "SELECT id FROM school WHERE name = ?", SCHOOL)
    student_number = query(live_database, "SELECT student_number FROM student WHERE name = ?", CHILD)
    phones = []

    def phone(who: str) -> Phone:
        phones.append(Phone(browser, live_server, who))
        return phones[-1]

    try:
        # 1. The guardian opens the school's shared notice link, reads the after-school offering.
        guardian = phone("guardian")
        guardian.goto(f"/programs/notice/{school_id}")
        assert f"{SCHOOL}" in guardian.text("h1")
        guardian.shot("01-notice-index")
        guardian.page.click(f"a.card:has-text('{SCHOOL}课后服务')")
        notice = guardian.text()
        assert f"{SCHOOL}课后服务" in guardian.text("h1")
        assert FULL_ACTIVITY in notice and "不讲授新课" in notice
        guardian.shot("02-notice")

        # 2. Logs in from the notice and lands on the applications page: the child has nothing yet.
        guardian.page.click("text=登录后申请")
        guardian.log_in(GUARDIAN)
        guardian.page.wait_for_url("**/enrolment/")
        assert CHILD in guardian.text()
        guardian.shot("03-applications")

        # 3. Applies: the student number, only the small activity, who collects the child, signs the agreement.
        guardian.page.click(f"section:has-text('{CHILD}') a.button:text-is('申请') >> nth=0")
        assert f"为{CHILD}申请" in guardian.text("h1") or CHILD in guardian.text("h1")
        guardian.page.fill("input[name=student_number]", student_number)
        guardian.page.select_option("select[name=choice_1]", label=FULL_ACTIVITY)
        guardian.page.fill("input[name=pickup_people]", "张家长（母亲）")
        guardian.page.check("input[name=agree]")
        guardian.shot("04-apply-form")
        guardian.page.click("form [type=submit]:has-text('提交申请'), input[type=submit][value='提交申请']")
        guardian.page.wait_for_url("**/enrolment/applications/*")
        mine = application_id(guardian.page.url)
        assert "申请已提交，接下来由班主任审核。" in guardian.text()
        assert guardian.text("#status") == "等待班主任审核"
        guardian.shot("05-applied")

        # 4. The class teacher confirms it from the review list.
        teacher = phone("class-teacher")
        teacher.log_in(CLASS_TEACHER)
        teacher.goto("/enrolment/review")
        row = teacher.page.locator(f"tr:has(a[href$='/applications/{mine}'])")
        assert "等待班主任审核" in row.inner_text()
        teacher.shot("06-teacher-review")
        row.locator("button:has-text('确认')").click()
        teacher.page.wait_for_url("**/enrolment/review")
        assert f"已审核：{CHILD}。" in teacher.text()
        row = teacher.page.locator(f"tr:has(a[href$='/applications/{mine}'])")
        assert "班级审核已通过，等待校长审定" in row.inner_text()
        teacher.shot("07-teacher-confirmed")

        # 5. The principal opens the offering's applications: more children want the small activity than it has places.
        principal = phone("principal")
        principal.log_in(PRINCIPAL)
        offering_id = query(live_database, "SELECT offering_id FROM application WHERE id = ?", mine)
        principal.goto(f"/enrolment/offerings/{offering_id}")
        taken, capacity = (int(n) for n in re.search(rf"{FULL_ACTIVITY}: (\d+)/(\d+)", principal.text()).groups())
        contenders = [application_id(href) for href in principal.page.eval_on_selector_all(
            "tbody tr", f"""rows => rows.filter(r => r.innerText.includes('等待校长审定')
                                                  && r.innerText.includes('{FULL_ACTIVITY}'))
                                       .map(r => r.querySelector('a').href)""")]
        free = capacity - taken
        assert mine in contenders and len(contenders) > free, (contenders, taken, capacity)
        # A seed under which our child draws none of the free places, so the waiting list has someone to promote
        # (nobody ticked a priority group: the lottery numbers alone decide the order).
        seed = next(s for s in (f"2026-{n}" for n in range(100))
                    if mine not in sorted(contenders, key=lambda a: (lottery_number(s, a), a))[:free])
        principal.page.fill("input[name=seed]", seed)
        principal.shot("08-principal-approvals")
        principal.page.click("form:has(input[name=seed]) button[type=submit]")
        principal.page.wait_for_url(f"**/enrolment/offerings/{offering_id}")
        assert f"已审定通过{len(contenders)}份申请。" in principal.text()
        assert f"{FULL_ACTIVITY}: {capacity}/{capacity}" in principal.text()
        assert f"种子 {seed}" in principal.text()
        principal.shot("09-principal-approved")

        # 6. The lottery page shows its seed, and re-running it from the seed and inputs gives the same result.
        principal.page.click(f"li:has-text('{seed}') a")
        principal.page.wait_for_url("**/enrolment/lotteries/*")
        assert principal.page.inner_text("code") == seed
        assert principal.text("#rerun") == "按种子和输入数据重新抽签：结果相同"
        inputs = json.loads(principal.page.inner_text("pre"))
        order = [int(cells[1]) for cells in principal.page.eval_on_selector_all(
            "tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")]
        again = allocate(inputs, seed)
        assert again["order"] == order and any(mine in waiting for waiting in again["waiting"].values())
        principal.shot("10-lottery")

        # 7. The guardian sees the approval, and that the child waits for the small activity.
        guardian.goto(f"/enrolment/applications/{mine}")
        assert guardian.text("#status") == "已审定通过"
        assert "候补中" in guardian.text(".choice-status")
        guardian.shot("11-approved-waiting")

        # 8. A child who holds a place in the small activity withdraws (their guardian, on their own phone).
        principal.goto(f"/enrolment/offerings/{offering_id}")
        winner = principal.page.eval_on_selector_all(
            "tbody tr", f"""rows => rows.filter(r => r.innerText.includes('{FULL_ACTIVITY} (已获名额)'))
                                  .map(r => r.querySelector('a').href)""")
        assert winner, "nobody holds a place in the small activity"
        winner_id = application_id(winner[0])
        other_mobile = query(live_database, 'SELECT u.mobile FROM application a JOIN "user" u ON u.id = a.guardian_id '
                                            "WHERE a.id = ?", winner_id)
        other = phone("other-guardian")
        other.log_in(other_mobile)
        other.goto(f"/enrolment/applications/{winner_id}/withdraw")
        assert f"{FULL_ACTIVITY}" in other.text()
        other.shot("12-withdraw")
        other.page.click("form button.danger")
        other.page.wait_for_url(f"**/enrolment/applications/{winner_id}")
        assert other.text("#status") == "已退出"
        other.shot("13-withdrawn")

        # 9. The first waiting child, ours, now has the place, and the guardian's inbox says so.
        guardian.goto("/enrolment/inbox")
        assert f"有名额空出：{CHILD}已递补进入{FULL_ACTIVITY}" in guardian.text()
        guardian.shot("14-inbox-promoted")
        guardian.page.click(f"a:has-text('有名额空出：{CHILD}')")
        guardian.page.wait_for_url(f"**/enrolment/applications/{mine}")
        assert guardian.text("#status") == "已审定通过"
        assert guardian.text(".choice-status") == "已获名额"
        guardian.shot("15-waitlist-promoted")
        principal.goto(f"/enrolment/offerings/{offering_id}")
        assert f"{FULL_ACTIVITY}: {capacity}/{capacity}" in principal.text()
        principal.shot("16-principal-after-withdrawal")
    finally:
        for each in phones:
            each.context.close()
