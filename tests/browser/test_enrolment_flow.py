"""The enrolment path on a phone, with the application window and its draw: a guardian reads the public notice of
the demo school's holiday care (寒假 or 暑假, the holiday after the demo's term; places left per activity), applies
for both children to the small activity (围棋) and links the siblings; the class teacher confirms, the principal
approves (no draw yet); the window closes and the first page that looks runs the one recorded draw: the priority
children get the two places, the siblings wait together; the draw re-runs from its published record; the guardian
reads the reason in plain words; a placed child withdraws and the first child in queue order is offered the place,
which the guardian accepts.

Nothing assumes the draw's random seed: every expectation comes from the draw's record or the database.
Screenshots of every step land in test-artifacts/enrol-NN-<step>-375.png."""

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.demo import DEMO_PASSWORD
from app.demo_calendar import DEMO_ZONE, DemoCalendar
from app.enrolment.lottery import allocate
from tests.browser.conftest import ARTIFACTS
from tests.browser.page_checks import PHONE_WIDTH, phone_context, phone_width_problems

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PHONE = PHONE_WIDTH
SCHOOL = "实验小学"
# A DRAW offering whose window is still open in the demo (loaded today, school time).
CARE = f"实验小学{DemoCalendar.for_day(datetime.now(DEMO_ZONE).date()).term.holiday_name}托管"
GUARDIAN = "13800000100"  # 张家长, guardian of both children
CHILD, SIBLING = "张子涵", "张子轩"  # 一年级1班, 二年级1班
CLASS_TEACHER, PRINCIPAL = "13800000020", "13800000010"
SMALL, LARGE = "围棋", "趣味体育"  # two places, which two priority children of the demo already asked for; 25 places
SCHOOL_ZONE = ZoneInfo("Asia/Shanghai")  # BABEL_DEFAULT_TIMEZONE: how the pages show times


class Phone:
    """One person's phone: a 375 px browser that fails on script or console errors and on sideways scrolling."""

    def __init__(self, browser, base_url: str, who: str) -> None:
        self.context = phone_context(browser, height=800, base_url=base_url, device_scale_factor=1)
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
        self.problems += [f"{self.who}: {self.page.url} {problem}" for problem in phone_width_problems(self.page)]
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

    def choice(self, choice_id: int) -> tuple[str, str]:
        """A ranked choice on an application page: its status badge and its reason in plain words."""
        card = f"#choice-{choice_id}"
        return self.text(f"{card} .choice-status"), self.text(f"{card} .why")


def query(database, sql: str, *args):
    """What people know without the site (a child's student number, a guardian's phone): read from the database."""
    rows = query_all(database, sql, *args)
    assert rows, f"nothing for {sql} {args}"
    return rows[0][0]


def query_all(database, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute(sql, args).fetchall()


def execute(database, sql: str, *args) -> None:
    """Change the live database behind the server's back (what the passing of time would do)."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        with connection:
            assert connection.execute(sql, args).rowcount == 1, f"{sql} {args} changed no row"
    finally:
        connection.close()


def stored(moment: datetime) -> str:
    """A UTC moment as SQLAlchemy stores a DateTime on SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def shown(value: str) -> str:
    """A stored timestamp (naive UTC) as the pages show it: school time, to the minute."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(SCHOOL_ZONE).strftime("%Y-%m-%d %H:%M")


def application_id(url: str) -> int:
    match = re.search(r"/applications/(\d+)", url)
    assert match, f"not an application page: {url}"
    return int(match.group(1))


def test_window_draw_reasons_and_waiting_list_offer(browser, live_server, live_database):
    ARTIFACTS.mkdir(exist_ok=True)
    db = live_database
    school_id = query(db, "SELECT id FROM school WHERE name = ?", SCHOOL)
    care = query(db, "SELECT id FROM offering WHERE title = ?", CARE)
    small = query(db, "SELECT id FROM activity WHERE offering_id = ? AND name = ?", care, SMALL)
    large = query(db, "SELECT id FROM activity WHERE offering_id = ? AND name = ?", care, LARGE)
    capacity = query(db, "SELECT capacity FROM activity WHERE id = ?", small)
    guardian_id = query(db, 'SELECT id FROM "user" WHERE mobile = ?', GUARDIAN)
    numbers = {name: query(db, "SELECT student_number FROM student WHERE name = ?", name) for name in (CHILD, SIBLING)}
    assert query(db, "SELECT allocation FROM offering WHERE id = ?", care) == "draw"
    assert query(db, "SELECT count(*) FROM lottery WHERE offering_id = ?", care) == 0
    # The demo's two priority children (留守儿童) have asked for the small activity's places already.
    priority_applications = [row[0] for row in query_all(
        db, "SELECT a.id FROM application a JOIN activity_choice c ON c.application_id = a.id "
            "WHERE a.offering_id = ? AND c.activity_id = ? AND c.rank = 1 AND a.priority_groups LIKE '%left_behind%' "
            "ORDER BY a.id", care, small)]
    assert len(priority_applications) == capacity == 2, priority_applications
    phones = []

    def phone(who: str) -> Phone:
        phones.append(Phone(browser, live_server, who))
        return phones[-1]

    def choice_of(application: int, activity: int) -> int:
        return query(db, "SELECT id FROM activity_choice WHERE application_id = ? AND activity_id = ?",
                     application, activity)

    def waiting_list() -> list[tuple[int, int, int]]:
        """(choice, application, guardian) waiting for the small activity, in strict queue order."""
        return query_all(
            db, "SELECT c.id, a.id, a.guardian_id FROM activity_choice c JOIN application a ON a.id = c.application_id "
                "WHERE c.activity_id = ? AND c.status = 'waiting' AND a.status != 'withdrawn' "
                "ORDER BY c.wait_position, c.id", small)

    try:
        # 1. The guardian opens the school's shared notice link, then the holiday care: places left per activity.
        guardian = phone("guardian")
        guardian.goto(f"/programs/notice/{school_id}")
        assert SCHOOL in guardian.text("h1")
        guardian.shot("01-notice-index")
        guardian.page.click(f"a.card:has-text('{CARE}')")
        assert CARE in guardian.text("h1")
        places = {int(key): int(value) for key, value in guardian.page.eval_on_selector_all(
            "[data-places-activity]", "els => els.map(e => [e.dataset.placesActivity, e.textContent.trim()])")}
        assert places == {small: capacity, large: query(db, "SELECT capacity FROM activity WHERE id = ?", large)}
        assert SMALL in guardian.text() and LARGE in guardian.text()
        guardian.shot("02-notice")
        guardian.page.click("text=登录后申请")
        guardian.log_in(GUARDIAN)
        guardian.page.wait_for_url("**/enrolment/")
        assert CHILD in guardian.text() and SIBLING in guardian.text()
        guardian.shot("03-applications")

        # 2. Applies for both children, the small activity first; each application waits for the draw at the close.
        closes = shown(query(db, "SELECT window_closes_at FROM offering WHERE id = ?", care))
        applied = {}
        for step, name, label in ((4, CHILD, "child"), (6, SIBLING, "sibling")):
            guardian.goto("/enrolment/")
            guardian.page.click(f"section:has(h2:has-text('{name}')) p:has-text('{CARE}') a.button:text-is('申请')")
            assert f"为{name}申请" in guardian.text("h1") or name in guardian.text("h1")
            assert guardian.text(f"[data-places-activity='{small}']") == str(capacity)
            assert name in guardian.text("#child") and numbers[name] in guardian.text("#child")  # named, not asked
            guardian.page.select_option("select[name=choice_1]", label=SMALL)
            guardian.page.select_option("select[name=choice_2]", label=LARGE)
            guardian.page.fill("input[name=pickup_people]", "张家长（母亲）")
            guardian.page.check("input[name=agree]")
            guardian.shot(f"{step:02d}-apply-{label}")
            guardian.page.click("form [type=submit]:has-text('提交申请'), input[type=submit][value='提交申请']")
            guardian.page.wait_for_url("**/enrolment/applications/*")
            applied[name] = application_id(guardian.page.url)
            assert "申请已提交，接下来由班主任审核。" in guardian.text()
            assert guardian.text("#status") == "等待班主任审核"
            for activity in (small, large):
                status, why = guardian.choice(choice_of(applied[name], activity))
                assert status == "尚未分配"
                assert why == f"等待报名截止后抽签（{closes}）。", why
            if name == CHILD:
                guardian.shot(f"{step + 1:02d}-applied")
        mine, theirs = applied[CHILD], applied[SIBLING]

        # ...and links the siblings on the second application: the draw keeps them together.
        siblings = guardian.page.locator("#siblings")
        assert "兄弟姐妹一起" in siblings.inner_text()
        siblings.locator("select[name=other]").select_option(label=CHILD)
        siblings.locator("[type=submit]").click()
        guardian.page.wait_for_url(f"**/enrolment/applications/{theirs}")
        assert f"已关联：抽签时{SIBLING}和{CHILD}一起安排。" in guardian.text()
        assert f"已关联：{CHILD}。抽签时，共同填报的活动要么一起录取，要么都不录取。" in guardian.text("#siblings")
        guardian.shot("07-siblings-linked")
        guardian.goto(f"/enrolment/applications/{mine}")
        assert f"已关联：{SIBLING}。" in guardian.text("#siblings")
        group = query(db, "SELECT sibling_group FROM application WHERE id = ?", mine)
        assert group and group == query(db, "SELECT sibling_group FROM application WHERE id = ?", theirs)

        # 3. The class teacher of 一年级1班 confirms 张子涵's application.
        teacher = phone("class-teacher")
        teacher.log_in(CLASS_TEACHER)
        teacher.goto("/enrolment/review")
        row = teacher.page.locator(f"tr:has(a[href$='/applications/{mine}'])")
        assert "等待班主任审核" in row.inner_text()
        row.locator("button:has-text('确认')").click()
        teacher.page.wait_for_url("**/enrolment/review")
        assert f"已审核：{CHILD}。" in teacher.text()
        row = teacher.page.locator(f"tr:has(a[href$='/applications/{mine}'])")
        assert "班级审核已通过，等待校长审定" in row.inner_text()
        teacher.shot("08-teacher-confirmed")

        # ...and the principal approves: approval gives no place, the draw waits for the close.
        principal = phone("principal")
        principal.log_in(PRINCIPAL)
        principal.goto(f"/enrolment/offerings/{care}")
        assert principal.text("#window") == f"报名截止并抽签的时间：{closes}。"
        assert f"{SMALL}: 0/{capacity}" in principal.text()
        confirmed = query(db, "SELECT count(*) FROM application WHERE offering_id = ? AND status = 'confirmed'", care)
        principal.page.click(f"form[action$='/offerings/{care}/approve'] button[type=submit]")
        principal.page.wait_for_url(f"**/enrolment/offerings/{care}")
        assert f"已审定通过{confirmed}份申请。" in principal.text()
        row = principal.page.locator(f"tr:has(a[href$='/applications/{mine}'])")
        assert "已审定通过" in row.inner_text() and f"{SMALL} (尚未分配)" in row.inner_text()
        assert f"{SMALL}: 0/{capacity}" in principal.text()
        assert query(db, "SELECT count(*) FROM lottery WHERE offering_id = ?", care) == 0
        assert query(db, "SELECT drawn_at FROM offering WHERE id = ?", care) is None
        principal.shot("09-principal-approved-no-draw")

        # 4. The window closes. The principal's next look runs the draw, once.
        execute(db, "UPDATE offering SET window_closes_at = ? WHERE id = ?",
                stored(datetime.now(UTC) - timedelta(minutes=1)), care)
        principal.page.reload()
        principal.page.reload()  # a second look must not draw again
        lotteries = query_all(db, "SELECT id, seed FROM lottery WHERE offering_id = ?", care)
        assert len(lotteries) == 1, lotteries
        lottery_id, seed = lotteries[0]
        drawn_at = query(db, "SELECT drawn_at FROM offering WHERE id = ?", care)
        assert principal.text("#window") == f"已于 {shown(drawn_at)} 抽签。"
        assert f"{SMALL}: {capacity}/{capacity}" in principal.text()
        for winner in priority_applications:  # the priority group goes first
            assert query(db, "SELECT status FROM activity_choice WHERE id = ?", choice_of(winner, small)) == "placed"
            row = principal.page.locator(f"tr:has(a[href$='/applications/{winner}'])").inner_text()
            assert f"{SMALL} (已获名额)" in row and f"{SMALL}：优先群体，已录取。" in row, row
        # Siblings go together or not at all: both wait for the small activity, both have the larger one.
        for name, application in applied.items():
            statuses = dict(query_all(db, "SELECT activity_id, status FROM activity_choice WHERE application_id = ?",
                                      application))
            assert statuses == {small: "waiting", large: "placed"}, (name, statuses)
            row = principal.page.locator(f"tr:has(a[href$='/applications/{application}'])").inner_text()
            assert f"1. {SMALL} (候补中)" in row and f"2. {LARGE} (已获名额)" in row, row
            assert f"{SMALL}未录取：" in row and f"{LARGE}：与关联的兄弟姐妹一起录取" in row, row
        reasons = principal.page.eval_on_selector_all("tbody .why", "els => els.map(e => e.textContent.trim())")
        choices = query(db, "SELECT count(*) FROM activity_choice c JOIN application a ON a.id = c.application_id "
                            "WHERE a.offering_id = ?", care)
        assert len(reasons) == choices and all(reasons), reasons
        principal.shot("10-principal-drawn")

        # 5. The draw's public page: its seed, and the same result when re-run; so does its downloaded record.
        principal.page.click(f"a:has-text('第{lottery_id}次抽签')")
        principal.page.wait_for_url(f"**/enrolment/lotteries/{lottery_id}")
        assert principal.page.locator("code").first.inner_text() == seed
        assert principal.text("#rerun") == "按种子和输入数据重新抽签：结果相同"
        download = principal.page.get_attribute("a[download]", "href")
        assert download.endswith(f"/enrolment/lotteries/{lottery_id}.json")
        response = principal.page.request.get(download)
        assert response.ok, response.status
        record = response.json()
        assert record["seed"] == seed and record["lottery"] == lottery_id
        assert allocate(record["inputs"], record["seed"]) == record["result"]
        result = record["result"]
        principal.shot("11-lottery")

        # 6. The guardian reads why, in plain words: places, first choices, the lottery number, the queue position.
        tickets = {name: query(db, "SELECT ticket FROM application WHERE id = ?", a) for name, a in applied.items()}
        facts = result["activities"][str(small)]
        queue = waiting_list()
        positions = {application: index for index, (_c, application, _g) in enumerate(queue, start=1)}
        assert set(applied.values()) <= set(positions), (applied, queue)
        assert result["numbers"][tickets[CHILD]] == result["numbers"][tickets[SIBLING]]  # one draw for the family
        for step, name, label in ((12, CHILD, "child"), (13, SIBLING, "sibling")):
            guardian.goto(f"/enrolment/applications/{applied[name]}")
            status, why = guardian.choice(choice_of(applied[name], small))
            assert status == "候补中"
            said = re.fullmatch(rf"{SMALL}未录取：(\d+) 个名额，(\d+) 人第一志愿，你的抽签号 (\d+)"
                                r"（(.+) 抽签，种子已公开）。当前候补位次：(\d+)。", why)
            assert said, why
            assert [int(n) for n in said.group(1, 2, 3, 5)] == [
                facts["places"], facts["first_choice"], result["numbers"][tickets[name]], positions[applied[name]]]
            assert said.group(4) == shown(record["drawn_at"])
            status, why = guardian.choice(choice_of(applied[name], large))
            assert status == "已获名额" and why.startswith(f"{LARGE}：与关联的兄弟姐妹一起录取"), why
            assert f"抽签券号：{tickets[name]}" in guardian.text()
            assert guardian.page.locator(f"a[href$='/enrolment/lotteries/{lottery_id}']").count() == 1
            guardian.shot(f"{step}-reason-{label}")
        assert guardian.text("#status") == "等待班主任审核"  # 张子轩's was never confirmed: the draw still counted it

        # 7. A priority child withdraws (their guardian, on their own phone): the first child in queue order is
        #    offered the place, whoever the seed put first.
        leaver = priority_applications[0]
        first_choice, first_application, first_guardian = queue[0]
        other = phone("other-guardian")
        other.log_in(query(db, 'SELECT u.mobile FROM application a JOIN "user" u ON u.id = a.guardian_id '
                               "WHERE a.id = ?", leaver))
        other.goto(f"/enrolment/applications/{leaver}/withdraw")
        assert f"{SMALL}的名额将递补给候补名单上的下一位学生。" in other.text()
        other.shot("14-withdraw")
        other.page.click("form button.danger")
        other.page.wait_for_url(f"**/enrolment/applications/{leaver}")
        assert other.text("#status") == "已退出"
        other.shot("15-withdrawn")
        offer = query_all(db, "SELECT status, offer_expires_at FROM activity_choice WHERE id = ?", first_choice)[0]
        assert offer[0] == "offered" and offer[1], offer
        accept_by = shown(offer[1])
        child = query(db, "SELECT s.name FROM application a JOIN student s ON s.id = a.student_id WHERE a.id = ?",
                      first_application)
        notice = f"{SMALL}为{child}空出一个名额：请在 {accept_by} 前确认"
        assert query(db, "SELECT count(*) FROM notification WHERE user_id = ? AND subject = ?",
                     first_guardian, notice) == 1
        # Everyone still waiting moved up one place.
        for application in set(applied.values()) - {first_application}:
            guardian.goto(f"/enrolment/applications/{application}")
            status, why = guardian.choice(choice_of(application, small))
            assert status == "候补中" and why.endswith(f"当前候补位次：{positions[application] - 1}。"), why

        if first_guardian == guardian_id:
            # The guardian's inbox has the offer; the application shows it with the time to accept by.
            guardian.goto("/enrolment/inbox")
            assert notice in guardian.text()
            guardian.shot("16-inbox-offer")
            guardian.page.click(f"a:has-text('{notice}')")
            guardian.page.wait_for_url(f"**/enrolment/applications/{first_application}")
            status, why = guardian.choice(first_choice)
            assert status == "名额已保留：等待你的确认"
            assert why == f"{SMALL}为你保留了一个名额：请在 {accept_by} 前确认，逾期将顺延给候补名单上的下一位。", why
            guardian.shot("17-offer")
            guardian.page.click(f"#choice-{first_choice} button:has-text('接受名额')")
            guardian.page.wait_for_url(f"**/enrolment/applications/{first_application}")
            assert f"已接受名额：{SMALL}。" in guardian.text()
            assert guardian.choice(first_choice) == ("已获名额", f"{SMALL}：候补递补录取，你已接受名额。")
            status, why = guardian.choice(choice_of(first_application, large))  # no longer needed: freed
            assert status == "未获安排" and why == f"无需此志愿：{child}已被更靠前的志愿录取。", why
            assert query(db, "SELECT status FROM activity_choice WHERE id = ?", first_choice) == "placed"
            guardian.shot("18-offer-accepted")
        else:
            # Somebody else's child was first in the queue: the offer is theirs, and the family's children wait on.
            assert first_application not in applied.values()
            for application in applied.values():
                assert query(db, "SELECT status FROM activity_choice WHERE id = ?",
                             choice_of(application, small)) == "waiting"
            guardian.shot("16-still-waiting")

        # 8. The small activity is full again.
        principal.goto(f"/enrolment/offerings/{care}")
        assert f"{SMALL}: {capacity}/{capacity}" in principal.text()
        assert query(db, "SELECT count(*) FROM lottery WHERE offering_id = ?", care) == 1
        principal.shot("19-principal-after-withdrawal")
    finally:
        for each in phones:
            each.context.close()
