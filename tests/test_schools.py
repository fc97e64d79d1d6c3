"""School pages: classes, students, settings and calendar, the class teacher's class, binding a child, the county."""

from datetime import date

import pytest

from app.accounts.models import GuardianLink, Role
from app.schools.models import Grade, Holiday, School, SchoolClass, SchoolType, Student, Term
from tests import factories


def page(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, **filters) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).filter_by(**filters))


@pytest.fixture
def admin(world, login):
    login(world.users["school_admin"])
    return world.users["school_admin"]


# --- Classes ---


def test_admin_adds_a_class_and_a_duplicate_is_refused(client, db, world, admin):
    response = client.post("/schools/classes", data={"grade": 3, "number": 2})
    assert response.status_code == 302
    assert db.session.scalar(db.select(SchoolClass).join(Grade).filter(
        SchoolClass.school_id == world.own_school.id, Grade.number == 3, SchoolClass.number == 2)) is not None

    response = client.post("/schools/classes", data={"grade": 3, "number": 2})
    assert response.status_code == 200
    assert "该班级已存在" in page(response)
    assert count(db, SchoolClass, school_id=world.own_school.id) == 2


def test_grades_follow_the_school_type(client, db, world, admin):
    # A primary school has grades 1–6: grade 7 is not offered and not accepted.
    listing = page(client.get("/schools/classes"))
    assert 'value="6"' in listing and 'value="7"' not in listing
    response = client.post("/schools/classes", data={"grade": 7, "number": 1})
    assert response.status_code == 200
    assert count(db, SchoolClass, school_id=world.own_school.id) == 1

    junior = factories.create_school(world.county, school_type=SchoolType.JUNIOR)
    junior_admin = factories.create_school_admin(junior)
    db.session.commit()
    client.post("/account/logout")
    client.post("/account/login", data={"mobile": junior_admin.mobile, "password": factories.PASSWORD})
    assert client.post("/schools/classes", data={"grade": 1, "number": 1}).status_code == 200
    assert client.post("/schools/classes", data={"grade": 7, "number": 1}).status_code == 302
    assert count(db, SchoolClass, school_id=junior.id) == 1


def test_list_shows_class_teacher_and_student_count(client, world, admin):
    factories.create_student(world.own_class)
    from app.extensions import db

    db.session.commit()
    listing = page(client.get("/schools/classes"))
    assert "1年级1班" in listing
    assert world.users["class_teacher"].name in listing
    assert "<td>2</td>" in listing  # the world's student and this one


def test_set_and_clear_the_class_teacher(client, db, world, admin):
    teacher = world.users["teacher"]
    response = client.post(f"/schools/classes/{world.own_class.id}/teacher", data={"teacher": teacher.id})
    assert response.status_code == 302
    assert db.session.get(SchoolClass, world.own_class.id).class_teacher_id == teacher.id

    client.post(f"/schools/classes/{world.own_class.id}/teacher", data={"teacher": 0})
    assert db.session.get(SchoolClass, world.own_class.id).class_teacher_id is None


def test_a_teacher_of_another_school_cannot_lead_a_class(client, db, world, admin):
    stranger = world.other_users["teacher"]
    client.post(f"/schools/classes/{world.own_class.id}/teacher", data={"teacher": stranger.id})
    assert db.session.get(SchoolClass, world.own_class.id).class_teacher_id == world.users["class_teacher"].id


# --- Students ---


def test_student_add_edit_delete(client, db, world, admin):
    response = client.post("/schools/students/new", data={"student_number": "2026-001", "name": "李小明",
                                                          "class_id": world.own_class.id})
    assert response.status_code == 302
    student = db.session.scalar(db.select(Student).filter_by(student_number="2026-001"))
    assert student.name == "李小明" and student.school_id == world.own_school.id

    second = factories.create_class(world.own_school, grade_number=2)
    db.session.commit()
    response = client.post(f"/schools/students/{student.id}/edit", data={
        "student_number": "2026-002", "name": "李晓明", "class_id": second.id})
    assert response.status_code == 302
    db.session.refresh(student)
    assert (student.student_number, student.name, student.class_id) == ("2026-002", "李晓明", second.id)

    # The edit page offers deletion only through a POST form whose button asks first.
    student_id = student.id
    edit_page = page(client.get(f"/schools/students/{student_id}/edit"))
    assert f'action="/schools/students/{student_id}/delete"' in edit_page
    assert "data-confirm=" in edit_page
    assert client.get(f"/schools/students/{student_id}/delete").status_code == 405
    assert db.session.get(Student, student_id) is not None

    response = client.post(f"/schools/students/{student_id}/delete")
    assert response.status_code == 302
    assert db.session.get(Student, student_id) is None


def test_deleting_a_student_removes_their_guardian_links(client, db, world, admin):
    student_id = world.own_student.id
    client.post(f"/schools/students/{student_id}/delete")
    assert db.session.get(Student, student_id) is None
    assert count(db, GuardianLink, student_id=student_id) == 0


def test_student_number_is_unique_per_school_with_a_clear_message(client, db, world, admin):
    taken = world.own_student.student_number
    response = client.post("/schools/students/new", data={"student_number": taken, "name": "重号",
                                                          "class_id": world.own_class.id})
    assert response.status_code == 200
    assert f"本校已有学号为 {taken} 的学生" in page(response)
    assert count(db, Student, school_id=world.own_school.id) == 1

    # Another school's number is no obstacle.
    other = world.other_student.student_number
    response = client.post("/schools/students/new", data={"student_number": other, "name": "同号不同校",
                                                          "class_id": world.own_class.id})
    assert response.status_code == 302


def test_overlong_and_missing_student_fields_write_nothing(client, db, world, admin):
    response = client.post("/schools/students/new", data={"student_number": "x" * 31, "name": "",
                                                          "class_id": world.own_class.id})
    text = page(response)
    assert response.status_code == 200
    assert "最多30个字符" in text and "请填写此项" in text
    assert count(db, Student, school_id=world.own_school.id) == 1


def test_a_student_cannot_be_moved_into_another_schools_class(client, db, world, admin):
    response = client.post(f"/schools/students/{world.own_student.id}/edit", data={
        "student_number": "N1", "name": "x", "class_id": world.other_class.id})
    assert response.status_code == 200
    assert db.session.get(Student, world.own_student.id).class_id == world.own_class.id


def test_another_schools_student_is_a_404(client, db, world, admin):
    other = world.other_student
    assert client.get(f"/schools/students/{other.id}/edit").status_code == 404
    assert client.post(f"/schools/students/{other.id}/delete").status_code == 404
    assert db.session.get(Student, other.id) is not None


def test_student_list_filters_by_class_and_searches(client, db, world, admin):
    second = factories.create_class(world.own_school, grade_number=2)
    factories.create_student(second, name="王二", number="B-2")
    factories.create_student(world.own_class, name="张三", number="A-3")
    db.session.commit()
    everyone = page(client.get("/schools/students"))
    assert "王二" in everyone and "张三" in everyone and world.other_student.name not in everyone
    only_second = page(client.get(f"/schools/students?class_id={second.id}"))
    assert "王二" in only_second and "张三" not in only_second
    by_name = page(client.get("/schools/students?q=张"))
    assert "张三" in by_name and "王二" not in by_name
    by_number = page(client.get("/schools/students?q=B-"))
    assert "王二" in by_number and "张三" not in by_number


def test_student_list_paginates(client, db, world, admin):
    for n in range(55):
        factories.create_student(world.own_class, number=f"P{n:03d}")
    db.session.commit()
    first = page(client.get("/schools/students"))
    assert "第 1 / 2 页" in first
    second = page(client.get("/schools/students?page=2"))
    assert "P054" in second and "P000" not in second


# --- Settings and calendar ---


def test_settings_are_saved_and_checked(client, db, world, admin):
    data = {"name": "新名小学", "address": "城关镇1号", "work_end_winter": "17:10", "work_end_summer": "17:40",
            "summer_starts": "05-01", "winter_starts": "10-08"}
    assert client.post("/schools/settings", data=data).status_code == 302
    school = db.session.get(School, world.own_school.id)
    saved = (school.name, school.work_end_summer.strftime("%H:%M"), school.winter_starts)
    assert saved == ("新名小学", "17:40", "10-08")

    response = client.post("/schools/settings", data={**data, "name": "再改", "summer_starts": "13-40"})
    assert response.status_code == 200
    assert "月-日" in page(response)
    assert db.session.get(School, world.own_school.id).name == "新名小学"


def test_terms_need_ordered_dates_and_must_not_overlap(client, db, world, admin):
    data = {"name": "第一学期", "starts_on": "2026-09-01", "ends_on": "2027-01-22"}
    assert client.post("/schools/terms/new", data=data).status_code == 302

    response = client.post("/schools/terms/new", data={"name": "倒序", "starts_on": "2027-03-01",
                                                      "ends_on": "2027-02-01"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in page(response)

    response = client.post("/schools/terms/new", data={"name": "重叠", "starts_on": "2027-01-10",
                                                      "ends_on": "2027-06-30"})
    assert response.status_code == 200
    assert "与学期“第一学期”" in page(response)
    assert count(db, Term, school_id=world.own_school.id) == 1

    # Editing a term may keep its own dates.
    term_id = db.session.scalar(db.select(Term.id).filter_by(school_id=world.own_school.id))
    assert client.post(f"/schools/terms/{term_id}", data={**data, "name": "秋季学期"}).status_code == 302
    assert db.session.get(Term, term_id).name == "秋季学期"
    assert client.post(f"/schools/terms/{term_id}/delete").status_code == 302
    assert db.session.get(Term, term_id) is None


def test_holidays_are_added_edited_and_deleted(client, db, world, admin):
    response = client.post("/schools/holidays/new", data={"name": "暑假", "kind": "summer",
                                                         "starts_on": "2027-07-03", "ends_on": "2027-08-31"})
    assert response.status_code == 302
    holiday_id = db.session.scalar(db.select(Holiday.id).filter_by(school_id=world.own_school.id))
    assert db.session.get(Holiday, holiday_id).starts_on == date(2027, 7, 3)
    response = client.post(f"/schools/holidays/{holiday_id}", data={"name": "暑假", "kind": "summer",
                                                                    "starts_on": "2027-09-01", "ends_on": "2027-08-31"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in page(response)
    assert db.session.get(Holiday, holiday_id).starts_on == date(2027, 7, 3)
    assert client.post(f"/schools/holidays/{holiday_id}/delete").status_code == 302
    assert db.session.get(Holiday, holiday_id) is None


def test_another_schools_term_is_a_404(client, db, world, admin):
    term = factories.create_term(world.other_school)
    db.session.commit()
    assert client.post(f"/schools/terms/{term.id}/delete").status_code == 404
    assert db.session.get(Term, term.id) is not None


# --- The class teacher's class ---


def test_class_teacher_sees_the_class_and_confirms_a_link(client, db, world, login):
    waiting = factories.create_guardian(world.own_student, verified=False, name="待确认家长")
    db.session.commit()
    login(world.users["class_teacher"])
    text = page(client.get("/schools/my-class"))
    assert world.own_student.name in text and "待确认家长" in text and world.other_student.name not in text

    link = waiting.guardian_links[0]
    assert client.post(f"/schools/links/{link.id}/verify").status_code == 302
    db.session.refresh(link)
    assert link.verified and link.verified_by_id == world.users["class_teacher"].id and link.verified_at


def test_class_teacher_rejects_a_link(client, db, world, login):
    waiting = factories.create_guardian(world.own_student, verified=False)
    db.session.commit()
    link_id = waiting.guardian_links[0].id
    login(world.users["class_teacher"])
    assert 'data-confirm="' in page(client.get("/schools/my-class"))
    assert client.post(f"/schools/links/{link_id}/reject").status_code == 302
    assert db.session.get(GuardianLink, link_id) is None


def test_reject_is_offered_only_for_unconfirmed_links_and_asks_first(client, db, world, login):
    confirmed = world.users["guardian"].guardian_links[0]
    waiting = factories.create_guardian(world.own_student, verified=False, name="待确认家长").guardian_links[0]
    db.session.commit()
    login(world.users["class_teacher"])
    text = page(client.get("/schools/my-class"))
    assert f"/schools/links/{waiting.id}/reject" in text and f"/schools/links/{confirmed.id}/reject" not in text
    assert text.count('data-confirm="') == 1 and "待确认家长" in text.split('data-confirm="')[1].split('"')[0]
    # A confirmed guardian is not removed by a forged request either.
    assert client.post(f"/schools/links/{confirmed.id}/reject").status_code == 302
    assert db.session.get(GuardianLink, confirmed.id) is not None


def test_a_teacher_without_a_class_gets_403_and_another_class_a_404(client, db, world, login):
    login(world.users["teacher"])
    assert client.get("/schools/my-class").status_code == 403

    # A class teacher of another class in the same school cannot confirm this class's links.
    second = factories.create_class(world.own_school, grade_number=2)
    second.class_teacher = world.users["teacher"]
    waiting = factories.create_guardian(world.own_student, verified=False)
    db.session.commit()
    link = waiting.guardian_links[0]
    assert client.post(f"/schools/links/{link.id}/verify").status_code == 404
    assert not db.session.get(GuardianLink, link.id).verified


# --- Guardians binding a child ---


@pytest.fixture
def parent(db, login):
    guardian = factories.create_user(Role.GUARDIAN)
    db.session.commit()
    login(guardian)
    return guardian


def bind(client, world, **overrides):
    data = {"school_id": world.own_school.id, "student_number": world.own_student.student_number,
            "name": world.own_student.name, "relationship": "father"}
    data.update(overrides)
    return client.post("/schools/bind-child", data=data)


def test_guardian_binds_a_child_and_waits_for_the_class_teacher(client, db, world, parent):
    response = bind(client, world)
    assert response.status_code == 302
    link = db.session.scalar(db.select(GuardianLink).filter_by(guardian_id=parent.id))
    assert link.student_id == world.own_student.id and not link.verified
    assert "等待班主任确认" in page(client.get("/schools/bind-child"))


def test_student_number_is_typed_on_a_letters_and_digits_keyboard_in_either_case(client, db, world, parent):
    form = page(client.get("/schools/bind-child"))
    field = form.split('name="student_number"')[0].rsplit("<input", 1)[1] + form.split('name="student_number"')[1]
    field = field.split(">")[0]
    assert 'inputmode="text"' in field and 'autocapitalize="characters"' in field
    world.own_student.student_number = "sy20260001"  # a school that writes its letters small
    db.session.commit()
    assert bind(client, world, student_number="SY20260001").status_code == 302
    assert db.session.scalar(db.select(GuardianLink).filter_by(guardian_id=parent.id)).student_id == \
        world.own_student.id


@pytest.mark.parametrize("overrides", [
    {"student_number": "no-such-number"},
    {"name": "别的名字"},
    {"school_id": "other"},
])
def test_binding_needs_number_and_name_of_that_school(client, db, world, parent, overrides):
    if overrides.get("school_id") == "other":
        overrides = {"school_id": world.other_school.id}
    response = bind(client, world, **overrides)
    assert response.status_code == 200
    # One message whatever was wrong, so the form does not tell which numbers exist.
    assert "未找到学号和姓名都相符的学生" in page(response)
    assert count(db, GuardianLink, guardian_id=parent.id) == 0


def test_binding_the_same_child_twice_is_refused(client, db, world, parent):
    bind(client, world)
    response = bind(client, world, relationship="mother")
    assert response.status_code == 200
    assert "您已绑定这个孩子" in page(response)
    assert count(db, GuardianLink, guardian_id=parent.id) == 1


def test_guardian_unbinds_a_child_but_not_someone_elses(client, db, world, parent):
    bind(client, world)
    link_id = db.session.scalar(db.select(GuardianLink.id).filter_by(guardian_id=parent.id))
    other_link_id = world.users["guardian"].guardian_links[0].id
    assert 'data-confirm="' in page(client.get("/schools/bind-child"))
    assert client.post(f"/schools/children/{other_link_id}/unbind").status_code == 404
    assert client.post(f"/schools/children/{link_id}/unbind").status_code == 302
    assert db.session.get(GuardianLink, link_id) is None
    assert db.session.get(GuardianLink, other_link_id) is not None


# --- County ---


def test_county_officer_sees_the_schools_of_the_county_with_figures(client, db, world, login):
    factories.create_teacher(world.own_school, opted_in=False)
    factories.create_teacher(world.own_school, exempt=True)
    db.session.commit()
    login(world.users["county_officer"])
    text = page(client.get("/schools/county"))
    assert world.own_school.name in text and world.other_school.name in text and world.far_school.name not in text
    # own school: 1 class, 1 student, 4 staff (class teacher, teacher, not opted in, exempt), 2 opted in
    assert "<td>1</td><td>1</td><td>4</td>" in text and 'data-figure="staff-taking-part"' in text
    assert f'data-school="{world.own_school.id}" data-value="2">2</td>' in text
    detail = client.get(f"/schools/county/{world.own_school.id}")
    assert detail.status_code == 200 and world.own_school.name in page(detail)
    assert client.get(f"/schools/county/{world.far_school.id}").status_code == 404
