"""The county board: every figure on a small two-school county against values worked out by hand, who sees which
board, the queries a page makes (not growing with the number of schools), the XLSX exports and the refresh paths.

The county (see `county`): 实验 A (classes A1 of 3 pupils, A2 of 2) and 二小 B (class B1 of 4 pupils), both with the
autumn term 2024-09-02 … 2024-09-13 (two weeks); A also has a spring term 2025-03-03 … 2025-03-07. Both terms are
in the past, so every day counts. A's autumn offering declares Thursdays an exception day (教师学习).

A's autumn week 1 (published; week 2 has no roster): Mon–Wed 15:30–17:30 for A1+A2 (T1 Mon, T1 Tue, T2 + the
volunteer Wed); Friday A1 15:30–16:30 sports (provider staff + T2) and 16:30–18:00 (T1); Friday A2 15:30–17:00 (T2).
End of work in September: 17:30. Rest: every 30 minutes after work earns 20; subsidy 30 yuan an hour.
"""

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from app.county import board, facts
from app.county.models import ClassDayFact, SessionFact, StaffLoadFact
from app.daily.models import AttendanceMark, Mark
from app.enrolment.models import ApplicationStatus, LedgerEntry, LedgerKind
from app.extensions import db
from app.rosters.models import RosterSettings
from app.schools.models import SchoolClass
from app.staff.models import StaffProfile, StaffType
from tests import factories
from tests.test_myweek import publish_week

pytestmark = pytest.mark.both_databases

AUTUMN, SPRING = "2024秋季学期", "2025春季学期"
TODAY = date(2026, 1, 5)  # after both terms


class County:
    """The hand-made county and its people."""


@pytest.fixture
def county(app):
    c = County()
    c.county = factories.create_county()
    c.a = factories.create_school(c.county, name="实验A")
    c.b = factories.create_school(c.county, name="二小B")
    c.a1, c.a2 = factories.create_class(c.a, 1, 1), factories.create_class(c.a, 1, 2)
    c.b1 = factories.create_class(c.b, 1, 1)
    c.pupils_a1 = [factories.create_student(c.a1) for _ in range(3)]
    c.pupils_a2 = [factories.create_student(c.a2) for _ in range(2)]
    c.pupils_b1 = [factories.create_student(c.b1) for _ in range(4)]
    autumn_a = factories.create_term(c.a, name=AUTUMN, starts_on=date(2024, 9, 2), ends_on=date(2024, 9, 13))
    autumn_b = factories.create_term(c.b, name=AUTUMN, starts_on=date(2024, 9, 2), ends_on=date(2024, 9, 13))
    spring_a = factories.create_term(c.a, name=SPRING, starts_on=date(2025, 3, 3), ends_on=date(2025, 3, 7))
    offering_a = factories.create_offering(c.a, term=autumn_a, exception_weekdays=[3], exception_reason="教师学习")
    offering_b = factories.create_offering(c.b, term=autumn_b)
    spring_offering = factories.create_offering(c.a, term=spring_a)
    approved, submitted = ApplicationStatus.APPROVED, ApplicationStatus.SUBMITTED
    withdrawn = ApplicationStatus.WITHDRAWN
    apps = [factories.create_application(p, offering_a, status=s) for p, s in zip(
        c.pupils_a1 + c.pupils_a2, (approved, approved, submitted, approved, withdrawn), strict=True)]
    factories.create_application(c.pupils_b1[0], offering_b, status=approved)
    factories.create_application(c.pupils_a1[0], spring_offering, status=approved)
    written = datetime(2024, 9, 3, 2, 0, tzinfo=UTC)  # 10:00 school time, autumn week 1
    for application, kind, cents in ((apps[0], LedgerKind.CHARGE, 20000), (apps[0], LedgerKind.WAIVER, 5000),
                                     (apps[3], LedgerKind.CHARGE, 20000), (apps[3], LedgerKind.REFUND, 8000)):
        db.session.add(LedgerEntry(school_id=c.a.id, application_id=application.id, kind=kind, amount_cents=cents,
                                   created_at=written))
    db.session.add(RosterSettings(school_id=c.a.id, subsidy_cents_per_hour=3000, rest_threshold_minutes=30,
                                  rest_earned_minutes=20))
    c.t1 = factories.create_teacher(c.a).staff_profile
    c.t2 = factories.create_teacher(c.a).staff_profile
    c.t2.max_weekly_minutes = 200
    c.volunteer = factories.create_teacher(c.a, staff_type=StaffType.VOLUNTEER).staff_profile
    c.provider = factories.create_provider(c.county)
    c.coach = factories.create_provider_staff(c.provider).staff_profile
    week, sessions = publish_week(c.a, date(2024, 9, 2), [
        (0, "15:30", "17:30", "after_school", "homework_help", [c.t1], "101", [c.a1, c.a2]),
        (1, "15:30", "17:30", "after_school", "homework_help", [c.t1], "101", [c.a1, c.a2]),
        (2, "15:30", "17:30", "after_school", "homework_help", [c.t2, c.volunteer], "101", [c.a1, c.a2]),
        (4, "15:30", "16:30", "after_school", "sports", [c.coach, c.t2], "操场", [c.a1]),
        (4, "16:30", "18:00", "after_school", "reading", [c.t1], "102", [c.a1]),
        (4, "15:30", "17:00", "after_school", "homework_help", [c.t2], "103", [c.a2]),
    ])
    db.session.add(AttendanceMark(session_id=sessions[0].id, student_id=c.pupils_a1[0].id, status=Mark.PRESENT))
    db.session.commit()  # publish_week's commit expired the people: load them before the next week
    c.t1, c.a1 = db.session.get(StaffProfile, c.t1.id), db.session.get(SchoolClass, c.a1.id)
    publish_week(c.a, date(2025, 3, 3), [(0, "15:30", "17:30", "after_school", "homework_help", [c.t1], "101",
                                          [c.a1])])
    c.officer = factories.create_county_officer(c.county)
    c.principal_a = factories.create_school_admin(c.a)
    c.principal_b = factories.create_school_admin(c.b)
    c.coordinator_a = factories.create_coordinator(c.a)
    c.far_officer = factories.create_county_officer(factories.create_county())
    facts.refresh_county(c.county)
    db.session.commit()
    return c


def autumn(c, week=None):
    terms = board.terms_of(board.county_scope(c.county.id))
    return board.choose_period(terms, TODAY, term_name=AUTUMN, week_day=week)


# --- Every figure, by hand ---


def test_class_days_follow_the_policy_rule(county):
    """A1: Mon–Wed and Friday of week 1 covered (Friday's 15:30–16:30 and 16:30–18:00 join into one block);
    A2's Friday ends 17:00, before the 17:30 end of work, and 90 minutes are too few; Thursdays are the declared
    exception; week 2 has no roster."""
    days = facts.class_day_coverage(county.a, date(2024, 9, 2), date(2024, 9, 13))
    covered = {(d.class_id, d.on_date.day) for d in days if d.covered and d.service_day}
    assert covered == {(county.a1.id, 2), (county.a1.id, 3), (county.a1.id, 4), (county.a1.id, 6),
                       (county.a2.id, 2), (county.a2.id, 3), (county.a2.id, 4)}
    assert {d.on_date.day for d in days if not d.service_day} == {5, 12}
    assert next(d for d in days if d.class_id == county.a1.id and d.on_date.day == 6).minutes == 150


def test_county_figures_for_the_term(county):
    rows, total = board.county_rows(county.county, autumn(county), TODAY)
    a, b = rows[1], rows[0]  # by name: 二小B, 实验A
    assert (a.name, b.name) == ("实验A", "二小B")
    assert (a.students, a.applied, a.placed, a.participation) == (5, 4, 3, 0.6)
    assert (b.students, b.applied, b.placed) == (4, 1, 1)
    assert (a.service_days, a.covered_days) == (16, 7)
    assert (b.service_days, b.covered_days) == (10, 0)
    assert (a.minutes, a.register_minutes, a.hours, a.register_hours) == (600, 120, 10.0, 2.0)
    assert a.opted_in == 3 and b.opted_in == 0
    # T1 330 min (Mon 120, Tue 120, Fri 90), T2 270 (Wed 120, Fri 60 + 90) above their own 200 cap.
    assert (a.load.teachers, a.load.median, a.load.p90, a.load.largest, a.load.over_cap) == (2, 300, 330, 330, 1)
    # Rest: T1's 30 minutes after 17:30 earn 20. Subsidy: (330 + 270 + 120 volunteer) min × 30 yuan/h.
    assert (a.rest_minutes, a.subsidy_cents) == (20, 36000)
    assert (a.charged_cents, a.waived_cents, a.refunded_cents) == (40000, 5000, 8000)
    assert (total.students, total.applied, total.placed, total.service_days, total.covered_days) == (9, 5, 4, 26, 7)
    assert (total.minutes, total.opted_in, total.load.median, total.subsidy_cents) == (600, 3, 300, 36000)


def test_school_figures_by_class(app, county):
    with app.test_request_context():  # class names are said in the reader's language
        rows, line = board.school_rows(county.a, autumn(county), TODAY)
    a1, a2 = rows
    assert (a1.students, a1.applied, a1.placed, a1.service_days, a1.covered_days) == (3, 3, 2, 8, 4)
    assert (a2.students, a2.applied, a2.placed, a2.service_days, a2.covered_days) == (2, 1, 1, 8, 3)
    assert (a1.minutes, a2.minutes) == (120 * 3 + 60 + 90, 120 * 3 + 90)
    assert (a1.charged_cents, a1.waived_cents, a2.refunded_cents) == (20000, 5000, 8000)
    assert (line.minutes, line.covered_days, line.load.largest) == (600, 7, 330)


def test_week_figures(county):
    """Week 2 (no roster): nothing covered, no hours, no load; week 1: all the roster's, and the fees written."""
    week2 = autumn(county, date(2024, 9, 11))
    assert week2.monday == date(2024, 9, 9)
    rows, total = board.county_rows(county.county, week2, TODAY)
    assert (total.service_days, total.covered_days, total.minutes, total.load.teachers) == (13, 0, 0, 0)
    week1 = autumn(county, date(2024, 9, 2))
    rows, total = board.county_rows(county.county, week1, TODAY)
    assert (total.service_days, total.covered_days, total.minutes, total.charged_cents) == (13, 7, 600, 40000)
    assert (total.load.median, total.load.over_cap, total.rest_minutes) == (300, 1, 20)


def test_providers_and_trend(county):
    scope = board.county_scope(county.county.id)
    [line] = board.providers_of(scope, autumn(county), TODAY)
    assert (line.provider, line.activity, line.sessions, line.hours) == (county.provider.name, "sports", 1, 1.0)
    points = board.trend(scope, board.terms_of(scope), TODAY, 9)
    assert [(p.term, p.placed, p.service_days, p.covered_days, p.hours) for p in points] == [
        (AUTUMN, 4, 26, 7, 10.0), (SPRING, 1, 10, 1, 2.0)]


def test_percentile_is_nearest_rank():
    assert board.percentile([300, 270], 0.9) == 300
    assert board.percentile(list(range(1, 11)), 0.9) == 9
    assert board.percentile([], 0.9) == 0


# --- Pages: what each person sees ---


def figures(html: str, name: str) -> dict[str, str]:
    """{the school/class/county id: value} of a data-figure on a page."""
    found = {}
    for tag in re.findall(r"<[^>]*data-figure=\"" + re.escape(name) + r"\"[^>]*>", html):
        value = re.search(r'data-value="([^"]*)"', tag).group(1)
        owner = re.search(r'data-(school|class|county)="(\d+)"', tag)
        found[f"{owner.group(1)}-{owner.group(2)}"] = value
    return found


def test_county_page_shows_its_schools_only(county, client, login):
    login(county.officer)
    html = client.get(f"/county/board?term={AUTUMN}").get_data(as_text=True)
    assert figures(html, "board-placed") == {f"school-{county.a.id}": "3", f"school-{county.b.id}": "1",
                                             f"county-{county.county.id}": "4"}
    assert figures(html, "board-days-covered")[f"school-{county.a.id}"] == "7"
    assert figures(html, "board-hours")[f"county-{county.county.id}"] == "10.0"
    assert "<svg" in html and "实验A" in html
    school = client.get(f"/county/board/schools/{county.a.id}?term={AUTUMN}").get_data(as_text=True)
    assert figures(school, "board-placed") == {f"school-{county.a.id}": "3", f"class-{county.a1.id}": "2",
                                               f"class-{county.a2.id}": "1"}
    day = client.get(f"/county/board/classes/{county.a2.id}?term={AUTUMN}").get_data(as_text=True)
    assert 'data-date="2024-09-06" data-value="gap"' in day and 'data-date="2024-09-05" data-value="exception"' in day


def test_who_sees_which_board(county, client, login_as):
    a, b = county.a.id, county.b.id
    login_as(county.principal_a)
    assert client.get(f"/county/board/schools/{a}").status_code == 200
    assert client.get(f"/county/board/schools/{b}").status_code == 404
    assert client.get(f"/county/board/classes/{county.b1.id}").status_code == 404
    assert client.get("/county/board").status_code == 403
    login_as(county.coordinator_a)
    assert client.get(f"/county/board/schools/{a}").status_code == 403
    login_as(county.far_officer)
    assert client.get(f"/county/board/schools/{a}").status_code == 404
    html = client.get("/county/board").get_data(as_text=True)
    assert "实验A" not in html


def test_principal_dashboard_card(county, client, login):
    login(county.principal_a)
    html = client.get("/dashboard").get_data(as_text=True)
    assert f"/county/board/schools/{county.a.id}" in html


def test_exports(county, client, login):
    login(county.officer)
    response = client.get(f"/county/board.xlsx?table=schools&term={AUTUMN}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][0] == "实验A" and rows[2][3] == 3 and rows[-1][1] == 9  # the county's line last
    trend = load_workbook(io.BytesIO(client.get("/county/board.xlsx?table=trend").data)).active
    assert [r[0] for r in trend.iter_rows(min_row=2, values_only=True)] == [AUTUMN, SPRING]
    days = load_workbook(io.BytesIO(client.get(f"/county/board/classes/{county.a1.id}.xlsx?term={AUTUMN}").data))
    assert days.active.max_row == 1 + 10
    assert client.get("/county/board.xlsx?table=nothing").status_code == 404


def test_what_families_say(county, client, login_as):
    """Satisfaction: A's autumn survey answers 5, 4 and 2 → 3.67 (3 answers); B none. Complaints: A has three (one
    answered, one with the school past its day, one with the county), B one closed; the spring survey is not the
    autumn's."""
    from app.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
    from app.surveys.models import GuardianAnswer, Survey

    autumn = Survey(county_id=county.county.id, term_name=AUTUMN, opens_on=date(2024, 9, 9),
                    closes_on=date(2024, 9, 13))
    spring = Survey(county_id=county.county.id, term_name=SPRING, opens_on=date(2025, 3, 3),
                    closes_on=date(2025, 3, 7))
    db.session.add_all([autumn, spring])
    db.session.flush()
    pupils = county.pupils_a1 + county.pupils_a2
    db.session.add_all([GuardianAnswer(survey_id=autumn.id, student_id=p.id, school_id=county.a.id, overall=score)
                        for p, score in zip(pupils, (5, 4, 2), strict=False)])
    db.session.add(GuardianAnswer(survey_id=spring.id, student_id=pupils[0].id, school_id=county.a.id, overall=1))
    due = date(2024, 9, 10)
    for n, (school, status, respond_by) in enumerate((
            (county.a, ComplaintStatus.ANSWERED, due), (county.a, ComplaintStatus.OPEN, due),
            (county.a, ComplaintStatus.ESCALATED, due), (county.b, ComplaintStatus.CLOSED, TODAY))):
        db.session.add(Complaint(school_id=school.id, county_id=county.county.id, category=ComplaintCategory.OTHER,
                                 body="…", tracking_hash=f"h{n}", status=status, respond_by=respond_by))
    db.session.commit()

    login_as(county.officer)
    html = client.get(f"/county/board?term={AUTUMN}").get_data(as_text=True)
    a, b = f"school-{county.a.id}", f"school-{county.b.id}"
    assert figures(html, "board-satisfaction") == {a: "3.67", b: ""}
    assert figures(html, "board-complaints") == {a: "3", b: "1"}
    assert figures(html, "board-complaints-open") == {a: "2", b: "0"}
    spring_html = client.get(f"/county/board?term={SPRING}").get_data(as_text=True)
    assert figures(spring_html, "board-satisfaction")[a] == "1.00"
    sheet = load_workbook(io.BytesIO(client.get(f"/county/board.xlsx?table=voices&term={AUTUMN}").data)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["实验A"] == (3.67, 3, 3, 2, 1) and rows["二小B"] == (None, 0, 1, 0, 0)
    login_as(county.principal_a)
    school = client.get(f"/county/board/schools/{county.a.id}?term={AUTUMN}").get_data(as_text=True)
    assert figures(school, "board-complaints") == {a: "3"}  # the principal sees their own school only
    assert f"/rosters/coverage?school_id={county.a.id}" in school


# --- Scale: the queries a page makes do not grow with the schools ---


def count_queries(app, client, url) -> int:
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_queries_per_page_do_not_grow_with_schools(app, county, client, login):
    login(county.officer)
    pages = ["/county/board", f"/county/board?term={AUTUMN}", "/county/board?week=2024-09-02",
             f"/county/board/schools/{county.a.id}?term={AUTUMN}", f"/county/board/classes/{county.a1.id}"]
    before = [count_queries(app, client, url) for url in pages]
    for _ in range(5):  # five more schools, each with classes, pupils, a term and staff
        school = factories.create_school(county.county)
        for number in (1, 2):
            factories.create_student(factories.create_class(school, 1, number))
        factories.create_term(school, name=AUTUMN, starts_on=date(2024, 9, 2), ends_on=date(2024, 9, 13))
        factories.create_teacher(school)
        facts.refresh_school(school)
    db.session.commit()
    after = [count_queries(app, client, url) for url in pages]
    assert after == before
    assert max(before) <= 30, before  # measured: 20 county, 25 school, 22 class (login included)


# --- Refreshing ---


def test_publishing_a_week_refreshes_its_term(county):
    """Publishing B's week through the rosters' publish: B's class-days are covered at once."""
    from app.rosters import services as rosters

    teacher = factories.create_teacher(county.b).staff_profile
    week, _sessions = publish_week(county.b, date(2024, 9, 9), [
        (day, "15:30", "17:30", "after_school", "homework_help", [teacher], "101", [county.b1]) for day in range(5)])
    assert not db.session.scalars(db.select(ClassDayFact).filter_by(school_id=county.b.id, covered=True)).all()
    rosters.publish(week, county.principal_b, seen_number=1)
    covered = db.session.scalars(db.select(ClassDayFact).filter_by(school_id=county.b.id, covered=True)).all()
    assert sorted(d.on_date.day for d in covered) == [9, 10, 11, 12, 13]
    assert db.session.scalar(db.select(db.func.count()).select_from(SessionFact).filter_by(school_id=county.b.id)) == 5


def test_refresh_command(county, runner):
    db.session.execute(db.delete(StaffLoadFact))
    db.session.commit()
    result = runner.invoke(args=["county", "refresh", "--county", county.county.code])
    assert result.exit_code == 0, result.output
    assert "2 schools" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(StaffLoadFact)) > 0
    assert runner.invoke(args=["county", "refresh", "--county", "nope"]).exit_code != 0



def test_a_session_nobody_was_on_counts_only_with_its_register(county):
    """B's week 2, Monday: published with nobody on it, it is not delivered; once its register has a mark, it is."""
    _week, [session] = publish_week(county.b, date(2024, 9, 9), [
        (0, "15:30", "17:30", "after_school", "supervision", [], "101", [county.b1])])
    facts.refresh_school(county.b)

    def hours():
        rows, _total = board.county_rows(county.county, autumn(county), TODAY)
        return next(r for r in rows if r.id == county.b.id).minutes

    assert hours() == 0
    db.session.add(AttendanceMark(session_id=session.id, student_id=county.pupils_b1[0].id, status=Mark.PRESENT))
    facts.session_marked(session.id)  # what daily.register.mark does on a register's first mark
    db.session.flush()
    assert hours() == 120
    facts.refresh_school(county.b)  # and a refresh reads the marks again
    assert hours() == 120
