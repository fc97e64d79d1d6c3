"""The register (点名), advance absences (请假), missing-child alerts and the afternoon board (issue #13)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.daily import alerts, register
from app.daily.models import (
    AdvanceAbsence,
    Alert,
    AlertKind,
    AttendanceChange,
    AttendanceMark,
    Mark,
    SignOut,
    SignOutMethod,
)
from app.enrolment.models import ApplicationStatus
from app.extensions import db
from app.models_base import local_today, school_zone
from app.notifications.models import Notification
from app.rosters import services as rosters
from app.rosters.models import Assignment, PlannedSession
from tests import factories

JSON = {"Accept": "application/json"}
pytestmark = pytest.mark.both_databases  # marks and alerts race on PostgreSQL (row locks, unique constraints)


@dataclass
class Day:
    school: object
    session: object
    first_class: object
    second_class: object
    children: list  # expected, in register order: 1-1 甲, 1-1 乙, 2-1 丙
    outsider: object  # same school, approved, but in a class the session is not for
    guardian: object  # of children[0]
    class_teacher: object  # of 1-1
    teacher: object  # on the session
    bystander: object  # a teacher of the school, not on the session
    coordinator: object
    stranger: object  # a teacher of another school


def _session(school, on_day, classes, starts=time(15, 40), ends=time(17, 40)) -> PlannedSession:
    week = rosters.open_week(school, on_day)
    session = PlannedSession(on_date=on_day, starts_at=starts, ends_at=ends, kind="after_school",
                             activity="supervision", series="看护", room="101", enrolled=0, staff_needed=2,
                             classes=list(classes))
    week.sessions.append(session)
    db.session.flush()
    return session


def at(hour: int, minute: int = 0) -> datetime:
    """Today at a school-time clock time."""
    return datetime.combine(local_today(), time(hour, minute), tzinfo=school_zone())


@pytest.fixture
def day(app) -> Day:
    school = factories.create_school()
    first = factories.create_class(school, 1, 1)
    second = factories.create_class(school, 2, 1)
    third = factories.create_class(school, 3, 1)
    class_teacher = factories.create_teacher(school)
    first.class_teacher = class_teacher
    today = local_today()
    term = factories.create_program_term(school, starts_on=today - timedelta(days=30),
                                         ends_on=today + timedelta(days=90))
    offering = factories.create_offering(school, term=term)
    children = [factories.create_student(second, name="丙"), factories.create_student(first, name="乙"),
                factories.create_student(first, name="甲")]
    outsider = factories.create_student(third, name="丁")
    guardians = {}
    for child in [*children, outsider]:
        guardians[child.id] = factories.create_guardian(child)
        application = factories.create_application(child, offering, guardian=guardians[child.id],
                                                   status=ApplicationStatus.APPROVED)
        application.weekdays = list(range(7))
    session = _session(school, today, [first, second])
    teacher = factories.create_teacher(school)
    session.assignments.append(Assignment(profile_id=teacher.staff_profile.id))
    ordered = sorted(children, key=lambda c: (c.school_class.grade.number, c.name))
    found = Day(school, session, first, second, ordered, outsider, guardians[ordered[0].id], class_teacher, teacher,
                factories.create_teacher(school), factories.create_coordinator(school),
                factories.create_teacher(factories.create_school()))
    db.session.commit()
    return found


def tap(client, day, student, status, json=True):
    return client.post(f"/day/sessions/{day.session.id}/register/{student.id}", data={"status": status},
                       headers=JSON if json else {})


def inbox(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).filter_by(user_id=user.id).order_by(Notification.id)))


# --- The register ------------------------------------------------------------------------------------------------


def test_the_register_lists_the_expected_children_by_class_then_name(client, login, day):
    login(day.teacher)
    page = client.get(f"/day/sessions/{day.session.id}/register").get_data(as_text=True)
    positions = [page.index(f'id="child-{c.id}"') for c in day.children]
    assert positions == sorted(positions)  # 1-1 甲, 1-1 乙, 2-1 丙
    assert f'id="child-{day.outsider.id}"' not in page  # approved, but their class is not in this session
    assert f'data-figure="expected-children" data-session="{day.session.id}" data-value="3"' in page


def test_a_tap_marks_the_child_and_the_same_tap_again_changes_nothing(client, login, day):
    login(day.teacher)
    child = day.children[0]
    first = tap(client, day, child, "present")
    assert first.status_code == 200
    assert first.json["changed"] is True and first.json["status"] == "present"
    assert first.json["marked_by"] == day.teacher.name and first.json["student_id"] == child.id
    assert first.json["marked_at"].endswith("+08:00")  # school time
    again = tap(client, day, child, "present")
    assert again.json["changed"] is False
    assert db.session.scalar(select(func.count(AttendanceChange.id))) == 1
    assert db.session.scalar(select(func.count(AttendanceMark.id))) == 1


def test_a_tap_without_script_comes_back_to_the_childs_row(client, login, day):
    login(day.teacher)
    child = day.children[1]
    response = tap(client, day, child, "late", json=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/day/sessions/{day.session.id}/register#child-{child.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    row = page[page.index(f'id="child-{child.id}"'):]
    assert 'value="late" class="tap tap-late" aria-pressed="true"' in row[:3000]


def test_two_staff_marking_the_same_child_keep_both_changes_and_show_the_last(client, login, day):
    child = day.children[0]
    login(day.teacher)
    tap(client, day, child, "present")
    client.post("/account/logout")
    login(day.coordinator)
    answer = tap(client, day, child, "late").json
    assert answer["changed"] and answer["marked_by"] == day.coordinator.name
    changes = db.session.scalars(select(AttendanceChange).order_by(AttendanceChange.id)).all()
    assert [(c.status, c.previous, c.changed_by_id) for c in changes] == [
        (Mark.PRESENT, "", day.teacher.id), (Mark.LATE, "present", day.coordinator.id)]
    page = client.get(f"/day/sessions/{day.session.id}/register").get_data(as_text=True)
    row = page[page.index(f'id="child-{child.id}"'):][:4000]
    assert day.coordinator.name in row and day.teacher.name in row  # the mark now, and the history


def test_a_register_not_yours_is_403_and_another_schools_is_404(client, login, day):
    login(day.bystander)
    assert client.get(f"/day/sessions/{day.session.id}/register").status_code == 403
    assert tap(client, day, day.children[0], "present").status_code == 403
    client.post("/account/logout")
    login(day.stranger)
    assert client.get(f"/day/sessions/{day.session.id}/register").status_code == 404
    assert tap(client, day, day.children[0], "present").status_code == 404
    assert db.session.scalar(select(func.count(AttendanceMark.id))) == 0


def test_a_child_not_expected_in_the_session_is_refused_with_a_reason(client, login, day):
    login(day.teacher)
    response = tap(client, day, day.outsider, "present")
    assert response.status_code == 409
    assert day.outsider.name in response.json["error"]
    page = client.get(tap(client, day, day.outsider, "present", json=False).headers["Location"])
    assert day.outsider.name in page.get_data(as_text=True)  # the flash says why
    assert db.session.scalar(select(func.count(AttendanceMark.id))) == 0


def test_an_unknown_status_is_refused(client, login, day):
    login(day.teacher)
    assert tap(client, day, day.children[0], "asleep").status_code == 400


def test_a_register_of_a_day_to_come_takes_no_marks_and_a_past_one_can_be_corrected(client, login, day):
    tomorrow = _session(day.school, local_today() + timedelta(days=1), [day.first_class])
    yesterday = _session(day.school, local_today() - timedelta(days=1), [day.first_class])
    db.session.commit()
    login(day.coordinator)
    child = day.children[0]
    response = client.post(f"/day/sessions/{tomorrow.id}/register/{child.id}", data={"status": "present"},
                           headers=JSON)
    assert response.status_code == 409 and tomorrow.on_date.isoformat() in response.json["error"]
    response = client.post(f"/day/sessions/{yesterday.id}/register/{child.id}", data={"status": "absent"},
                           headers=JSON)
    assert response.status_code == 200 and response.json["changed"]
    assert db.session.scalar(select(func.count(Alert.id))) == 0  # a correction of a past day tells no one now


# --- Advance absences --------------------------------------------------------------------------------------------


def test_a_guardian_reports_an_absence_the_class_teacher_is_told_and_the_register_shows_it(client, login, day):
    child = day.children[0]
    login(day.guardian)
    response = client.post(f"/day/children/{child.id}/absences",
                           data={"starts_on": local_today().isoformat(), "reason": "发烧，在家休息"})
    assert response.status_code == 303
    assert [a.reason for a in db.session.scalars(select(AdvanceAbsence))] == ["发烧，在家休息"]
    assert any(child.name in n.subject for n in inbox(day.class_teacher))
    client.post("/account/logout")
    login(day.teacher)
    page = client.get(f"/day/sessions/{day.session.id}/register").get_data(as_text=True)
    row = page[page.index(f'id="child-{child.id}"'):][:3000]
    assert "发烧，在家休息" in row and "excused" in page[page.index(f'id="child-{child.id}"') - 200:][:300]
    # not marked for the staff, and no alert: the family answered for the child
    raised = alerts.check_due(at(17, 0))
    assert sorted(a.student_id for a in raised) == sorted(c.id for c in day.children[1:])
    client.post("/account/logout")
    login(day.class_teacher)
    assert "发烧，在家休息" in client.get("/day/absences").get_data(as_text=True)


@pytest.mark.parametrize(("starts", "ends", "error"), [
    (-1, None, "The day has passed"),
    (3, 1, "must not be before"),
    (0, 60, "At most 60 days"),
])
def test_absence_dates_are_checked(client, login, day, starts, ends, error):
    login(day.guardian)
    data = {"starts_on": (local_today() + timedelta(days=starts)).isoformat(), "reason": "旅行"}
    if ends is not None:
        data["ends_on"] = (local_today() + timedelta(days=ends)).isoformat()
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = client.post(f"/day/children/{day.children[0].id}/absences", data=data)
    assert response.status_code == 200 and error in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AdvanceAbsence.id))) == 0


def test_a_guardian_cancels_an_absence_and_cannot_report_for_another_child(client, login, day):
    child = day.children[0]
    login(day.guardian)
    client.post(f"/day/children/{child.id}/absences", data={"starts_on": local_today().isoformat(),
                                                            "ends_on": (local_today() + timedelta(days=2)).isoformat(),
                                                            "reason": "回老家"})
    again = client.post(f"/day/children/{child.id}/absences", data={"starts_on": local_today().isoformat(),
                                                                    "reason": "回老家"})
    assert again.status_code == 200  # already reported for that day
    [absence] = db.session.scalars(select(AdvanceAbsence)).all()
    assert client.post(f"/day/children/{child.id}/absences/{absence.id}/cancel").status_code == 303
    db.session.refresh(absence)
    assert absence.cancelled_at is not None
    assert register.absences_on([child.id], local_today()) == {}
    other = day.children[2]
    assert client.get(f"/day/children/{other.id}/absences").status_code == 404
    assert client.post(f"/day/children/{other.id}/absences",
                       data={"starts_on": local_today().isoformat(), "reason": "x"}).status_code == 404


# --- Alerts ------------------------------------------------------------------------------------------------------


def test_absent_without_notice_raises_one_missing_alert_that_reaches_the_guardian_and_teacher(client, login, day):
    child = day.children[0]
    login(day.teacher)
    tap(client, day, child, "absent")
    tap(client, day, child, "present")
    tap(client, day, child, "absent")
    [alert] = db.session.scalars(select(Alert)).all()
    assert (alert.kind, alert.student_id) == (AlertKind.MISSING, child.id)
    told = [n for n in inbox(day.guardian) if child.name in n.subject]
    assert len(told) == 1 and told[0].link == f"/day/children/{child.id}/days"
    assert len([n for n in inbox(day.class_teacher) if child.name in n.subject]) == 1


def test_the_message_is_in_the_readers_language(client, login, day):
    day.guardian.locale = "en"
    db.session.commit()
    login(day.teacher)
    tap(client, day, day.children[0], "absent")
    [message] = [n for n in inbox(day.guardian) if day.children[0].name in n.subject]
    assert message.subject.startswith("Urgent")
    [teachers] = [n for n in inbox(day.class_teacher) if day.children[0].name in n.subject]
    assert "紧急" in teachers.subject


def test_children_not_marked_in_time_raise_missing_alerts_once(app, day):
    minutes = rosters.settings_for(day.school).register_alert_minutes
    start = at(15, 40)
    assert alerts.check_due(start + timedelta(minutes=minutes - 1)) == []
    with app.test_request_context():
        register.mark(day.session, day.children[0].id, Mark.PRESENT, day.teacher)
    raised = alerts.check_due(start + timedelta(minutes=minutes))
    assert sorted(a.student_id for a in raised) == sorted(c.id for c in day.children[1:])
    assert alerts.check_due(start + timedelta(minutes=minutes + 5)) == []
    db.session.commit()
    assert db.session.scalar(select(func.count(Alert.id))) == 2


def test_a_raised_alert_is_raised_once_even_when_asked_twice(app, day):
    child = day.children[0]
    assert alerts.raise_alert(AlertKind.MISSING, day.session, child) is not None
    assert alerts.raise_alert(AlertKind.MISSING, day.session, child) is None
    assert len([n for n in inbox(day.guardian) if child.name in n.subject]) == 1


def test_a_child_present_at_the_end_and_not_signed_out_raises_not_collected(app, day):
    here, gone, walked = day.children
    with app.test_request_context():
        register.mark(day.session, here.id, Mark.PRESENT, day.teacher)
        register.mark(day.session, gone.id, Mark.LEFT_EARLY, day.teacher)
        register.mark(day.session, walked.id, Mark.LATE, day.teacher)
    db.session.add(SignOut(session_id=day.session.id, student_id=walked.id, method=SignOutMethod.WALKS_ALONE,
                           staff_id=day.teacher.id))
    db.session.flush()
    grace = rosters.settings_for(day.school).pickup_grace_minutes
    end = at(17, 40)
    assert [a.kind for a in alerts.check_due(end + timedelta(minutes=grace - 1))] == []
    raised = alerts.check_due(end + timedelta(minutes=grace))
    assert [(a.kind, a.student_id) for a in raised] == [(AlertKind.NOT_COLLECTED, here.id)]
    assert any("collected" in n.subject or "接走" in n.subject for n in inbox(here.guardian_links[0].guardian))
    db.session.add(SignOut(session_id=day.session.id, student_id=here.id, method=SignOutMethod.CODE,
                           staff_id=day.teacher.id))
    db.session.flush()
    assert alerts.now_settled(raised) == {raised[0].id}  # collected at last: the board says so, a note closes it
    assert raised[0].resolved_at is None


def test_the_board_shows_figures_from_the_register_and_resolves_alerts_with_a_note(client, login, day):
    login(day.teacher)
    tap(client, day, day.children[0], "present")
    tap(client, day, day.children[1], "absent")  # a missing-child alert
    client.post("/account/logout")
    login(day.coordinator)
    data = client.get("/day/board.json").json
    [figures] = [s for s in data["sessions"] if s["id"] == day.session.id]
    assert (figures["present"], figures["expected"], figures["absent"], figures["unmarked"]) == (1, 3, 1, 1)
    assert (figures["staff"], figures["staff_needed"], figures["register_taken"]) == (1, 2, False)
    page = client.get(f"/day/sessions/{day.session.id}/register").get_data(as_text=True)
    assert f'data-figure="register-present" data-session="{day.session.id}" data-value="1"' in page
    board = client.get("/day/board").get_data(as_text=True)
    assert f'data-figure="register-present" data-session="{day.session.id}" data-value="1"' in board
    # The absent mark's alert (after the session's start plus the school's minutes the clock also raises one for the
    # unmarked child: the board checks what is due as it opens, so this test looks at the absent child's alone).
    [alert] = [a for a in data["alerts"] if a["student_id"] == day.children[1].id]
    assert not alert["settled"]
    tap(client, day, day.children[1], "present")  # found: does not close the alert by itself
    assert [a["settled"] for a in client.get("/day/board.json").json["alerts"] if a["id"] == alert["id"]] == [True]
    assert client.post(f"/day/alerts/{alert['id']}/resolve", data={"note": " "}).status_code == 303
    assert db.session.get(Alert, alert["id"]).resolved_at is None
    client.post(f"/day/alerts/{alert['id']}/resolve", data={"note": "在厕所，已回到教室"})
    resolved = db.session.get(Alert, alert["id"])
    assert resolved.resolution == "在厕所，已回到教室" and resolved.resolved_by_id == day.coordinator.id
    assert alert["id"] not in [a["id"] for a in client.get("/day/board.json").json["alerts"]]


def test_the_board_shows_a_child_not_collected_in_red(client, login, app, day):
    with app.test_request_context():
        register.mark(day.session, day.children[0].id, Mark.PRESENT, day.teacher)
    db.session.commit()
    login(day.coordinator)
    figures = register.session_figures([day.session], local_today(), at(23, 59))[0]
    db.session.commit()  # the school's settings, made on first use
    assert [w["student"].id for w in figures.not_collected] == [day.children[0].id]
    assert figures.not_collected[0]["overdue"]
    page = client.get("/day/board").get_data(as_text=True)
    assert day.children[0].name in page[page.index('data-field="not_collected"'):]


def test_another_schools_alert_cannot_be_resolved(client, login, day):
    alert = alerts.raise_alert(AlertKind.MISSING, day.session, day.children[0])
    other_admin = factories.create_coordinator(day.stranger.school)
    db.session.commit()
    login(other_admin)
    assert client.post(f"/day/alerts/{alert.id}/resolve", data={"note": "x"}).status_code == 404


# --- Today ------------------------------------------------------------------------------------------------------


def test_today_lists_the_sessions_i_run_with_their_links(client, login, day):
    login(day.teacher)
    page = client.get("/day/").get_data(as_text=True)
    assert f"/day/sessions/{day.session.id}/register" in page and f"/day/sessions/{day.session.id}/pickup" in page
    assert 'href="/day/"' in page  # the menu entry
    client.post("/account/logout")
    login(day.bystander)
    assert f"/day/sessions/{day.session.id}/register" not in client.get("/day/").get_data(as_text=True)


# --- Re-planning keeps what was recorded ---------------------------------------------------------------------------


def test_replanning_the_week_keeps_the_days_that_have_records(client, login, app):
    from datetime import date

    from app.rosters.models import SessionTemplate

    monday = date(2026, 11, 23)
    school = factories.create_school()  # no terms: every weekday is a school day
    school_class = factories.create_class(school)
    child = factories.create_student(school_class)
    coordinator = factories.create_coordinator(school)
    db.session.add(SessionTemplate(school_id=school.id, series="看护", weekdays=[0, 1, 2, 3, 4], starts_at=time(15, 40),
                                   ends_at=time(17, 40), kind="after_school", activity="supervision",
                                   typed_enrolled=10, classes=[school_class]))
    week = rosters.open_week(school, monday)
    rosters.generate_sessions(week)
    recorded = next(s for s in week.sessions if s.on_date == monday)
    db.session.add(AttendanceMark(session_id=recorded.id, student_id=child.id, status=Mark.PRESENT))
    db.session.commit()
    login(coordinator)
    response = client.post(f"/rosters/weeks/{week.id}/sessions/generate", follow_redirects=True)
    assert monday.isoformat() in response.get_data(as_text=True)  # the coordinator is told which days stayed
    db.session.expire_all()
    sessions = db.session.scalars(select(PlannedSession).filter_by(week_id=week.id)).all()
    assert [s.id for s in sessions if s.on_date == monday] == [recorded.id]  # kept, not doubled
    assert len(sessions) == 5
    assert db.session.scalar(select(func.count(AttendanceMark.id))) == 1


def test_run_due_raises_the_alerts_the_clock_made_due(app, day, monkeypatch):
    expected = {c.id for c in day.children}
    monkeypatch.setattr(alerts, "utcnow", lambda: at(16, 30))
    result = app.test_cli_runner().invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0, result.output
    assert {a.student_id for a in db.session.scalars(select(Alert))} == expected


def test_the_class_teacher_sees_their_classs_absences_and_the_coordinator_the_schools(client, login, day):
    mine, theirs = day.children[0], day.children[2]  # 1-1 (the class teacher's) and 2-1
    for child, reason in ((mine, "看牙医"), (theirs, "回老家")):
        register.report_absence(child, local_today(), local_today(), reason, day.guardian)
    db.session.commit()
    login(day.class_teacher)
    page = client.get("/day/absences").get_data(as_text=True)
    assert "看牙医" in page and "回老家" not in page
    client.post("/account/logout")
    login(day.coordinator)
    page = client.get("/day/absences").get_data(as_text=True)
    assert "看牙医" in page and "回老家" in page


def test_the_coordinator_sees_every_session_of_the_school_today(client, login, day):
    other = _session(day.school, local_today(), [day.second_class], starts=time(18, 0), ends=time(19, 0))
    db.session.commit()
    login(day.coordinator)
    page = client.get("/day/").get_data(as_text=True)
    assert f"/day/sessions/{day.session.id}/register" in page and f"/day/sessions/{other.id}/register" in page
    client.post("/account/logout")
    login(day.teacher)
    assert f"/day/sessions/{other.id}/register" not in client.get("/day/").get_data(as_text=True)


def test_the_sessions_i_run_are_those_i_am_assigned_to_and_those_of_the_groups_i_lead(app, day):
    """access.sessions_to_run: the roster's assignments and the activity groups one leads, nobody else's."""
    from app.daily.access import sessions_to_run
    from app.programs.models import Activity

    offering = factories.create_offering(day.school)
    club = Activity(school_id=day.school.id, offering_id=offering.id, name="围棋", activity="club", grades=[1],
                    weekdays=list(range(7)), starts_at=time(16, 0), ends_at=time(17, 0), capacity=10,
                    leader_id=day.bystander.id)
    db.session.add(club)
    db.session.flush()
    led = _session(day.school, local_today(), [day.first_class], starts=time(16, 0), ends=time(17, 0))
    led.activity_id = club.id
    elsewhere = _session(day.stranger.school, local_today(), [])
    elsewhere.assignments.append(Assignment(profile_id=day.stranger.staff_profile.id))
    db.session.commit()
    assert sessions_to_run(day.teacher) == [day.session]
    assert sessions_to_run(day.bystander) == [led]
    assert sessions_to_run(day.stranger) == [elsewhere]
    assert sessions_to_run(day.class_teacher) == []
    assert set(sessions_to_run(day.coordinator)) == {day.session, led}
