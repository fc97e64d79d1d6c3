"""Every role's main pages on a phone (375 px) and a desktop (1280 px), as a person would judge their layout:

- lists: on a phone every table of a page is a stack of cards (one row per card, each value under its column's
  heading); on a desktop a table stays a table; on neither is a short value (a name, a class) broken over lines;
- the public notice list's offering cards (and any other cards) do not overlap;
- every button is styled (its computed style is not the browser's default button);
- and, from tests/browser/page_checks.py (the newcomer walk's checks): no server or console error, no page wider
  than the screen, no text or box laid over other text, and on the phone no touch target under 44 × 44 px.

Untranslated English is the newcomer walk's to catch (page_checks.assert_sound); this module looks at layout only.
Screenshots: test-artifacts/layout-<role>-<width>-NN-<page>.png.
"""

import re
from datetime import date, timedelta

import pytest

from app.demo import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS
from tests.browser.page_checks import (
    MIN_TARGET,
    PHONE_WIDTH,
    overlaps,
    phone_context,
    phone_width_problems,
    sideways,
    watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PHONE, DESKTOP = PHONE_WIDTH, 1280
JOB_LIMIT = 180_000  # ms for a roster job to finish (the demo week takes seconds)

# Each role's main pages in the order a person reaches them. "/path" opens a page; anything else is the CSS selector
# of a link on the page before, followed (its first match).
WALKS = {
    "anonymous": (None, ["/", "a[href^='/providers/whitelist/']", "/", "a[href^='/programs/notice/']",
                         "a.card[href*='/programs/notice/offering/']", "/account/login", "/account/register"]),
    "guardian": ("13800000100", ["/dashboard", "/enrolment/", "a[href*='/enrolment/apply/']", "/schools/bind-child",
                                 "/messages", "/messages/settings", "/account/password"]),
    "class-teacher": ("13800000020", ["/schools/my-class", "/enrolment/review",
                                      "main a[href*='/enrolment/applications/']", "/my-week", "/staff/me",
                                      "/staff/me/availability"]),
    "teacher": ("13800000030", ["/my-week", "/staff/me", "/staff/me/availability", "/messages"]),
    "coach": ("13800000200", ["/my-week", "/staff/me/availability"]),
    "principal": ("13800000010", [
        "/dashboard", "/schools/classes", "/schools/students", "/schools/students/new", "/staff/", "/staff/new",
        "/schools/settings", "/programs/", "main table a[href^='/programs/']", "a[href*='/enrolment/offerings/']",
        "main table a[href*='/enrolment/applications/']", "/programs/new", "/enrolment/finance",
        "main table a[href$='/statement']", "/enrolment/audit", "/absences", "/rosters/", "/rosters/templates/new",
        "/rosters/settings", "/rosters/coverage"]),
    "finance": ("13800000012", ["/dashboard", "/enrolment/finance", "main table a[href$='/statement']"]),
    "county": ("13800000001", ["/dashboard", "/schools/county", "main table a[href^='/schools/county/']",
                               "/providers/", "main table a[href^='/providers/']", "/providers/new"]),
}

_TABLES = """phone => {
  const found = [];
  const describe = t => 'table' + (t.id ? '#' + t.id : '') + (t.className ? '.' + t.className.split(' ').join('.') : '')
      + ' "' + ((t.tHead && t.tHead.innerText) || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
  for (const table of document.querySelectorAll('main table')) {
    if (!table.getClientRects().length || !table.tBodies.length) continue;
    const row = table.tBodies[0].rows[0];
    if (!row) continue;
    const stacked = getComputedStyle(row).display === 'block';
    if (phone && !stacked) { found.push(describe(table) + ' is a table, not cards, on a phone'); continue; }
    if (!phone && stacked) { found.push(describe(table) + ' is cards on a desktop'); continue; }
    const head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    const headings = [];
    if (head) for (const th of head.cells) for (let i = 0; i < th.colSpan; i++) headings.push(th.innerText.trim());
    for (const body of table.tBodies) for (const tr of body.rows) {
      let column = 0;
      for (const cell of tr.cells) {
        const at = column; column += cell.colSpan;
        const text = cell.innerText.trim();
        if (!text || !cell.getClientRects().length) continue;
        // A short value without spaces (a name, a class, a date) with a line of one character is squeezed
        // (张子/涵, or one character per line); a break at punctuation (钱老师 / （退休）) is not.
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const raw = node.textContent, value = raw.trim();
          if (value.length < 2 || value.length > 10 || /\\s/.test(value)) continue;
          const lines = new Map(), range = document.createRange(), start = raw.indexOf(value);
          for (let i = start; i < start + value.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const box = range.getBoundingClientRect();
            if (box.width) lines.set(Math.round(box.top), (lines.get(Math.round(box.top)) || 0) + 1);
          }
          if (lines.size > 1 && Math.min(...lines.values()) === 1)
            found.push(describe(table) + ': "' + value + '" is squeezed onto ' + lines.size + ' lines in a '
                + Math.round(cell.getBoundingClientRect().width) + ' px cell');
        }
        if (!phone || cell.colSpan > 1) continue;
        const width = cell.getBoundingClientRect().width, card = tr.getBoundingClientRect().width;
        if (width < card * 0.9) found.push(describe(table) + ': "' + text.slice(0, 20) + '" is ' + Math.round(width)
            + ' px wide in a ' + Math.round(card) + ' px card (cells side by side)');
        const label = getComputedStyle(cell, '::before').content;
        if (headings[at] && cell.tagName === 'TD' && !cell.classList.contains('stack-head')
            && (label === 'none' || label === 'normal' || label === '""'))
          found.push(describe(table) + ': "' + text.slice(0, 20) + '" shows without its heading "'
              + headings[at] + '"');
      }
    }
  }
  return found;
}"""

_CARDS = """() => {
  const cards = [...document.querySelectorAll('main .card')].filter(c => c.getClientRects().length);
  const found = [];
  for (let i = 0; i < cards.length; i++) for (let j = i + 1; j < cards.length; j++) {
    if (cards[i].contains(cards[j]) || cards[j].contains(cards[i])) continue;
    const a = cards[i].getBoundingClientRect(), b = cards[j].getBoundingClientRect();
    const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (x > 1 && y > 1) found.push('"' + cards[i].innerText.trim().slice(0, 20) + '" and "'
        + cards[j].innerText.trim().slice(0, 20) + '" overlap by ' + Math.round(x) + '×' + Math.round(y) + ' px');
  }
  return found;
}"""

# A button and a submit input in a shadow root get the browser's own style (the page's style sheet does not reach
# them): a page button with the same background and border is unstyled.
_UNSTYLED = """() => {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = host.attachShadow({mode: 'open'});
  root.innerHTML = '<button>x</button><input type="submit" value="x">';
  const look = e => { const s = getComputedStyle(e); return s.backgroundColor + '|' + s.borderTopStyle; };
  const plain = new Set([...root.children].map(look));
  const found = [];
  for (const b of document.querySelectorAll('button, input[type=submit], input[type=button], input[type=reset]')) {
    if (!b.getClientRects().length || getComputedStyle(b).visibility === 'hidden') continue;
    if (plain.has(look(b))) found.push('<' + b.tagName.toLowerCase() + '> "'
        + (b.innerText || b.value).trim().slice(0, 30) + '" has the browser\\'s default look');
  }
  host.remove();
  return found;
}"""


def layout_problems(page, width: int) -> list[str]:
    """What is wrong with the page's layout at this width (see the module docstring)."""
    found = phone_width_problems(page) if width == PHONE else [problem for problem in [sideways(page)] if problem]
    found += page.evaluate(_TABLES, width == PHONE)
    found += page.evaluate(_CARDS)
    found += overlaps(page)
    found += page.evaluate(_UNSTYLED)
    return found


class Screen:
    """One person's browser window: opens pages, screenshots them, and keeps every problem found. It is resized from
    phone to desktop rather than opened twice, so each person logs in once (the log-in form allows ten a minute)."""

    def __init__(self, browser, base_url: str, width: int, who: str) -> None:
        self.context = phone_context(browser, width=width, height=800, base_url=base_url, device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.errors = watch(self.page)
        self.width, self.who, self.count = width, who, 0
        self.problems: list[str] = []

    def resize(self, width: int) -> None:
        self.page.set_viewport_size({"width": width, "height": 800})
        self.width = width

    def log_in(self, mobile: str) -> None:
        self.page.goto("/account/login")
        self.page.fill("input[name=mobile]", mobile)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("form:has(input[name=password]) [type=submit]")
        self.page.wait_for_url("**/dashboard")

    def open(self, step: str) -> None:
        """Open a path, or follow the first link matching a selector on the current page."""
        if not step.startswith("/"):
            link = self.page.locator(step).first
            assert link.count(), f"{self.who}: no link {step!r} on {self.page.url}"
            step = link.get_attribute("href")
        response = self.page.goto(step)
        status = response.status if response else None
        assert status is not None and status < 400, f"{self.who}: {step} answered {status}"
        self.check()

    def check(self) -> None:
        """Screenshot the page and record its layout problems."""
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", self.page.url.split("//", 1)[1].split("/", 1)[1].lower()).strip("-") or "home"
        shot = ARTIFACTS / f"layout-{self.who}-{self.width}-{self.count:02d}-{slug}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        found = self.errors + layout_problems(self.page, self.width)
        self.errors.clear()
        self.problems += [f"{self.page.url} ({shot.name}): {problem}" for problem in found]


@pytest.fixture
def screen(browser, live_server):
    screens = []

    def open_screen(width: int, who: str) -> Screen:
        screens.append(Screen(browser, live_server, width, who))
        return screens[-1]

    ARTIFACTS.mkdir(exist_ok=True)
    yield open_screen
    for opened in screens:
        opened.context.close()


@pytest.mark.parametrize("who", list(WALKS))
def test_main_pages_are_laid_out_for_the_screen(screen, who):
    mobile, steps = WALKS[who]
    window = screen(PHONE, who)
    if mobile:
        window.log_in(mobile)
    for width in (PHONE, DESKTOP):
        window.resize(width)
        for step in steps:
            window.open(step)
    assert not window.problems, "\n".join(window.problems)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_public_notice_list_shows_each_offering_as_its_own_card(screen, width):
    window = screen(width, "notice")
    window.open("/")
    window.open("li:has-text('实验小学') a[href^='/programs/notice/']")  # other tests add schools to the server
    cards = window.page.locator("main a.card")
    assert cards.count() >= 2, "the demo school's notice lists fewer than two offerings"
    boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] >= above["y"] + above["height"], f"offering cards overlap: {above} and {below}"
    for i, box in enumerate(boxes):
        title = cards.nth(i).locator("strong").bounding_box()
        assert box["x"] <= title["x"] and title["x"] + title["width"] <= box["x"] + box["width"] + 1, \
            f"the title of card {i + 1} sticks out of it"
        assert box["y"] <= title["y"] and title["y"] + title["height"] <= box["y"] + box["height"] + 1, \
            f"the title of card {i + 1} sticks out of it"
    assert not window.problems, "\n".join(window.problems)


def test_roster_week_and_grid_on_a_phone_and_a_desktop(screen, live_server):
    """A week of its own (three weeks ahead, apart from the roster flow's next week): planned, generated, looked at."""
    phone = screen(PHONE, "roster")
    phone.log_in("13800000011")
    phone.page.goto("/rosters/")
    phone.page.fill("input[name=day]", (date.today() + timedelta(days=21)).isoformat())
    phone.page.click("form[action$='/rosters/weeks'] [type=submit]")
    phone.page.wait_for_url("**/rosters/weeks/*")
    week = phone.page.url.rstrip("/")
    if not phone.page.locator("main table tbody tr").count():
        phone.page.click("form[action$='/sessions/generate'] [type=submit]")
        phone.page.wait_for_load_state()
    assert phone.page.locator("main table tbody tr").count(), "planning the week from the templates gave no session"
    phone.check()
    phone.page.goto(f"{week}/roster")
    if not phone.page.locator("table.roster-grid button").count():
        phone.page.click("form[action$='/solve'] [type=submit]")
        phone.page.wait_for_url("**/rosters/jobs/*")
        phone.page.wait_for_url(f"{week}/roster", timeout=JOB_LIMIT)
    removes = phone.page.locator("table.roster-grid button")
    assert removes.count(), "the generated roster has nobody to remove"
    box = removes.first.bounding_box()
    assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, f"the roster's × is {box}"
    phone.check()

    phone.resize(DESKTOP)
    phone.open(week.removeprefix(live_server))
    phone.open(f"{week.removeprefix(live_server)}/roster")
    assert not phone.problems, "\n".join(phone.problems)
