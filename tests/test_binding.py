"""Binding a child that holds: the school records the guardians' mobile numbers (student form, student import); a
guardian whose proven mobile is one of them is confirmed at once, else the class teacher sees why it waits; the
child's confirmed guardians are told when someone else asks to bind the child."""

import io
import re

import pytest

from app.accounts.models import GuardianLink, Role
from app.notifications.models import Notification
from app.schools.models import Student
from tests import factories


def page(response) -> str:
    return response.get_data(as_text=True)


def bind(client, world, **overrides):
    data = {"school_id": world.own_school.id, "student_number": world.own_student.student_number,
            "name": world.own_student.name, "relationship": "father"}
    data.update(overrides)
    return client.post("/schools/bind-child", data=data)


def link_of(db, guardian) -> GuardianLink:
    return db.session.scalar(db.select(GuardianLink).filter_by(guardian_id=guardian.id))


@pytest.fixture
def parent(db, login):
    guardian = factories.create_user(Role.GUARDIAN, mobile="13912345678")
    db.session.commit()
    login(guardian)
    return guardian


# --- The school records the numbers ---


def test_admin_records_guardian_mobiles_on_the_student_form(client, db, world, login):
    login(world.users["school_admin"])
    student = world.own_student
    data = {"student_number": student.student_number, "name": student.name, "class_id": world.own_class.id}
    refused = client.post(f"/schools/students/{student.id}/edit",
                          data={**data, "guardian_mobiles": "13912345678, 12345"})
    assert refused.status_code == 200 and "12345" in page(refused)
    db.session.refresh(student)
    assert student.guardian_mobiles == ""
    saved = client.post(f"/schools/students/{student.id}/edit",
                        data={**data, "guardian_mobiles": "13912345678，13800001111 13912345678"})
    assert saved.status_code == 302
    db.session.refresh(student)
    assert student.guardian_mobile_list == ["13912345678", "13800001111"]
    assert "13912345678 13800001111" in page(client.get(f"/schools/students/{student.id}/edit"))


def test_student_import_reads_the_guardian_mobiles_column(client, db, world, login, app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path)
    login(world.users["school_admin"])
    content = "学号,姓名,年级,班级,家长手机号\nB001,张一,1,1,13900000001/13900000002\nB002,李二,1,1,\n".encode()
    response = client.post("/schools/import/students",
                           data={"students-file": (io.BytesIO(content), "s.csv")}, content_type="multipart/form-data")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page(response)).group(1)
    assert client.post("/schools/import/students/confirm", data={"token": token}).status_code == 302
    first = db.session.scalar(db.select(Student).filter_by(student_number="B001"))
    second = db.session.scalar(db.select(Student).filter_by(student_number="B002"))
    assert first.guardian_mobile_list == ["13900000001", "13900000002"] and second.guardian_mobile_list == []

    bad = "学号,姓名,年级,班级,家长手机号\nB003,王三,1,1,1390000\n".encode()
    response = client.post("/schools/import/students",
                           data={"students-file": (io.BytesIO(bad), "s.csv")}, content_type="multipart/form-data")
    assert "1390000" in page(response) and 'name="token"' not in page(response)
    assert db.session.scalar(db.select(Student).filter_by(student_number="B003")) is None


# --- Binding ---


def test_a_guardian_whose_mobile_the_school_has_is_confirmed_at_once(client, db, world, parent):
    world.own_student.guardian_mobiles = "13800001111 13912345678"
    db.session.commit()
    assert bind(client, world).status_code == 302
    link = link_of(db, parent)
    assert link.student_id == world.own_student.id and link.verified
    assert "等待班主任确认" not in page(client.get("/schools/bind-child"))


def test_a_guardian_whose_mobile_does_not_match_waits_and_the_teacher_sees_why(client, db, world, parent, login):
    world.own_student.guardian_mobiles = "13800001111"
    db.session.commit()
    bind(client, world)
    assert not link_of(db, parent).verified
    client.post("/account/logout")
    login(world.users["class_teacher"])
    text = page(client.get("/schools/my-class"))
    assert parent.name in text and "不是学校为该学生登记的号码" in text


def test_the_teacher_sees_when_the_school_has_no_number_for_the_child(client, db, world, parent, login):
    bind(client, world)
    assert not link_of(db, parent).verified
    client.post("/account/logout")
    login(world.users["class_teacher"])
    text = page(client.get("/schools/my-class"))
    assert parent.name in text and "学校没有登记该学生的家长手机号" in text


def test_confirmed_guardians_are_told_when_someone_else_asks_to_bind_the_child(client, db, world, parent):
    confirmed = world.users["guardian"]
    waiting = factories.create_guardian(world.own_student, verified=False)
    db.session.commit()
    bind(client, world)
    notes = db.session.scalars(db.select(Notification).filter_by(user_id=confirmed.id)).all()
    assert len(notes) == 1 and parent.name in notes[0].subject and world.own_student.name in notes[0].subject
    assert "139****5678" in notes[0].body  # the number masked
    assert db.session.scalars(db.select(Notification).filter_by(user_id=waiting.id)).all() == []
    assert db.session.scalars(db.select(Notification).filter_by(user_id=parent.id)).all() == []


# --- Binding codes ---


def make_code(client, student) -> str:
    response = client.post(f"/schools/students/{student.id}/binding-code")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return re.search(r"data-binding-code>([^<]+)<", page(response)).group(1)


def test_a_binding_code_binds_at_once_once_and_is_kept_only_hashed(client, db, world, login):
    from app.schools.models import BindingCode

    login(world.users["class_teacher"])
    assert "生成绑定码" in page(client.get("/schools/my-class"))
    code = make_code(client, world.own_student)
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    record = db.session.scalar(db.select(BindingCode).filter_by(student_id=world.own_student.id))
    assert code.replace("-", "") not in record.code_hash and record.expires_at is not None
    client.post("/account/logout")

    first = factories.create_user(Role.GUARDIAN)
    second = factories.create_user(Role.GUARDIAN)
    db.session.commit()
    login(first)
    assert bind(client, world, binding_code=code.lower().replace("-", " ")).status_code == 302
    assert link_of(db, first).verified
    notes = db.session.scalars(db.select(Notification).filter_by(user_id=world.users["guardian"].id)).all()
    assert len(notes) == 1 and "绑定码" in notes[0].body
    client.post("/account/logout")

    login(second)  # the same code a second time: refused, nothing bound
    refused = bind(client, world, binding_code=code)
    assert refused.status_code == 200 and "绑定码" in page(refused)
    assert link_of(db, second) is None


def test_a_wrong_or_other_childs_code_is_refused_and_a_new_code_ends_the_old(client, db, world, login, parent):
    client.post("/account/logout")
    login(world.users["school_admin"])
    other_child = factories.create_student(world.own_class)
    db.session.commit()
    assert "生成绑定码" in page(client.get(f"/schools/students/{world.own_student.id}/edit"))
    old = make_code(client, world.own_student)
    new = make_code(client, world.own_student)
    others = make_code(client, other_child)
    client.post("/account/logout")
    login(parent)
    for wrong in (old, others, "ABCD-EFGH"):
        response = bind(client, world, binding_code=wrong)
        assert response.status_code == 200 and link_of(db, parent) is None, wrong
    assert bind(client, world, binding_code=new).status_code == 302
    assert link_of(db, parent).verified


def test_an_expired_code_is_refused(client, db, world, login, parent):
    from app.models_base import utcnow
    from app.schools import services

    with client.application.test_request_context():
        code, record = services.issue_binding_code(world.own_student, world.users["class_teacher"])
        record.expires_at = utcnow()
        db.session.commit()
    assert bind(client, world, binding_code=code).status_code == 200
    assert link_of(db, parent) is None


def test_a_teacher_makes_codes_only_for_their_own_class(client, db, world, login):
    other_class = factories.create_class(world.own_school, grade_number=2, number=1)
    stranger = factories.create_student(other_class)
    db.session.commit()
    login(world.users["class_teacher"])
    assert client.post(f"/schools/students/{stranger.id}/binding-code").status_code == 404


@pytest.mark.settings(RATELIMIT_ENABLED=True)
def test_binding_code_attempts_are_limited_per_account(client, db, world, parent):
    for _ in range(10):
        assert bind(client, world, binding_code="ABCD-EFGH").status_code == 200
    assert bind(client, world, binding_code="ABCD-EFGH").status_code == 429
    assert bind(client, world).status_code == 302  # without a code the guardian may still ask the class teacher


def test_deleting_a_student_removes_their_binding_codes(client, db, world, login):
    from app.schools.models import BindingCode

    login(world.users["school_admin"])
    make_code(client, world.own_student)
    assert client.post(f"/schools/students/{world.own_student.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(BindingCode)) == 0
