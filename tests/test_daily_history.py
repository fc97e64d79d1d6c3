"""The school day read back: a child's day for the family (who marked and who collected, when, in school time),
their month, the class's day for its class teacher, and the monthly attendance spreadsheets for the school and the
county."""

import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from app.daily.models import (
    AdvanceAbsence,
    AttendanceMark,
    Incident,
    IncidentCategory,
    Mark,
    PickupAdult,
    SignOut,
    SignOutMethod,
)
from app.enrolment.models import ApplicationStatus
from app.extensions import db
from app.rosters.models import Assignment, PlannedSession, Week
from tests import factories

SCHOOL_TIME = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)
TUESDAY, WEDNESDAY, THURSDAY = date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)
INTERNAL = "仅供学校内部：已联系校医复查"


def at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SCHOOL_TIME)


@pytest.fixture
def day(world):
    """The own school's child with an approved place: Tuesday marked present at 16:32 by the teacher on the session,
    collected at 18:05 by 奶奶 with her code, an incident at 17:10; 请假 on Wednesday; late on Thursday."""
    school, child = world.own_school, world.own_student
    teacher = world.users["teacher"]
    offering = factories.create_offering(school)
    factories.create_application(child, offering, guardian=world.users["guardian"],
                                 status=ApplicationStatus.APPROVED)
    week = Week(school_id=school.id, monday=MONDAY)
    db.session.add(week)
    sessions = {}
    for on in (TUESDAY, WEDNESDAY, THURSDAY):
        session = PlannedSession(on_date=on, starts_at=time(15, 40), ends_at=time(17, 40), kind="after_school",
                                 activity="supervision", series="看护", enrolled=1, staff_needed=1,
                                 classes=[world.own_class],
                                 assignments=[Assignment(profile_id=teacher.staff_profile.id)])
        week.sessions.append(session)
        sessions[on] = session
    db.session.flush()
    grandmother = PickupAdult(student_id=child.id, name="奶奶", relation="祖母", mobile="13900001111")
    db.session.add(grandmother)
    db.session.flush()
    incident = Incident(school_id=school.id, session_id=sessions[TUESDAY].id, student_id=child.id,
                        category=IncidentCategory.INJURY, occurred_at=at(TUESDAY, 17, 10),
                        what_happened="跑步时摔倒，膝盖擦伤", action_taken="清洗伤口并贴创可贴",
                        internal_note=INTERNAL, recorded_by_id=teacher.id)
    db.session.add_all([
        AttendanceMark(session_id=sessions[TUESDAY].id, student_id=child.id, status=Mark.PRESENT,
                       marked_by_id=teacher.id, marked_at=at(TUESDAY, 16, 32)),
        SignOut(session_id=sessions[TUESDAY].id, student_id=child.id, method=SignOutMethod.CODE,
                adult_id=grandmother.id, adult_name="奶奶", staff_id=teacher.id, signed_out_at=at(TUESDAY, 18, 5)),
        AdvanceAbsence(student_id=child.id, starts_on=WEDNESDAY, ends_on=WEDNESDAY, reason="看牙医",
                       reported_by_id=world.users["guardian"].id),
        AttendanceMark(session_id=sessions[THURSDAY].id, student_id=child.id, status=Mark.LATE,
                       marked_by_id=teacher.id, marked_at=at(THURSDAY, 15, 55)),
        incident,
    ])
    db.session.commit()
    return {"child": child, "teacher": teacher, "incident": incident, "sessions": sessions}


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_guardian_sees_who_marked_and_who_collected_when_in_school_time(client, world, login, day):
    login(world.users["guardian"])
    page = text(client.get(f"/day/children/{day['child'].id}/days?date={TUESDAY}"))
    main = page[page.index("<main"):page.index('id="history"')]
    assert "16:32" in main and day["teacher"].name in main  # checked in at 16:32 (school time, not 08:32 UTC)
    sign_out = main[main.index("data-sign-out"):]
    sign_out = sign_out[:sign_out.index("</li>")]
    assert "18:05" in sign_out and "奶奶" in sign_out and "凭接送码" in sign_out  # collected by 奶奶 with her code
    assert day["teacher"].name in sign_out  # handed over by the teacher
    assert f"/day/incidents/{day['incident'].id}" in main
    assert INTERNAL not in page  # the school's internal note never reaches the family
    assert 'data-mark="present"' in main


def test_the_month_shows_recorded_days_and_is_bounded(client, world, login, day):
    login(world.users["guardian"])
    base = f"/day/children/{day['child'].id}/days"
    november = text(client.get(f"{base}?month=2026-11&date=2026-12-01"))
    history = november[november.index('id="history"'):]
    assert str(TUESDAY) in history and str(WEDNESDAY) in history and "看牙医" in history
    assert 'data-mark="late"' in history
    october = text(client.get(f"{base}?month=2026-10&date=2026-12-01"))
    assert str(TUESDAY) not in october[october.index('id="history"'):]
    for bad in ("2026-13", "26-11", "2026-1", "1999-12", "2100-01", "x"):
        assert client.get(f"{base}?month={bad}").status_code == 400, bad
    assert client.get(f"{base}?date=2026-02-30").status_code == 400


def test_another_familys_child_is_not_found(client, world, login, day):
    login(world.users["guardian"])
    assert client.get(f"/day/children/{world.other_student.id}/days").status_code == 404
    other_family_child = factories.create_student(world.own_class)
    factories.create_guardian(other_family_child)
    db.session.commit()
    assert client.get(f"/day/children/{other_family_child.id}/days").status_code == 404


def test_guardian_home_links_to_the_childs_day_absences_and_pickup(client, world, login, day):
    login(world.users["guardian"])
    home = text(client.get("/dashboard"))
    child = day["child"].id
    for path in (f"/day/children/{child}/days", f"/day/children/{child}/absences", f"/day/children/{child}/pickup"):
        assert f'href="{path}"' in home, path


def test_the_class_teacher_sees_the_class_day(client, world, login, day):
    login(world.users["class_teacher"])
    assert f"/day/classes/{world.own_class.id}/day" in text(client.get("/dashboard"))
    page = text(client.get(f"/day/classes/{world.own_class.id}/day?date={TUESDAY}"))
    row = page[page.index(f'data-child="{day["child"].id}"'):]
    row = row[:row.index("</tr>")]
    assert "16:32" in row and day["teacher"].name in row and "18:05" in row and "奶奶" in row
    wednesday = text(client.get(f"/day/classes/{world.own_class.id}/day?date={WEDNESDAY}"))
    assert "看牙医" in wednesday
    saturday = text(client.get(f"/day/classes/{world.own_class.id}/day?date=2026-11-28"))
    assert 'id="no-sessions"' in saturday


def test_a_class_teacher_sees_only_their_own_class(client, world, login, day):
    second = factories.create_class(world.own_school, number=2)
    second.class_teacher = factories.create_teacher(world.own_school)
    db.session.commit()
    login(world.users["class_teacher"])
    assert client.get(f"/day/classes/{second.id}/day").status_code == 403
    assert client.get(f"/day/classes/{world.other_class.id}/day").status_code == 404


def sheet_rows(response) -> dict:
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


def test_monthly_attendance_by_class_and_by_activity(client, world, login, day):
    login(world.users["coordinator"])
    page = text(client.get("/day/attendance"))
    assert "/day/attendance.xlsx?month=" in page and f"/day/classes/{world.own_class.id}/day" in page
    assert "看护" in text(client.get(f"/day/classes/{world.own_class.id}/day?date={TUESDAY}"))
    sheets = sheet_rows(client.get("/day/attendance.xlsx?month=2026-11&by=class"))
    (rows,) = sheets.values()
    header, row = rows[0], next(r for r in rows if r[1] == day["child"].name)
    cells = dict(zip(header, row, strict=True))
    assert (cells["11-24"], cells["11-25"], cells["11-26"]) == ("到", "请假", "迟")
    assert (cells["到"], cells["请假"], cells["迟"], cells["缺"]) == (1, 1, 1, 0)
    by_activity = sheet_rows(client.get("/day/attendance.xlsx?month=2026-11&by=activity"))
    assert by_activity["看护"][1][1] == day["child"].name
    empty = sheet_rows(client.get("/day/attendance.xlsx?month=2026-10&by=class"))
    assert all(len(rows) == 2 and not any(rows[1][2:-5]) for rows in empty.values())  # nothing recorded in October


def test_attendance_names_are_never_formulas(client, world, login, day):
    day["child"].name = "=HYPERLINK(\"x\")"
    db.session.commit()
    login(world.users["coordinator"])
    book = openpyxl.load_workbook(io.BytesIO(client.get("/day/attendance.xlsx?month=2026-11&by=class").data))
    cell = next(c for row in book.active.iter_rows() for c in row if c.value == day["child"].name)
    assert cell.data_type == "s" and cell.quotePrefix


def test_county_attendance_is_for_the_countys_schools_only(client, world, login, day):
    login(world.users["county_officer"])
    own = f"/day/attendance.xlsx?month=2026-11&by=class&school_id={world.own_school.id}"
    assert any(r[1] == day["child"].name for rows in sheet_rows(client.get(own)).values() for r in rows)
    assert client.get(f"/day/attendance.xlsx?month=2026-11&school_id={world.far_school.id}").status_code == 404
    assert client.get("/day/attendance.xlsx?month=2026-11").status_code == 404
    assert client.get(f"/day/attendance.xlsx?month=2026-11&by=nope&school_id={world.own_school.id}").status_code \
        == 400
    choose = text(client.get("/day/attendance"))
    assert world.own_school.name in choose and world.far_school.name not in choose
