"""`flask demo` loads the demo county once, every listed login works through the login form, --reset reloads it;
built on any day of the year, the demo has a current term, a draw already run, a window open now and weeks to roster
(the promises of the README's "Demo logins" and "Places in the demo")."""

from datetime import date, timedelta

import pytest

from app import demo
from app.accounts.models import Role, User
from app.demo_calendar import DemoCalendar
from app.enrolment import allocation
from app.enrolment.models import Application, ApplicationStatus, ChoiceStatus, Lottery
from app.models_base import as_utc, local_today
from app.programs import window
from app.programs.models import AllocationMode, Offering, OfferingKind
from app.providers.models import Provider, ProviderStatus
from app.rosters import services as rosters
from app.rosters.expected import expected_by_session
from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student


def run_demo(runner, *args: str):
    result = runner.invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def counts(db) -> dict[str, int]:
    return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (County, School, Grade, SchoolClass, Student, User)}


@pytest.mark.both_databases
def test_demo_builds_the_county_and_its_two_schools(db, runner):
    result = run_demo(runner)
    assert demo.DEMO_PASSWORD in result.output
    county = db.session.scalar(db.select(County).filter_by(code=demo.DEMO_COUNTY_CODE))
    assert county is not None
    schools = {school.school_type: school for school in county.schools}
    assert set(schools) == {SchoolType.PRIMARY, SchoolType.JUNIOR}
    primary, junior = schools[SchoolType.PRIMARY], schools[SchoolType.JUNIOR]
    assert [grade.number for grade in primary.grades] == [1, 2, 3, 4, 5, 6]
    assert [grade.number for grade in junior.grades] == [7, 8, 9]
    assert 10 <= sum(len(grade.classes) for grade in primary.grades) <= 14
    assert 8 <= sum(len(grade.classes) for grade in junior.grades) <= 10
    for school in (primary, junior):
        for grade in school.grades:
            for school_class in grade.classes:
                assert school_class.students, f"{school.name} {grade.number}-{school_class.number} has no students"
                assert school_class.class_teacher is not None
    # Every family situation claimed in the demo (hardship, left-behind, working late) carries its recorded consent.
    from app.enrolment.models import Application
    from app.privacy.models import SensitiveConsent
    claims = [a for a in db.session.scalars(db.select(Application)) if a.priority_groups or a.hardship.value != "none"]
    consented = set(db.session.scalars(db.select(SensitiveConsent.application_id).filter_by(field="family_situation")))
    assert claims and all(a.id in consented for a in claims)


@pytest.mark.both_databases
def test_every_listed_login_reaches_its_dashboard(app, db, runner):
    """One demo load for all the logins (a load takes seconds); each logs in on its own client, like a browser."""
    run_demo(runner)
    for demo_login in demo.DEMO_LOGINS:
        client = app.test_client()
        response = client.post("/account/login", data={"mobile": demo_login.mobile, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, f"{demo_login}: {response.get_data(as_text=True)[:300]}"
        assert response.headers["Location"] == "/dashboard"
        page = client.get("/dashboard")
        assert page.status_code == 200, demo_login
        assert demo_login.name in page.get_data(as_text=True), demo_login
        user = db.session.scalar(db.select(User).filter_by(mobile=demo_login.mobile))
        expected_role = "teacher" if demo_login.role == "class_teacher" else demo_login.role
        assert user.role is Role(expected_role), demo_login
        assert user.is_class_teacher == (demo_login.role == "class_teacher"), demo_login


@pytest.mark.both_databases
def test_loading_twice_adds_nothing(db, runner):
    run_demo(runner)
    before = counts(db)
    result = run_demo(runner)
    assert "already loaded" in result.output and "does not hold" not in result.output
    assert counts(db) == before
    months_later = DemoCalendar.for_day(local_today()).term.holiday_ends + timedelta(days=30)
    result = run_demo(runner, "--today", months_later.isoformat())
    assert "already loaded" in result.output and "flask demo --reset" in result.output
    assert counts(db) == before


@pytest.mark.both_databases
def test_reset_reloads_the_demo(db, runner):
    run_demo(runner)
    before = counts(db)
    school = db.session.scalar(db.select(School).filter_by(code="SY"))
    school.name = "改过的名字"
    # A student whose family has no account (a guardian's account stays with an account's own rows).
    db.session.delete(next(s for g in school.grades for c in g.classes for s in c.students if not s.guardian_links))
    db.session.commit()
    run_demo(runner, "--reset")
    db.session.expire_all()
    assert counts(db) == before
    assert db.session.scalar(db.select(School.name).filter_by(code="SY")) == "实验小学"



@pytest.mark.both_databases
def test_reset_touches_only_the_demos_own_rows(db, runner):
    """Accounts outside the demo keep their rows, whatever their mobile number (the demo's guardians are 137003…)."""
    from app.accounts.models import GuardianLink
    from app.notifications.models import Notification
    from tests import factories

    run_demo(runner)
    elsewhere = factories.create_school(factories.create_county("别的县"))
    child = factories.create_student(factories.create_class(elsewhere))
    neighbour = factories.create_guardian(child, mobile="13700300001")  # the demo's first guardian's number
    bare = factories.create_user(Role.GUARDIAN, mobile="13700399999")
    teacher = factories.create_teacher(elsewhere, mobile="13700388888")
    demo_child = db.session.scalar(db.select(Student).join(School).filter(School.code == "SY"))
    both = factories.create_guardian(child, mobile="13700377777")
    both.guardian_links.append(GuardianLink(student=demo_child, relationship_kind=neighbour.guardian_links[0]
                                            .relationship_kind))
    db.session.add(Notification(user_id=neighbour.id, subject="录取通知", link="/enrolment/applications/1"))
    db.session.commit()
    before = counts(db)
    ids = {user.id for user in (neighbour, bare, teacher, both)}

    run_demo(runner, "--reset")
    db.session.expire_all()
    assert {user.id for user in db.session.scalars(db.select(User).where(User.id.in_(ids)))} == ids
    assert [link.student_id for link in db.session.get(User, both.id).guardian_links] == [child.id]
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .filter_by(user_id=neighbour.id)) == 1
    assert counts(db) == before


@pytest.mark.both_databases
def test_a_demo_mobile_held_outside_the_demo_stops_the_load_and_changes_nothing(db, runner):
    from tests import factories

    outsider = factories.create_user(Role.GUARDIAN, mobile="13800000100", name="别人")
    db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "nothing was changed" in result.output and "13800000100" in result.output
    db.session.expire_all()
    assert db.session.get(User, outsider.id).name == "别人"
    assert counts(db)["County"] == 0

def test_demo_refuses_to_reset_under_production(app, db, runner):
    run_demo(runner)
    before = counts(db)
    app.config["DEMO_ALLOWED"] = False  # what ProductionConfig says
    result = runner.invoke(args=["demo", "--reset"])
    assert result.exit_code != 0
    assert "production" in result.output and "demo-2026" in result.output
    db.session.expire_all()
    assert counts(db) == before


def test_demo_refuses_to_load_under_the_production_configuration(monkeypatch, tmp_path):
    """APP_CONFIG=production (ProductionConfig): `flask demo` says why and creates nothing."""
    from app import create_app
    from app.extensions import db as database

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.sqlite'}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://localhost:6379/1")  # what production requires to start
    monkeypatch.setenv("SMS_BACKEND", "app.messaging.sms:RefusingBackend")
    production = create_app("production")
    with production.app_context():
        database.create_all()
        result = production.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code != 0
        assert "not loaded or reset under the production configuration" in result.output
        assert database.session.scalar(database.select(database.func.count()).select_from(County)) == 0
        database.session.remove()
        database.engine.dispose()


# Days across a whole year: every month, the terms' first and last days, the Spring Festival (2027-02-06) and the
# winter holiday, a term's last week, the summer holiday, public holidays, a leap day.
DAYS = ["2027-01-11", "2027-01-20", "2027-02-06", "2027-02-22", "2027-03-15", "2027-04-05", "2027-05-03",
        "2027-06-14", "2027-07-02", "2027-07-20", "2027-08-31", "2027-09-01", "2027-10-06", "2027-11-30",
        "2027-12-24", "2028-02-29"]


def check_demo_on(app, db, runner, today: date) -> None:
    """Load the demo for a day and check what a newcomer needs from it on that day."""
    result = run_demo(runner, "--today", today.isoformat())
    calendar = DemoCalendar.for_day(today)
    now = calendar.now
    assert str(today) in result.output
    schools = {s.school_type: s for s in db.session.scalars(db.select(School))}
    primary, junior = schools[SchoolType.PRIMARY], schools[SchoolType.JUNIOR]
    for school in (primary, junior):
        # A term holding this week and the next, no day of them in a holiday.
        # The current term (the county's past term, with its survey, is there too).
        (term,) = [t for t in school.terms if t.name == calendar.term.name]
        next_friday = calendar.next_monday + timedelta(days=4)
        assert term.starts_on <= calendar.this_monday and next_friday <= term.ends_on, term.name
        assert term.name.endswith(("第一学期", "第二学期"))
        for holiday in school.holidays:
            assert holiday.ends_on < calendar.this_monday or holiday.starts_on > next_friday

        # The after-school offering: its window closed before today with the draw, whose outcomes explain each
        # child's place; places left since then are given first come.
        offering = db.session.scalar(db.select(Offering).filter_by(term_id=term.id, kind=OfferingKind.AFTER_SCHOOL))
        assert offering.starts_on <= calendar.this_monday and today <= offering.ends_on
        assert window.window_closes(offering) < now and as_utc(offering.drawn_at) < now
        lottery = db.session.scalar(db.select(Lottery).filter_by(offering_id=offering.id))
        assert lottery.seed == "demo-2026" and as_utc(lottery.run_at) == as_utc(offering.drawn_at)
        assert allocation.rerun_lottery(lottery)  # the draw page can show it re-run from its seed
        applications = db.session.scalars(db.select(Application).filter_by(offering_id=offering.id)).all()
        assert applications
        for application in applications:
            assert as_utc(application.signed_at) < as_utc(offering.drawn_at)
            assert all(c.status is not ChoiceStatus.PENDING and c.outcome for c in application.choices), application
        assert window.accepts_applications(offering, now) and offering.apply_deadline >= today

        # The holiday care of the holiday after the term: open now, places left, the holiday still to come.
        care = db.session.scalar(db.select(Offering).filter_by(school_id=school.id, kind=OfferingKind.HOLIDAY_CARE))
        assert care.title == f"{school.name}{calendar.term.holiday_name}托管"
        assert care.starts_on > term.ends_on and care.holiday.starts_on == care.starts_on
        assert window.accepts_applications(care, now), care.title
        closes = window.window_closes(care)
        assert now + timedelta(hours=6) < closes <= now + timedelta(days=43)
        assert closes.astimezone(calendar.zone).date() < care.starts_on
        assert care.apply_deadline == closes.astimezone(calendar.zone).date()
        assert any(left > 0 for left in window.places_left(care).values())
        if school is primary:
            assert care.allocation is AllocationMode.DRAW and window.before_draw(care, now)
        else:
            assert care.allocation is AllocationMode.FIRST_COME

    # After a withdrawal, the first child on 足球's waiting list has an offer still open.
    offers = db.session.scalars(db.select(Application).join(Application.choices).filter(
        Application.school_id == primary.id, Application.choices.any(status=ChoiceStatus.OFFERED))).unique().all()
    assert offers, "no open waiting-list offer"
    for application in offers:
        offered = next(c for c in application.choices if c.status is ChoiceStatus.OFFERED)
        assert offered.activity.name == "足球" and now < as_utc(offered.offer_expires_at)
    withdrawn = db.session.scalars(db.select(Application).filter_by(status=ApplicationStatus.WITHDRAWN)).all()
    assert withdrawn and all(as_utc(a.withdrawn_at) < now for a in withdrawn)

    # Vetting as the README promises: one vetted, one expired, one suspended.
    providers = {p.name: p for p in db.session.scalars(db.select(Provider))}
    assert providers["星火体育"].is_vetted_on(today) and not providers["星火体育"].expires_soon(today)
    assert providers["墨香书画社"].is_vetted_on(today)
    assert providers["小小科学家"].status is ProviderStatus.ACTIVE and providers["小小科学家"].vetted_until < today
    suspended = providers["乐乐游戏营"]
    assert suspended.status is ProviderStatus.SUSPENDED and not suspended.is_vetted_on(today)

    for school in (primary, junior):
        check_places(db, school, today)
    check_children_of_this_week(app, db, primary, calendar)
    check_school_day(app, db, primary, calendar)

    # The coordinator's weeks: this week and the next are five school days, and next week plans cleanly.
    with app.test_request_context():
        for monday in (calendar.this_monday, calendar.next_monday):
            week = rosters.open_week(primary, monday)
            assert len(rosters.calendar_of(week)["school_days"]) == 5, monday
        made, skipped = rosters.generate_sessions(week)
        assert made > 60 and skipped == 0
        assert rosters.plan_problems(week) == []
    db.session.rollback()

    # Every README login still logs in.
    for demo_login in demo.DEMO_LOGINS:
        response = app.test_client().post("/account/login",
                                          data={"mobile": demo_login.mobile, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard", demo_login


def current_after_school(db, school: School, today: date) -> Offering:
    """The school's after-school offering of the term holding today (the past term's has one too)."""
    return db.session.scalar(db.select(Offering).filter_by(school_id=school.id, kind=OfferingKind.AFTER_SCHOOL)
                             .where(Offering.starts_on <= today, Offering.ends_on >= today))


def check_places(db, school: School, today: date) -> None:
    """Most families applied, were approved and placed (capacities respected, waiting lists behind them)."""
    offering = current_after_school(db, school, today)
    applications = db.session.scalars(db.select(Application).filter_by(offering_id=offering.id)).all()
    students = db.session.scalar(db.select(db.func.count(Student.id)).filter_by(school_id=school.id))
    approved = [a for a in applications if a.status is ApplicationStatus.APPROVED]
    assert 0.5 * students <= len(applications) <= 0.9 * students, (len(applications), students)
    assert len(approved) >= 0.8 * len(applications)
    assert {a.status for a in applications} == set(ApplicationStatus)  # every state a school sees
    for activity in offering.activities:
        placed = [a for a in approved if a.placed_choice and a.placed_choice.activity_id == activity.id]
        assert placed and activity.taken <= activity.capacity, activity.name
        assert len(placed) <= activity.capacity
    assert any(c.status is ChoiceStatus.WAITING for a in applications for c in a.choices)
    guardian = db.session.scalar(db.select(User).filter_by(mobile="13800000100"))
    # 张子涵 has had a place since the term began; her brother has none (张家长 applies in the README's story).
    assert [(a.student.name, a.status) for a in applications if a.guardian_id == guardian.id] == (
        [("张子涵", ApplicationStatus.APPROVED)] if school.school_type is SchoolType.PRIMARY else [])


def check_children_of_this_week(app, db, primary: School, calendar: DemoCalendar) -> None:
    """This week's sessions expect the approved children, and the teacher's page of a session's children lists as
    many."""
    with app.test_request_context():
        week = rosters.open_week(primary, calendar.this_monday)
        expected = expected_by_session(s.id for s in week.sessions)
        homework = [s for s in week.sessions if s.activity_id is None and len(s.classes) == 1]
        clubs = [s for s in week.sessions if s.activity_id is not None]
        assert homework and clubs
        assert all(expected[s.id].count > 0 and not expected[s.id].estimated for s in homework + clubs)
        assert all(s.enrolled == expected[s.id].count for s in week.sessions)
        teacher = db.session.scalar(db.select(User).filter_by(mobile="13800000030"))
        mine = [s for s in homework if any(a.profile_id == teacher.staff_profile.id for a in s.assignments)]
        session = max(mine, key=lambda s: (expected[s.id].count, -s.id))
        session_id, count = session.id, expected[session.id].count
    client = app.test_client()
    client.post("/account/login", data={"mobile": "13800000030", "password": demo.DEMO_PASSWORD})
    page = client.get(f"/my-week/sessions/{session_id}/children")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<tr data-child") == count > 0


def check_school_day(app, db, primary: School, calendar: DemoCalendar) -> None:
    """The README's school day: this week's roster published with every session staffed within the engine's rules;
    on the story day (today, or this Friday at a weekend) 赵老师 runs 张子涵's class session, 孙教练 runs 足球 on its
    days (Monday, Wednesday), a classmate has a 请假, 张子涵 has two collecting adults, a child walks home alone with
    consent, and the days already past this week have registers and hand-overs."""
    from app.daily.models import AdvanceAbsence, AttendanceMark, PickupAdult, SignOut
    from app.demo_calendar import local_moment
    from app.enrolment.models import Pickup
    from scheduling.policy import ASSIGNMENT_RULES, REGISTER_ALERT_MINUTES
    from scheduling.validate import validate as validate_roster

    story_day = demo.demo_school_day(calendar)
    with app.test_request_context():
        week = rosters.open_week(primary, calendar.this_monday)
        assert week.published is not None and week.published.number == 1
        assert week.sessions and all(len(s.assignments) >= s.staff_needed for s in week.sessions)
        roster = week.published.roster
        assert {a["session"] for a in roster["assignments"]} == {s.key for s in week.sessions}
        broken = [v for v in validate_roster(rosters.build_problem(week), roster) if v["rule"] in ASSIGNMENT_RULES]
        assert broken == []
        expected = expected_by_session(s.id for s in week.sessions)
        person = {mobile: db.session.scalar(db.select(User).filter_by(mobile=mobile)).staff_profile.id
                  for mobile in ("13800000030", "13800000200")}
        today = [s for s in week.sessions if s.on_date == story_day]
        child = db.session.scalar(db.select(Student).filter_by(name="张子涵"))
        runs = [s for s in today if any(a.profile_id == person["13800000030"] for a in s.assignments)]
        assert any(child.id in {a.student_id for a in expected[s.id].children} for s in runs), runs
        football = [s for s in today if s.series == "足球社团"]
        assert bool(football) == (story_day.weekday() in (0, 2))
        assert all(any(a.profile_id == person["13800000200"] for a in s.assignments) for s in football)
        adults = db.session.scalars(db.select(PickupAdult).filter_by(student_id=child.id)).all()
        assert {a.name for a in adults} == {"张家长", "奶奶"} and all(a.mobile for a in adults)
        (absence,) = db.session.scalars(db.select(AdvanceAbsence)).all()
        assert absence.starts_on == story_day and absence.student.class_id == child.class_id
        assert any(absence.student_id in {a.student_id for a in expected[s.id].children} for s in today)
        assert any(a.pickup is Pickup.WALKS_ALONE and a.walk_alone_consent
                   for e in expected.values() for a in e.children)
        today_ = calendar.today
        story = [s for s in runs if any(a.profile_id == person["13800000030"] and a.pinned for a in s.assignments)]
        signed_out = db.session.scalars(db.select(SignOut).filter_by(student_id=child.id)).all()
        past = [s.id for s in week.sessions if s.on_date < today_]
        assert bool(signed_out) == bool(past)
        assert all(s.adult_name == "奶奶" and s.method.value == "code" for s in signed_out)
        # Recorded up to the moment of loading (registers once past their alert time), today's story left open.
        marked = set(db.session.scalars(db.select(AttendanceMark.session_id).where(  # this week's (last term's too)
            AttendanceMark.session_id.in_([s.id for s in week.sessions]))))
        due = {s.id for s in week.sessions if as_utc(local_moment(s.on_date, s.starts_at)) + timedelta(
            minutes=REGISTER_ALERT_MINUTES) <= calendar.now and s not in (story if story_day == today_ else [])}
        assert marked == {s for s in due if expected[s].children}
        assert story_day != today_ or not [s for s in signed_out if s.session.on_date == today_]


@pytest.mark.parametrize("day", DAYS)
def test_the_demo_is_alive_on_any_day(app, db, runner, day):
    check_demo_on(app, db, runner, date.fromisoformat(day))


@pytest.mark.both_databases
def test_the_demo_is_alive_today(app, db, runner):
    """Loaded as ./scripts/run.sh does (no --today), on both databases."""
    check_demo_on(app, db, runner, local_today())


@pytest.mark.parametrize("hour", [16, 19])
def test_the_demo_loaded_in_the_afternoon_has_today_recorded_up_to_then(app, db, hour):
    """Loaded at 16:00 or 19:00 on a school day: registers past their alert time are taken and children whose last
    session is over are handed over (no wall of alerts for a demo loaded late), except the story: 赵老师's register
    of 一年级1班 and 张子涵's hand-over are left to try."""
    from datetime import time

    from app.daily.models import AttendanceMark, SignOut
    from app.demo_calendar import local_moment

    day = date(2027, 3, 17)  # a Wednesday of the spring term
    calendar = DemoCalendar.for_day(day, now=local_moment(day, time(hour, 0)))
    with app.test_request_context():
        demo.build_demo(calendar)
        db.session.commit()
    primary = db.session.scalar(db.select(School).filter_by(school_type=SchoolType.PRIMARY))
    check_school_day(app, db, primary, calendar)
    today_marks = db.session.scalar(db.select(db.func.count(AttendanceMark.id)).join(AttendanceMark.session)
                                    .filter_by(on_date=day))
    today_out = db.session.scalar(db.select(db.func.count(SignOut.id)).join(SignOut.session).filter_by(on_date=day))
    assert today_marks > 0 and (today_out > 0) == (hour == 19)
