"""One source per figure: the same figure read on every page that shows it (the demo county, the test client),
and the one function each figure comes from.

Pages mark a figure with ``data-figure="<name>"`` and its value in ``data-value``; the other ``data-*`` attributes
say whose figure it is (session, activity, offering, provider, school).
"""

from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest

from app.accounts.models import User
from app.demo import DEMO_PASSWORD
from app.enrolment.models import Application, ApplicationStatus
from app.enrolment.need_to_know import children_of_session
from app.enrolment.services import approve_offering
from app.extensions import db
from app.models_base import local_today, school_zone
from app.programs import window
from app.programs.models import Activity, AllocationMode, Offering, OfferingKind
from app.providers.models import Provider, ProviderStatus, VettingStatus
from app.rosters import services as rosters
from app.rosters.expected import expected_by_session, expected_children
from app.rosters.models import Assignment, PlannedSession, Week
from app.schools import services as schools
from app.schools.models import School
from app.staff.models import StaffProfile

COORDINATOR, PRINCIPAL, TEACHER, GUARDIAN = "13800000011", "13800000010", "13800000030", "13800000100"
COACH, COUNTY, JUNIOR_PRINCIPAL = "13800000200", "13800000001", "13900000010"
EXPIRED_PROVIDER_STAFF = "13800000202"  # 吴老师 of 小小科学家, whose vetting has ended


class FigureParser(HTMLParser):
    """Every element with a data-figure attribute, as a dict of its data-* attributes; and data-child rows."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self.children = 0

    def handle_starttag(self, tag, attrs):
        data = {name[5:]: value for name, value in attrs if name.startswith("data-")}
        if "figure" in data:
            self.figures.append(data)
        if "child" in data:
            self.children += 1


def parse(html: str) -> FigureParser:
    parser = FigureParser()
    parser.feed(html)
    return parser


def figures(html: str, name: str, key: str) -> dict[str, str]:
    """{owner id: value} of one figure on a page; an owner shown twice must show the same value."""
    found: dict[str, str] = {}
    for figure in parse(html).figures:
        if figure["figure"] == name:
            assert found.setdefault(figure[key], figure["value"]) == figure["value"], (name, figure)
    return found


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def page(client):
    """Read a page as a demo login (None: logged out); a fresh login each time."""

    def read(url: str, mobile: str | None = None, locale: str | None = None) -> str:
        client.post("/account/logout")
        with client.session_transaction() as session:
            session.clear()
            if locale:
                session["locale"] = locale
        if mobile:
            response = client.post("/account/login", data={"mobile": mobile, "password": DEMO_PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            if locale:
                with client.session_transaction() as session:
                    session["locale"] = locale
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    read.client = client
    return read


def user(mobile: str) -> User:
    return db.session.scalar(db.select(User).filter_by(mobile=mobile))


def primary() -> School:
    return db.session.scalar(db.select(School).filter_by(name="实验小学"))


def offering_of(school: School, kind: OfferingKind) -> Offering:
    return db.session.scalar(db.select(Offering).filter_by(school_id=school.id, kind=kind))


def term_week(school: School) -> Week:
    """A full school week of the term with no day recorded yet (re-planning keeps recorded days as they are): this
    week or the next one that is."""
    term = offering_of(school, OfferingKind.AFTER_SCHOOL)
    monday = rosters.monday_of(max(local_today(), term.starts_on))
    while monday + timedelta(days=4) <= term.ends_on:
        week = rosters.open_week(school, monday)
        if len(rosters.calendar_of(week)["school_days"]) == 5 and not rosters.days_with_records(week):
            return week
        monday += timedelta(days=7)
    raise AssertionError("the demo term has no full school week")


def planned_and_published(week: Week, sessions: list[PlannedSession], mobile: str) -> None:
    """Put one demo login in these sessions and publish the week, so My week and the children page show them."""
    profile = user(mobile).staff_profile
    for session in sessions:
        if not any(a.profile_id == profile.id for a in session.assignments):
            session.assignments.append(Assignment(profile_id=profile.id, pinned=True))
    db.session.flush()
    rosters.publish(week, user(COORDINATOR), seen_number=week.published.number if week.published else 0)
    db.session.commit()


# --- Children expected ---------------------------------------------------------------------------------------------


def test_children_expected_agree_on_the_plan_my_week_and_the_children_page(demo, page):
    with demo.test_request_context():
        school = primary()
        offering = offering_of(school, OfferingKind.AFTER_SCHOOL)
        assert approve_offering(offering, user(PRINCIPAL)) >= 1  # the principal approves the confirmed ones
        week = term_week(school)
        rosters.generate_sessions(week)
        football = next(a for a in offering.activities if a.name == "足球")
        approved = db.session.scalar(db.select(Application).filter_by(offering_id=offering.id,
                                                                      status=ApplicationStatus.APPROVED))
        child_class = approved.student.class_id
        chosen = [s for s in week.sessions if s.on_date == week.monday and (
            s.activity_id == football.id or (s.activity_id is None and [c.id for c in s.classes] == [child_class])
            or (s.activity_id is None and len(s.classes) == 1 and s.classes[0].id != child_class))]
        assert len({s.activity_id for s in chosen}) == 2 and len(chosen) >= 3
        planned_and_published(week, chosen, TEACHER)
        week_id, monday, chosen_ids = week.id, week.monday.isoformat(), [s.id for s in chosen]
        truth = {str(s.id): str(expected_children(db.session.get(PlannedSession, s.id)).count) for s in chosen}

    plan = figures(page(f"/rosters/weeks/{week_id}", COORDINATOR), "expected-children", "session")
    my_week = figures(page(f"/my-week?week={monday}", TEACHER), "expected-children", "session")
    printed = figures(page(f"/exports/roster?week={monday}", COORDINATOR), "expected-children", "session")
    for session_id in chosen_ids:
        key = str(session_id)
        children_page = page(f"/my-week/sessions/{session_id}/children", TEACHER)
        on_children_page = figures(children_page, "expected-children", "session")[key]
        listed = parse(children_page).children
        assert plan[key] == my_week[key] == printed[key] == on_children_page == truth[key] == str(listed), (
            key, plan[key], my_week[key], printed[key], on_children_page, listed)
    # A class of 12 never expects more than 12; the approved child's own homework help expects that child.
    assert all(int(value) <= 12 for key, value in truth.items())
    assert sorted(int(v) for v in truth.values())[-1] >= 1


def test_expected_children_count_approved_places_only(demo):
    from app.enrolment.models import Seat

    with demo.test_request_context():
        school = primary()
        week = term_week(school)
        rosters.generate_sessions(week)
        football = next(a for a in offering_of(school, OfferingKind.AFTER_SCHOOL).activities if a.name == "足球")
        session = next(s for s in week.sessions if s.activity_id == football.id)
        holders = db.session.scalar(
            db.select(db.func.count(Seat.id)).join(Application, Application.id == Seat.application_id)
            .where(Seat.activity_id == football.id, Application.status == ApplicationStatus.APPROVED))
        found = expected_children(session)
        assert not found.estimated
        assert found.count == len(found.children) == session.enrolled == holders
        assert all(a.status is ApplicationStatus.APPROVED for a in found.children)
        homework = [s for s in week.sessions if s.activity_id is None and len(s.classes) == 1]
        assert homework and all(s.enrolled <= len(s.classes[0].students) for s in homework)
        # The whole week at once agrees with need_to_know's own list of a session's children, once places approved.
        approve_offering(offering_of(school, OfferingKind.AFTER_SCHOOL), user(PRINCIPAL))
        every = expected_by_session(s.id for s in week.sessions)
        assert sum(e.count for e in every.values()) > 0
        assert all([a.id for a in every[s.id].children] == [a.id for a in children_of_session(s)]
                   for s in week.sessions)


def test_without_enrolment_the_typed_estimate_is_shown_as_one(demo):
    with demo.test_request_context():
        school = primary()
        for offering in db.session.scalars(db.select(Offering).filter_by(school_id=school.id)):
            offering.published_version = 0  # the school does not take applications for these dates
        week = term_week(school)
        rosters.generate_sessions(week)
        homework = next(s for s in week.sessions if s.activity_id is None and len(s.classes) == 1)
        found = expected_children(homework)
        assert found.estimated and found.children == () and found.count == homework.template.typed_enrolled


# --- Times and leaders of an activity: what the notice promised ---------------------------------------------------


def test_activity_times_and_leader_follow_the_notice(demo, page):
    with demo.test_request_context():
        school = primary()
        offering = offering_of(school, OfferingKind.AFTER_SCHOOL)
        football = next(a for a in offering.activities if a.name == "足球")
        week = term_week(school)
        rosters.generate_sessions(week)
        db.session.commit()
        sessions = [s for s in week.sessions if s.activity_id == football.id]
        assert sorted(s.on_date.weekday() for s in sessions) == sorted(football.weekdays)
        coach = user(COACH).staff_profile
        assert all(any(a.profile_id == coach.id and a.pinned for a in s.assignments) for s in sessions)
        promised = next(a for a in sessions[0].assignments if a.profile_id == coach.id)
        for change in (lambda: rosters.remove(week, promised), lambda: rosters.unpin(promised)):
            with pytest.raises(rosters.ChangeRefused, match="星火体育"):
                change()
        ids = dict(offering=offering.id, version=offering.published_version, activity=str(football.id),
                   week=week.id)

    notice = page(f"/programs/notice/offering/{ids['offering']}/v{ids['version']}")
    templates = page("/rosters/", COORDINATOR)
    plan = page(f"/rosters/weeks/{ids['week']}", COORDINATOR)
    roster = page(f"/rosters/weeks/{ids['week']}/roster", COORDINATOR)
    times = [figures(html, "activity-time", "activity").get(ids["activity"])
             for html in (notice, templates, plan, roster)]
    leaders = [figures(html, "led-by", "activity").get(ids["activity"]) for html in (notice, roster)]
    assert times == ["16:30–17:30"] * 4, times
    assert leaders == ["星火体育"] * 2, leaders
    assert "孙教练" in roster


# --- Holiday activities only in holiday weeks ---------------------------------------------------------------------


def test_holiday_care_activities_stay_out_of_term_weeks(demo):
    with demo.test_request_context():
        school = primary()
        care = offering_of(school, OfferingKind.HOLIDAY_CARE)
        care_ids = {a.id for a in care.activities}
        week = term_week(school)
        rosters.generate_sessions(week)
        assert week.sessions and not [s for s in week.sessions if s.activity_id in care_ids]
        holiday_week = rosters.open_week(school, care.starts_on + timedelta(days=(7 - care.starts_on.weekday()) % 7))
        rosters.generate_sessions(holiday_week)
        in_holiday = [s for s in holiday_week.sessions if s.activity_id in care_ids]
        assert in_holiday and all(care.starts_on <= s.on_date <= care.ends_on and s.kind == "holiday_care"
                                  for s in in_holiday)


# --- The last moment to apply -------------------------------------------------------------------------------------


@pytest.mark.parametrize("school_name, admin", [("实验小学", COORDINATOR), ("第一初级中学", JUNIOR_PRINCIPAL)])
def test_last_moment_to_apply_is_the_same_on_every_page(demo, page, school_name, admin):
    with demo.test_request_context():
        school = db.session.scalar(db.select(School).filter_by(name=school_name))
        offerings = list(db.session.scalars(db.select(Offering).filter_by(school_id=school.id)))
        truth = {str(o.id): window.apply_by_text(o) for o in offerings}
        versions = {str(o.id): o.published_version for o in offerings}
        first_come = {str(o.id) for o in offerings if o.allocation is AllocationMode.FIRST_COME}
        open_now = {str(o.id) for o in offerings if window.accepts_applications(o, datetime.now(school_zone()))}
        # 张子轩, who has no application yet (张子涵 has her after-school place: its apply page leads to it)
        child = user(GUARDIAN).guardian_links[1].student_id if school_name == "实验小学" else None
        school_id = school.id
    assert open_now, "the demo has an offering open for applications"
    listed = figures(page(f"/programs/notice/{school_id}"), "apply-by", "offering")
    family = figures(page("/enrolment/", GUARDIAN), "apply-by", "offering") if child else {}
    for key in truth:
        shown = [listed[key],
                 figures(page(f"/programs/notice/offering/{key}/v{versions[key]}"), "apply-by", "offering")[key],
                 figures(page(f"/programs/{key}", admin), "apply-by", "offering")[key]]
        if key in first_come:
            shown.append(figures(page(f"/enrolment/offerings/{key}", admin), "apply-by", "offering")[key])
        if child and key in open_now:
            shown += [figures(page(f"/enrolment/apply/{child}/{key}", GUARDIAN), "apply-by", "offering")[key],
                      family[key]]
        assert shown == [truth[key]] * len(shown), (key, truth[key], shown)
    assert first_come or school_name == "实验小学"


@pytest.mark.parametrize("mode, first_come_after_draw, closes_on_day", [
    (AllocationMode.DRAW, False, False),
    (AllocationMode.DRAW, True, True),
    (AllocationMode.FIRST_COME, False, True),
])
def test_applications_close_is_the_moment_applications_stop(demo, mode, first_come_after_draw, closes_on_day):
    with demo.test_request_context():
        offering = offering_of(primary(), OfferingKind.HOLIDAY_CARE)
        offering.allocation, offering.first_come_after_draw = mode, first_come_after_draw
        offering.window_opens_at = None
        offering.apply_deadline = date(2031, 1, 15)
        offering.window_closes_at = datetime(2031, 1, 10, 18, 0, tzinfo=school_zone())
        closes = window.applications_close(offering)
        assert window.accepts_applications(offering, closes - timedelta(seconds=1))
        assert not window.accepts_applications(offering, closes)
        expected = "2031-01-15 24:00" if closes_on_day else "2031-01-10 18:00"
        assert window.apply_by_text(offering) == expected


# --- A provider's vetting status -----------------------------------------------------------------------------------


def test_vetting_status_is_the_same_on_every_page(demo, page):
    with demo.test_request_context():
        providers = {p.name: p for p in db.session.scalars(db.select(Provider))}
        today = local_today()
        truth = {str(p.id): p.vetting_status(today).value for p in providers.values()}
        expired, coach = providers["小小科学家"], providers["星火体育"]
        county_id = expired.county_id
    assert truth[str(expired.id)] == "expired" and truth[str(coach.id)] in ("vetted", "expiring")
    shown = figures(page("/providers/", COUNTY), "vetting-status", "provider")
    assert shown == truth
    public = figures(page(f"/providers/whitelist/{county_id}"), "vetting-status", "provider")
    assert public[str(coach.id)] == truth[str(coach.id)]
    for provider in (expired, coach):
        key = str(provider.id)
        detail = page(f"/providers/{provider.id}", COUNTY)
        assert figures(detail, "vetting-status", "provider")[key] == truth[key]
    expired_page = page(f"/providers/{expired.id}", COUNTY, locale="zh")
    assert ">已过期<" in expired_page and ">有效<" not in expired_page
    # Its staff may not work, so they cannot log in: the refusal names the same lapse as the pages above.
    page.client.post("/account/logout")
    refused = page.client.post("/account/login", data={"mobile": EXPIRED_PROVIDER_STAFF, "password": DEMO_PASSWORD})
    assert refused.status_code == 200
    assert expired.vetted_until.isoformat() in refused.get_data(as_text=True)


@pytest.mark.parametrize("status, vetted_until, expected", [
    (ProviderStatus.ACTIVE, date(2027, 6, 30), VettingStatus.VETTED),
    (ProviderStatus.ACTIVE, date(2027, 1, 20), VettingStatus.EXPIRING),
    (ProviderStatus.ACTIVE, date(2027, 1, 1), VettingStatus.EXPIRING),  # the last vetted day is still vetted
    (ProviderStatus.ACTIVE, date(2026, 12, 31), VettingStatus.EXPIRED),
    (ProviderStatus.ACTIVE, None, VettingStatus.EXPIRED),
    (ProviderStatus.APPLIED, None, VettingStatus.APPLIED),
    (ProviderStatus.SUSPENDED, date(2027, 6, 30), VettingStatus.SUSPENDED),
    (ProviderStatus.EXITED, date(2027, 6, 30), VettingStatus.EXITED),
])
def test_vetting_status_on_a_day(status, vetted_until, expected):
    provider = Provider(name="x", status=status, vetted_until=vetted_until)
    day = date(2027, 1, 1)
    assert provider.vetting_status(day) is expected
    # Sessions may be given exactly when the status says vetted (rosters and the activity form use is_vetted_on).
    assert provider.is_vetted_on(day) is (expected in (VettingStatus.VETTED, VettingStatus.EXPIRING))


# --- The county's school table -------------------------------------------------------------------------------------


def test_county_counts_applications_as_applications_and_staff_as_staff(demo, page):
    with demo.test_request_context():
        school = primary()
        applications = db.session.scalar(
            db.select(db.func.count(Application.id)).join(Offering, Offering.id == Application.offering_id)
            .where(Application.school_id == school.id, Application.status != ApplicationStatus.WITHDRAWN,
                   Offering.ends_on >= local_today()))
        staff = db.session.scalar(db.select(db.func.count(StaffProfile.id)).filter_by(
            school_id=school.id, opted_in=True, exempt=False))
        (figures_row,) = schools.school_figures([school])
        school_id = school.id
    assert figures_row.applications == applications and figures_row.opted_in == staff != applications
    table = page("/schools/county", COUNTY, locale="zh")
    detail = page(f"/schools/county/{school_id}", COUNTY, locale="zh")
    for html in (table, detail):
        assert figures(html, "applications", "school")[str(school_id)] == str(applications)
        assert figures(html, "staff-taking-part", "school")[str(school_id)] == str(staff)
        assert "已报名" not in html  # read by parents as "applied"


# --- Categories in the chosen language -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale, shown, hidden", [("zh", "体育", "sports"), ("en", "sports", "体育")])
def test_provider_categories_in_the_chosen_language_only(demo, page, locale, shown, hidden):
    with demo.test_request_context():
        coach = db.session.scalar(db.select(Provider).filter_by(name="星火体育"))
    for url in ("/providers/new", f"/providers/{coach.id}", "/providers/"):
        html = page(url, COUNTY, locale=locale)
        assert shown in html and f"{shown} {hidden}" not in html and "体育 sports" not in html, url


def test_activity_name_is_one_language(demo):
    from flask_babel import force_locale

    from app.providers.forms import activity_name

    with demo.test_request_context():
        with force_locale("zh"):
            assert activity_name("sports") == "体育"
        with force_locale("en"):
            assert activity_name("sports") == "sports"


def test_activity_group_promises_time_and_leader(demo):
    with demo.test_request_context():
        school = primary()
        football = db.session.scalar(db.select(Activity).filter_by(school_id=school.id, name="足球"))
        template = next(t for t in db.session.scalars(db.select(rosters.SessionTemplate).filter_by(
            activity_id=football.id)))
        template.starts_at, template.ends_at = time(16, 40), time(17, 40)  # the template disagrees
        shape = rosters.session_shape(template)
        assert (shape.starts_at, shape.ends_at, shape.weekdays) == (football.starts_at, football.ends_at,
                                                                    tuple(football.weekdays))
        assert [p.user.mobile for p in rosters.promised_staff(football)] == [COACH]
        assert football.led_by == "星火体育"
