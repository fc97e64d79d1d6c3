"""The weekly roster on a phone: the coordinator opens next week, plans it from the templates, generates the roster in
the background (the progress page, then the grid), reads why a session is short of people, pins, is refused a pin
that breaks a rule, swaps and publishes; a teacher then finds the sessions in "My week" and in the iCal feed, and
the provider's coach sees only their own sessions.

Screenshots of every step land in test-artifacts/roster-NN-<step>-375.png. The server runs jobs in a thread of the
web process (the development config's default runner; tests/browser/conftest.py keeps REDIS_URL out of it)."""

import sqlite3
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.browser.conftest import ARTIFACTS
from tests.browser.page_checks import sideways
from tests.browser.test_enrolment_flow import PHONE, Phone

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

COORDINATOR, TEACHER, COACH = "13800000011", "13800000030", "13800000200"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class RosterPhone(Phone):
    """The enrolment test's phone (console, script and HTTP errors recorded), with roster-NN screenshots."""

    def shot(self, name: str) -> None:
        """Screenshot the step; nothing may be wider than the phone; no error so far."""
        self.page.screenshot(path=str(ARTIFACTS / f"roster-{name}-{PHONE}.png"), full_page=True)
        self.problems += [f"{self.who}: {self.page.url} {problem}" for problem in [sideways(self.page)] if problem]
        assert not self.problems, "\n".join(self.problems)

    def flash(self, category: str) -> str:
        return self.text(f".flashes .flash-{category}")


def rows(database, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute(sql, args).fetchall()


def assignments(database, week_id: int) -> list[dict]:
    """Every working assignment of the week with its session and person."""
    columns = ("id", "session_id", "profile_id", "pinned", "on_date", "starts_at", "ends_at", "series",
               "staff_needed", "name", "mobile", "staff_type")
    found = rows(database, """
        SELECT a.id, s.id, a.profile_id, a.pinned, s.on_date, substr(s.starts_at, 1, 5), substr(s.ends_at, 1, 5),
               s.series, s.staff_needed, u.name, u.mobile, p.staff_type
        FROM assignment a JOIN planned_session s ON s.id = a.session_id
        JOIN staff_profile p ON p.id = a.profile_id JOIN user u ON u.id = p.user_id
        WHERE s.week_id = ? ORDER BY s.on_date, s.starts_at, s.id, a.id""", week_id)
    return [dict(zip(columns, row, strict=True)) for row in found]


def short_sessions(database, week_id: int) -> list[dict]:
    """Sessions with fewer people than they need."""
    found = rows(database, """
        SELECT s.id, s.on_date, substr(s.starts_at, 1, 5), s.series, s.staff_needed, count(a.id)
        FROM planned_session s LEFT JOIN assignment a ON a.session_id = s.id
        WHERE s.week_id = ? GROUP BY s.id HAVING count(a.id) < s.staff_needed ORDER BY s.on_date, s.starts_at, s.id""",
        week_id)
    return [dict(zip(("id", "on_date", "starts_at", "series", "staff_needed", "have"), row, strict=True))
            for row in found]


def test_coordinator_plans_generates_adjusts_publishes_and_staff_see_it(browser, live_server, live_database):
    ARTIFACTS.mkdir(exist_ok=True)
    phones = []

    def phone(who: str) -> RosterPhone:
        phones.append(RosterPhone(browser, live_server, who))
        return phones[-1]

    try:
        # 1. The coordinator opens next week (the form's default day) from the rosters page.
        coordinator = phone("coordinator")
        coordinator.log_in(COORDINATOR)
        coordinator.goto("/rosters/")
        coordinator.page.click("form[action$='/rosters/weeks'] [type=submit]")
        coordinator.page.wait_for_url("**/rosters/weeks/*")
        week_id = int(coordinator.page.url.rstrip("/").rsplit("/", 1)[1])
        monday = date.fromisoformat(rows(live_database, "SELECT monday FROM week WHERE id = ?", week_id)[0][0])
        assert monday.weekday() == 0
        coordinator.shot("01-week")

        # 2. Plans the week from the templates: sessions appear, no plan problem.
        coordinator.page.click("form[action$='/sessions/generate'] [type=submit]")
        coordinator.page.wait_for_load_state()
        assert coordinator.flash("success")
        planned = rows(live_database, "SELECT count(*) FROM planned_session WHERE week_id = ?", week_id)[0][0]
        assert planned > 50, f"only {planned} sessions planned from the demo templates"
        assert coordinator.page.locator("main table tbody tr").count() == planned
        coordinator.shot("02-planned")

        # 3. Generates: the progress page shows the run, then goes to the roster by itself.
        coordinator.page.click("main p > a.button[href$='/roster']")
        coordinator.page.wait_for_url("**/roster")
        coordinator.page.click("form[action$='/solve'] [type=submit]")
        coordinator.page.wait_for_url("**/rosters/jobs/*")
        progress = coordinator.page.locator("#job-progress")
        assert progress.locator("progress").count() == 1
        assert int(progress.locator("[data-field=needed]").inner_text()) == planned
        coordinator.shot("03-progress")
        coordinator.page.wait_for_url(f"**/rosters/weeks/{week_id}/roster", timeout=120_000)
        status = rows(live_database, "SELECT status, error FROM roster_job WHERE week_id = ?", week_id)
        assert [s.lower() for s, _ in status] == ["done"], status
        working = assignments(live_database, week_id)
        assert working, "the engine staffed nothing"
        for a in working[:5]:
            assert a["name"] in coordinator.text("table.roster-grid")
        coordinator.shot("04-roster")

        # 4. Reads why a session is short of people (the demo has fewer people than the activities want).
        short = short_sessions(live_database, week_id)
        if short:
            assert coordinator.page.locator(".roster-cell.understaffed").count() >= 1
            first = short[0]
            explanation = coordinator.page.locator(
                f"main li:has(strong:has-text('{first['on_date']} {first['starts_at']} {first['series']}'))")
            assert explanation.count() == 1, f"no explanation for {first}"
            why = explanation.inner_text()
            assert why.split(")", 1)[-1].strip(" :："), f"an explanation without a reason: {why}"
            explanation.scroll_into_view_if_needed()
        coordinator.shot("05-explanation")

        # 5. A pin that breaks a rule is refused with the reason: someone already in a session at the same time.
        if not short:  # make room: take someone out of a one-person session (the removal is checked too)
            victim = next(a for a in working if a["staff_needed"] == 1)
            coordinator.page.click(f"form[action$='/assignments/{victim['id']}/remove'] [type=submit]")
            coordinator.page.wait_for_load_state()
            assert coordinator.flash("success")
            short = short_sessions(live_database, week_id)
            working = assignments(live_database, week_id)
        target = short[0]
        busy = next(a for a in working if a["on_date"] == target["on_date"] and a["starts_at"] == target["starts_at"]
                    and a["session_id"] != target["id"])
        coordinator.page.select_option("select[name=session_id]", str(target["id"]))
        coordinator.page.select_option("select[name=profile_id]", str(busy["profile_id"]))
        coordinator.page.click("form[action$='/pin'] [type=submit]")
        coordinator.page.wait_for_load_state()
        refusal = coordinator.flash("error")
        assert "NO_OVERLAP" in refusal and busy["name"] in refusal, refusal
        assert assignments(live_database, week_id) == working, "a refused pin changed the roster"
        coordinator.shot("06-pin-refused")

        # 6. Pins the teacher to a session they have, so re-solving keeps them there.
        teacher_rows = [a for a in working if a["mobile"] == TEACHER]
        teacher_mobile = TEACHER if teacher_rows else next(a["mobile"] for a in working if a["staff_type"] == "teacher")
        teacher = next(a for a in working if a["mobile"] == teacher_mobile)
        coordinator.page.select_option("select[name=session_id]", str(teacher["session_id"]))
        coordinator.page.select_option("select[name=profile_id]", str(teacher["profile_id"]))
        coordinator.page.click("form[action$='/pin'] [type=submit]")
        coordinator.page.wait_for_load_state()
        assert coordinator.flash("success")
        assert rows(live_database, "SELECT pinned FROM assignment WHERE id = ?", teacher["id"]) == [(1,)]
        coordinator.shot("07-pinned")

        # 7. Swaps two teachers doing homework help at the same time on the same day.
        pairs = [(x, y) for x in working for y in working
                 if x["id"] < y["id"] and x["staff_needed"] == y["staff_needed"] == 1
                 and (x["on_date"], x["starts_at"]) == (y["on_date"], y["starts_at"])
                 and x["staff_type"] == y["staff_type"] == "teacher"
                 and teacher_mobile not in (x["mobile"], y["mobile"])
                 and "作业辅导" in x["series"] and "作业辅导" in y["series"]]
        first, second = pairs[0]
        coordinator.page.select_option("select[name=first]", str(first["id"]))
        coordinator.page.select_option("select[name=second]", str(second["id"]))
        coordinator.page.click("form[action$='/swap'] [type=submit]")
        coordinator.page.wait_for_load_state()
        assert coordinator.flash("success")
        swapped = {a["id"]: a for a in assignments(live_database, week_id)}
        assert (swapped[first["id"]]["profile_id"], swapped[second["id"]]["profile_id"]) == (
            second["profile_id"], first["profile_id"])
        coordinator.shot("08-swapped")

        # 8. Publishes version 1.
        coordinator.page.click("form[action$='/publish'] [type=submit]")
        coordinator.page.wait_for_url(f"**/rosters/weeks/{week_id}/versions/1")
        assert coordinator.flash("success")
        coordinator.shot("09-published")
        published = assignments(live_database, week_id)

        # 9. The teacher sees their sessions in "My week" and subscribes to the calendar feed.
        staff = phone("teacher")
        staff.log_in(teacher_mobile)
        staff.goto(f"/my-week?week={monday.isoformat()}")
        mine = [a for a in published if a["mobile"] == teacher_mobile]
        listed = staff.page.locator("ul.sessions > li")
        assert listed.count() == len(mine)
        text = staff.text()
        for a in mine:
            assert f"{a['on_date']} {a['starts_at']}–{a['ends_at']}" in text and a["series"] in text
        staff.shot("10-myweek-teacher")
        feed = staff.page.locator("input.copy").input_value()
        response = staff.page.request.get(feed)
        assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
        events = Calendar.from_ical(response.body()).walk("VEVENT")
        starts = {event.decoded("dtstart").astimezone(SHANGHAI): event for event in events}
        for a in mine:
            start = datetime.combine(date.fromisoformat(a["on_date"]), time.fromisoformat(a["starts_at"]), SHANGHAI)
            end = datetime.combine(date.fromisoformat(a["on_date"]), time.fromisoformat(a["ends_at"]), SHANGHAI)
            assert start in starts, f"{a['series']} at {start} not in the feed: {sorted(starts)}"
            assert starts[start].decoded("dtend").astimezone(SHANGHAI) == end
            assert a["series"] in str(starts[start].get("summary"))

        # 10. The provider's coach sees only their own sessions.
        coach = phone("coach")
        coach.log_in(COACH)
        coach.goto(f"/my-week?week={monday.isoformat()}")
        theirs = [a for a in published if a["mobile"] == COACH]
        others = {a["series"] for a in published} - {a["series"] for a in theirs}
        listed = coach.page.locator("ul.sessions > li")
        assert listed.count() == len(theirs)
        sessions_text = coach.text()
        for a in theirs:
            assert f"{a['on_date']} {a['starts_at']}–{a['ends_at']}" in sessions_text and a["series"] in sessions_text
        for series in others:
            assert series not in coach.text(), f"the coach sees someone else's session {series}"
        if not theirs:
            assert coach.page.locator("section.card p.muted").count() >= 1
        coach.shot("11-myweek-coach")
    finally:
        for p in phones:
            p.context.close()
