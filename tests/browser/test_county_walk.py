"""The county officer's walk: the site started as the README says (`scripts/run.sh`, a fresh database, the demo), and
周科长 of 示范县 doing the county's work, on a phone at 375 px and at a desk at 1280 px, in Chinese:

1. the county board (two terms of history): figures for every school, the charts, the terms to choose from; drill
   down to a school and one of its classes; the school's gaps page;
2. an export: the board's schools table as XLSX, opened and read back (the schools, the county's line);
3. the coverage plan: the demo's finished plan, then a new plan for next week run by the background runner that
   run.sh starts, until its result shows;
4. complaints: 郑校长 (第一初级中学) answers the complaint filed at his school; 周科长 sees it answered, and answers and
   closes the one 实验小学 left past its day, which the county holds;
5. the same board and drill-down at 1280 px, and the county's public page (no login).

Screenshots are test-artifacts/county-NN-<step>.png; the server's output is test-artifacts/county-server.log. Every
page goes through page_checks.assert_sound; the test fails at the end with every failure, each naming its screenshot.
"""

import io
import re
import time
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.walking import StepFailed, Walk, click_and_wait, flash
from tests.conftest import unavailable
from tests.serving import run_script

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

OFFICER, JUNIOR_PRINCIPAL = "13800000001", "13900000010"
SCHOOLS = ("实验小学", "第一初级中学")
SCHOOL_ANSWER = "经核实：课后服务不另收资料费，已退还多收的30元并在班级群说明。"
PLAN_WAIT = 240  # seconds for the background runner to plan both demo schools


@pytest.fixture(scope="module")
def county_site(tmp_path_factory):
    if not (ROOT / ".venv" / "bin" / "python").exists():
        unavailable("no .venv: scripts/run.sh would create it (run scripts/setup.sh first)")
    database = tmp_path_factory.mktemp("county") / "county.sqlite"
    ARTIFACTS.mkdir(exist_ok=True)
    with run_script(database, ARTIFACTS / "county-server.log") as url:
        yield url, database


def figure_values(page, name: str) -> dict[str, str]:
    """data-figure values on the page, by their owner (school-N, county-N, class-N)."""
    return page.evaluate("""name => Object.fromEntries([...document.querySelectorAll(`[data-figure="${name}"]`)]
        .map(e => [['school', 'county', 'class'].map(k => e.dataset[k] ? `${k}-${e.dataset[k]}` : '').join(''),
                   e.dataset.value]))""", name)


def test_the_county_officer_at_work(browser, county_site):
    base_url, database = county_site
    for old in ARTIFACTS.glob("county-*.png"):
        old.unlink()
    walk = Walk(browser, base_url, database, {OFFICER: "officer", JUNIOR_PRINCIPAL: "junior-principal"},
                prefix="county")
    people = {}

    def person(mobile: str, width: int = 375):
        key = (mobile, width)
        if key not in people:
            people[key] = walk.phone(mobile, width=width, height=812 if width < 1000 else 800)
        walk.current = people[key]
        return people[key]

    def board(width: int):
        page = person(OFFICER, width)
        page.goto("/")
        click_and_wait(page, page.get_by_role("link", name="全县课后服务看板"))
        walk.check(page, f"board-{width}")
        placed = figure_values(page, "board-placed")
        schools = [k for k in placed if k.startswith("school-")]
        walk.should(len(schools) == 2 and all(int(placed[k]) > 0 for k in schools), page,
                    f"both demo schools have children placed on the board: {placed}")
        covered = figure_values(page, "board-days-covered")
        walk.should(any(int(v or 0) > 0 for v in covered.values()), page, f"school days covered: {covered}")
        walk.should(page.locator("svg").count() >= 2, page, "the board has its charts")
        terms = page.locator("select[name=term] option, a[href*='term=']").count()
        walk.should(terms >= 2, page, "two terms to choose from (the history)")
        click_and_wait(page, page.get_by_role("link", name=SCHOOLS[0]).first)
        walk.check(page, f"school-board-{width}")
        walk.should("本校课后服务看板" in page.inner_text("h1"), page, "the school's board opened")
        click_and_wait(page, page.locator("a[href*='/county/board/classes/']").first)
        walk.check(page, f"class-board-{width}")
        walk.should(page.locator("[data-date]").count() > 0, page, "the class's school days are listed")
        page.go_back()
        page.wait_for_load_state()
        click_and_wait(page, page.get_by_role("link", name="未全覆盖的上学日"))
        walk.check(page, f"gaps-{width}")
        walk.should(page.url.startswith(f"{base_url}/rosters/coverage"), page, "the school's gaps page opened")

    def export():
        page = person(OFFICER)
        page.goto("/county/board")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载（XLSX）").first.click()
        path = download.value.path()
        rows = list(load_workbook(io.BytesIO(path.read_bytes())).active.iter_rows(values_only=True))
        names = [r[0] for r in rows]
        walk.should(all(name in names for name in SCHOOLS), page, f"the schools in the XLSX: {names}")
        walk.should(len(rows) >= 4, page, f"title, header, two schools and the county's line: {len(rows)} rows")

    def plan():
        page = person(OFFICER)
        page.goto("/")
        click_and_wait(page, page.get_by_role("link", name="全县课后服务保障测算"))
        walk.check(page, "plans")
        finished = page.locator("a[href*='/county/plans/']")
        if not finished.count():
            raise StepFailed("the demo's finished plan is not listed")
        click_and_wait(page, finished.first)
        walk.check(page, "plan-demo")
        walk.should(page.locator("[data-figure=plan-schools]").count() == 1, page, "the demo plan shows its figures")
        page.go_back()
        page.wait_for_load_state()
        monday = date.today() + timedelta(days=7 - date.today().weekday())
        page.get_by_label(re.compile("任一天")).fill(monday.isoformat())
        click_and_wait(page, page.get_by_role("button", name=re.compile("测算")))
        walk.check(page, "plan-started")
        deadline = time.monotonic() + PLAN_WAIT
        while page.locator("[data-figure=plan-schools]").count() == 0:
            if time.monotonic() > deadline:
                raise StepFailed(f"the plan did not finish in {PLAN_WAIT} s: {page.inner_text('main')[:300]}")
            time.sleep(3)
            page.reload()
            page.wait_for_load_state()
        walk.check(page, "plan-finished")
        schools = page.locator("[data-figure=plan-schools]").get_attribute("data-value")
        walk.should(schools == "2", page, f"both schools planned: {schools}")
        stored = walk.rows("SELECT status FROM county_plan ORDER BY id DESC LIMIT 1")
        walk.should(stored and stored[0][0] == "done", page, f"the plan is stored as done: {stored}")

    def complaints():
        page = person(JUNIOR_PRINCIPAL)
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="投诉"))
        walk.check(page, "school-complaints")
        click_and_wait(page, page.locator("a[data-complaint]").first)
        walk.check(page, "school-complaint")
        page.get_by_label(re.compile("答复")).first.fill(SCHOOL_ANSWER)
        click_and_wait(page, page.get_by_role("button", name="发送答复"))
        walk.check(page, "school-complaint-answered")
        walk.should("答复" in flash(page), page, f"the school's answer was sent: {flash(page)!r}")
        answered = walk.rows("SELECT COUNT(*) FROM complaint WHERE status = 'answered' AND school_answer = ?",
                             SCHOOL_ANSWER)
        walk.should(answered[0][0] == 1, page, "the school's answer is stored")

        page = person(OFFICER)
        page.goto("/")
        click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="投诉"))
        walk.check(page, "county-complaints")
        escalated = walk.rows("SELECT id FROM complaint WHERE status = 'escalated'")
        if not escalated:
            raise StepFailed("no complaint is with the county in the demo")
        click_and_wait(page, page.locator(f"a[data-complaint='{escalated[0][0]}']").first)
        walk.check(page, "county-complaint")
        page.get_by_label(re.compile("答复")).first.fill("县教育局已约谈学校，责令三日内退还多收费用并公示收费标准。")
        click_and_wait(page, page.get_by_role("button", name="答复并办结"))
        walk.check(page, "county-complaint-closed")
        closed = walk.rows("SELECT status FROM complaint WHERE id = ?", escalated[0][0])
        walk.should(closed[0][0] == "closed", page, f"the complaint is closed: {closed}")

    def public():
        page = person(OFFICER, 1280)
        county = walk.rows("SELECT id FROM county WHERE name = '示范县'")[0][0]
        page.goto(f"/public/county/{county}")
        walk.check(page, "public-page-1280")
        text = page.inner_text("main")
        walk.should(all(name in text for name in SCHOOLS), page, "the public page lists both schools")

    walk.run("board-375", lambda: board(375))
    walk.run("export", export)
    walk.run("plan", plan)
    walk.run("complaints", complaints)
    walk.run("board-1280", lambda: board(1280))
    walk.run("public", public)
    walk.close()
    assert not walk.failures and not walk.unsound, walk.report()
