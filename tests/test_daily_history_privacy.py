"""A child's school days are the family's personal data: in the 我的数据 copy (no internal notes), and on deletion the
family's own details go (collecting adults with their mobiles, absence notices, comments) while the school's
records stay until its retention period ends (the purge: tests/test_retention.py)."""

import io

import openpyxl

from app.daily.models import AdvanceAbsence, AttendanceMark, Incident, PickupAdult, SignOut
from app.extensions import db
from tests import factories
from tests.test_daily_history import INTERNAL, day  # noqa: F401 (the fixture: a recorded school day)

GRANDMOTHER_MOBILE = "13900001111"


def test_the_json_copy_holds_the_childs_school_days_without_internal_notes(client, world, login, day):  # noqa: F811
    other = factories.create_student(world.other_class)
    db.session.add(PickupAdult(student_id=other.id, name="别人家的外婆", relation="外祖母", mobile="13900002222"))
    db.session.commit()
    login(world.users["guardian"])
    response = client.get("/privacy/my-data.json")
    days = response.get_json()["school_days"]
    assert [(m["mark"], m["marked_by"]) for m in days["register_marks"]] == [
        ("present", day["teacher"].name), ("late", day["teacher"].name)]
    assert [(o["adult"], o["method"]) for o in days["sign_outs"]] == [("奶奶", "code")]
    assert [(a["name"], a["mobile"]) for a in days["collecting_adults"]] == [("奶奶", GRANDMOTHER_MOBILE)]
    assert [a["reason"] for a in days["advance_absences"]] == ["看牙医"]
    assert [i["what_happened"] for i in days["incidents"]] == ["跑步时摔倒，膝盖擦伤"]
    text = response.get_data(as_text=True)
    assert INTERNAL not in text and "13900002222" not in text


def test_the_xlsx_copy_has_a_sheet_per_kind_of_record(client, world, login, day):  # noqa: F811
    login(world.users["guardian"])
    book = openpyxl.load_workbook(io.BytesIO(client.get("/privacy/my-data.xlsx").data))
    cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    assert GRANDMOTHER_MOBILE in cells and "看牙医" in cells and INTERNAL not in cells
    assert len(book.worksheets) >= 16


def _delete(client, world, login):
    login(world.users["guardian"])
    plan = client.get("/privacy/delete").get_data(as_text=True)
    response = client.post("/privacy/delete", data={"understood": "y", "password": factories.PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    return plan


def test_deletion_erases_the_familys_details_and_leaves_the_schools_records(client, world, login, day):  # noqa: F811
    incident = db.session.get(Incident, day["incident"].id)
    incident.guardian_comment = "已知悉，谢谢老师"
    db.session.commit()
    plan = _delete(client, world, login)
    assert 'class="school-days"' in plan and day["child"].name in plan
    child_id = day["child"].id
    assert db.session.scalar(db.select(PickupAdult.id).where(PickupAdult.mobile == GRANDMOTHER_MOBILE)) is None
    assert db.session.scalar(db.select(AdvanceAbsence.id).filter_by(student_id=child_id)) is None
    assert db.session.get(Incident, day["incident"].id).guardian_comment == ""
    # The school's record of the child's safety stays until its retention period ends.
    assert db.session.scalar(db.select(db.func.count(AttendanceMark.id)).filter_by(student_id=child_id)) == 2
    assert db.session.scalar(db.select(SignOut.adult_name).filter_by(student_id=child_id)) == "奶奶"


def test_a_child_shared_with_another_guardian_keeps_its_collecting_adults(client, world, login, day):  # noqa: F811
    factories.create_guardian(day["child"], verified=True)
    db.session.commit()
    plan = _delete(client, world, login)
    assert 'class="school-days"' not in plan
    assert db.session.scalar(db.select(PickupAdult.mobile).filter_by(student_id=day["child"].id)) == \
        GRANDMOTHER_MOBILE


def test_an_unconfirmed_link_erases_nothing_of_the_childs(client, world, login, day):  # noqa: F811
    stranger = factories.create_guardian(day["child"], verified=False)
    for link in world.users["guardian"].guardian_links:  # no confirmed guardian shares the child either
        link.verified = False
    db.session.commit()
    login(stranger)
    assert client.post("/privacy/delete", data={"understood": "y", "password": factories.PASSWORD}).status_code \
        == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(PickupAdult.mobile).filter_by(student_id=day["child"].id)) == \
        GRANDMOTHER_MOBILE
    assert db.session.scalar(db.select(AdvanceAbsence.reason).filter_by(student_id=day["child"].id)) == "看牙医"
