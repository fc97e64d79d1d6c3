"""Availability: regular and one-off unavailable times, teaching minutes typed or imported from the timetable."""

import io
from datetime import date, time, timedelta

import openpyxl
import pytest

from app.extensions import db
from app.models_base import local_today
from app.staff.models import StaffType, StaffUnavailability, TeachingMinutes
from tests import factories


@pytest.fixture(autouse=True)
def english_and_import_dir(app, client, tmp_path):
    """Pages in English (the messages below are the msgids); pending imports in a temporary folder."""
    app.config["IMPORT_DIR"] = str(tmp_path)
    client.post("/language", data={"locale": "en"})


def _windows(user):
    return list(db.session.scalars(db.select(StaffUnavailability).filter_by(profile_id=user.staff_profile.id)))


def _minutes(user):
    rows = db.session.scalars(db.select(TeachingMinutes).filter_by(profile_id=user.staff_profile.id))
    return {row.weekday: row.minutes for row in rows}


def test_teacher_adds_regular_window(client, world, login):
    teacher = world.users["teacher"]
    login(teacher)
    response = client.post("/staff/me/availability", data={
        "regular-weekday": "1", "regular-starts_at": "15:30", "regular-ends_at": "17:00", "regular-reason": "教研",
        "regular-submit": "y"})
    assert response.status_code == 302
    [window] = _windows(teacher)
    assert (window.weekday, window.on_date, window.starts_at, window.ends_at, window.reason) == (
        1, None, time(15, 30), time(17, 0), "教研")
    page = client.get("/staff/me/availability").get_data(as_text=True)
    assert "15:30–17:00" in page


def test_window_end_must_follow_start_and_not_repeat(client, world, login):
    teacher = world.users["teacher"]
    login(teacher)
    data = {"regular-weekday": "0", "regular-starts_at": "17:00", "regular-ends_at": "16:00", "regular-submit": "y"}
    response = client.post("/staff/me/availability", data=data)
    assert response.status_code == 200
    assert "The end must be after the start." in response.get_data(as_text=True)
    assert _windows(teacher) == []
    data["regular-starts_at"] = "15:00"
    assert client.post("/staff/me/availability", data=data).status_code == 302
    response = client.post("/staff/me/availability", data=data)
    assert "This time is already listed." in response.get_data(as_text=True)
    assert len(_windows(teacher)) == 1


def test_one_off_window_not_in_the_past(client, world, login):
    teacher = world.users["teacher"]
    login(teacher)
    yesterday = local_today() - timedelta(days=1)
    data = {"oneoff-on_date": yesterday.isoformat(), "oneoff-starts_at": "08:00", "oneoff-ends_at": "18:00",
            "oneoff-submit": "y"}
    response = client.post("/staff/me/availability", data=data)
    assert "The date is in the past." in response.get_data(as_text=True)
    assert _windows(teacher) == []
    data["oneoff-on_date"] = (local_today() + timedelta(days=3)).isoformat()
    assert client.post("/staff/me/availability", data=data).status_code == 302
    [window] = _windows(teacher)
    assert window.on_date == local_today() + timedelta(days=3) and window.weekday is None


def test_remove_only_own_window(client, world, login):
    teacher, other = world.users["teacher"], world.users["class_teacher"]
    mine = StaffUnavailability(profile_id=teacher.staff_profile.id, weekday=2, starts_at=time(15), ends_at=time(16))
    theirs = StaffUnavailability(profile_id=other.staff_profile.id, weekday=2, starts_at=time(15), ends_at=time(16))
    db.session.add_all([mine, theirs])
    db.session.commit()
    login(teacher)
    client.post("/staff/me/availability/remove", data={"window_id": str(theirs.id)})
    assert len(_windows(other)) == 1
    client.post("/staff/me/availability/remove", data={"window_id": str(mine.id)})
    assert _windows(teacher) == []


def test_teaching_minutes_typed_by_teacher_and_admin(client, world, login):
    teacher = world.users["teacher"]
    login(teacher)
    response = client.post("/staff/me/availability", data={"teaching-day0": "240", "teaching-day2": "180",
                                                            "teaching-submit": "y"})
    assert response.status_code == 302
    assert _minutes(teacher) == {0: 240, 2: 180}
    response = client.post("/staff/me/availability", data={"teaching-day0": "9999", "teaching-submit": "y"})
    assert response.status_code == 200 and _minutes(teacher) == {0: 240, 2: 180}
    client.post("/account/logout")
    login(world.users["school_admin"])
    response = client.post(f"/staff/{teacher.id}/availability", data={"teaching-day0": "200", "teaching-submit": "y"})
    assert response.status_code == 302
    assert _minutes(teacher) == {0: 200}
    other = world.other_users["teacher"]
    assert client.get(f"/staff/{other.id}/availability").status_code == 404


def test_admin_adds_window_for_staff(client, world, login):
    teacher = world.users["teacher"]
    login(world.users["school_admin"])
    response = client.post(f"/staff/{teacher.id}/availability", data={
        "regular-weekday": "4", "regular-starts_at": "16:00", "regular-ends_at": "18:00", "regular-submit": "y"})
    assert response.status_code == 302
    assert [w.weekday for w in _windows(teacher)] == [4]


def test_volunteer_limits_editable(client, world, login):
    volunteer = factories.create_teacher(world.own_school, staff_type=StaffType.VOLUNTEER)
    db.session.commit()
    login(world.users["school_admin"])
    response = client.post(f"/staff/{volunteer.id}", data={
        "name": volunteer.name, "mobile": volunteer.mobile, "staff_type": "volunteer", "skills": ["reading"],
        "max_weekly_minutes": "90", "max_days": "2"})
    assert response.status_code == 302
    db.session.refresh(volunteer.staff_profile)
    assert (volunteer.staff_profile.max_weekly_minutes, volunteer.staff_profile.max_days) == (90, 2)


def _upload(client, content: bytes, filename: str = "timetable.csv"):
    return client.post("/staff/teaching-minutes/import", data={"file": (io.BytesIO(content), filename)})


def _token(page: str) -> str:
    marker = 'name="token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def test_import_wide_csv_dry_run_then_confirm(client, world, login):
    teacher, class_teacher = world.users["teacher"], world.users["class_teacher"]
    login(world.users["school_admin"])
    csv = f"手机号,周一,周二,周三\n{teacher.mobile},240,,180\n{class_teacher.mobile},120,120,\n".encode()
    response = _upload(client, csv)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "All 4 rows are correct" in page
    assert _minutes(teacher) == {}  # nothing written by the dry run
    response = client.post("/staff/teaching-minutes/confirm", data={"token": _token(page)})
    assert response.status_code == 302
    assert _minutes(teacher) == {0: 240, 2: 180}
    assert _minutes(class_teacher) == {0: 120, 1: 120}
    # The same token cannot be used twice.
    assert client.post("/staff/teaching-minutes/confirm", data={"token": _token(page)}).status_code == 302


def test_import_lists_every_bad_row_and_writes_nothing(client, world, login):
    teacher = world.users["teacher"]
    other_school_teacher = world.other_users["teacher"]
    login(world.users["school_admin"])
    csv = (f"手机号,星期,分钟\n{teacher.mobile},周一,240\n{teacher.mobile},周一,200\n"
           f"{other_school_teacher.mobile},周二,100\n{teacher.mobile},周六,60\n{teacher.mobile},周三,abc\n").encode()
    page = _upload(client, csv).get_data(as_text=True)
    assert "4 problems found" in page
    assert "Duplicate in the file (also in row 2)." in page
    assert "No active staff member of this school has this mobile number." in page
    assert "Not a school day" in page
    assert "Minutes must be a whole number" in page
    assert 'name="token"' not in page
    assert _minutes(teacher) == {}


def test_import_xlsx_long_layout(client, world, login):
    teacher = world.users["teacher"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["mobile", "weekday", "minutes"])
    sheet.append([int(teacher.mobile), "Thursday", 300])
    buffer = io.BytesIO()
    workbook.save(buffer)
    login(world.users["school_admin"])
    page = _upload(client, buffer.getvalue(), "timetable.xlsx").get_data(as_text=True)
    assert "All 1 rows are correct" in page
    client.post("/staff/teaching-minutes/confirm", data={"token": _token(page)})
    assert _minutes(teacher) == {3: 300}


def test_import_confirm_rechecks_against_database(client, world, login):
    teacher = world.users["teacher"]
    login(world.users["school_admin"])
    page = _upload(client, f"手机号,周五\n{teacher.mobile},90\n".encode()).get_data(as_text=True)
    teacher.is_active_account = False
    db.session.commit()
    response = client.post("/staff/teaching-minutes/confirm", data={"token": _token(page)})
    assert response.status_code == 200 and "1 problems found" in response.get_data(as_text=True)
    assert _minutes(teacher) == {}


def test_import_unreadable_file(client, world, login):
    login(world.users["school_admin"])
    page = _upload(client, b"name,phone\nx,y\n").get_data(as_text=True)
    assert "The first row must name the columns" in page
    page = _upload(client, b"whatever", "timetable.txt").get_data(as_text=True)
    assert "Please upload a .csv or .xlsx file." in page


def test_template_csv_has_headers(client, world, login):
    login(world.users["school_admin"])
    body = client.get("/staff/teaching-minutes/template.csv").get_data().decode("utf-8-sig")
    assert body.strip() == "手机号,周一,周二,周三,周四,周五"


def test_provider_staff_windows_but_no_teaching_minutes(client, world, login):
    provider_staff = world.users["provider_staff"]
    login(provider_staff)
    page = client.get("/staff/me/availability").get_data(as_text=True)
    assert "Teaching minutes per day" not in page
    date_ahead = (local_today() + timedelta(days=1)).isoformat()
    client.post("/staff/me/availability", data={"oneoff-on_date": date_ahead, "oneoff-starts_at": "09:00",
                                                "oneoff-ends_at": "10:00", "oneoff-submit": "y"})
    assert [w.on_date for w in _windows(provider_staff)] == [date.fromisoformat(date_ahead)]
