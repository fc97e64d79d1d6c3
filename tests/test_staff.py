"""Staff pages: adding and editing staff, exemption, deactivation, and a teacher's own participation."""

import re

import pytest

from app.accounts.models import Role, User
from app.schools.models import SchoolClass
from app.staff.models import StaffProfile, StaffType
from tests import factories


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(world, login):
    login(world.users["school_admin"])
    return world.users["school_admin"]


def new_staff(**overrides) -> dict:
    data = {"name": "钱老师", "mobile": "13711112222", "staff_type": "teacher", "password": "first-pass-1",
            "subjects": ["数学", "体育"], "skills": ["supervision", "sports"]}
    data.update(overrides)
    return data


def logs_in(app, mobile: str, password: str) -> bool:
    fresh = app.test_client()
    return fresh.post("/account/login", data={"mobile": mobile, "password": password}).status_code == 302


def test_list_shows_types_and_badges(client, db, world, admin):
    factories.create_teacher(world.own_school, name="免除老师", exempt=True, opted_in=False)
    factories.create_teacher(world.own_school, name="志愿者甲", staff_type=StaffType.VOLUNTEER, opted_in=False)
    db.session.commit()
    text = page(client.get("/staff/"))
    assert "免除老师" in text and "志愿者甲" in text and world.other_users["teacher"].name not in text
    assert "已免除" in text and "已报名" in text and "未报名" in text and "志愿者" in text


def test_admin_adds_staff_with_a_chosen_password(app, client, db, world, admin):
    response = client.post("/staff/new", data=new_staff())
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(mobile="13711112222"))
    assert user.role is Role.TEACHER and user.school_id == world.own_school.id
    profile = user.staff_profile
    assert profile.staff_type is StaffType.TEACHER and profile.subjects == ["数学", "体育"]
    assert profile.skills == ["supervision", "sports"] and not profile.opted_in
    assert logs_in(app, "13711112222", "first-pass-1")


def test_a_generated_password_is_shown_once_and_works(app, client, db, world, admin):
    response = client.post("/staff/new", data=new_staff(password=""))
    assert response.status_code == 200
    shown = re.search(r"<code>([^<]+)</code>", page(response)).group(1)
    assert logs_in(app, "13711112222", shown)
    assert shown not in page(client.get("/staff/"))


def test_duplicate_mobile_and_bad_fields_write_nothing(client, db, world, admin):
    taken = world.users["guardian"].mobile
    response = client.post("/staff/new", data=new_staff(mobile=taken, name="x" * 51, skills=["new_lesson"]))
    text = page(response)
    assert response.status_code == 200
    assert "该手机号已有账号" in text and "最多50个字符" in text
    assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(mobile=taken)) == 1
    assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(name="x" * 51)) == 0


def test_skills_offer_every_activity_but_new_lessons(client, admin):
    text = page(client.get("/staff/new"))
    assert 'value="homework_help"' in text and 'value="games"' in text
    assert 'value="new_lesson"' not in text
    assert 'value="道德与法治"' in text and 'value="信息技术"' in text


def test_admin_edits_a_volunteer_with_their_limits(client, db, world, admin):
    member = world.users["teacher"]
    response = client.post(f"/staff/{member.id}", data={
        "name": "改名", "mobile": member.mobile, "staff_type": "volunteer", "skills": ["reading"],
        "max_weekly_minutes": "180", "max_days": "2"})
    assert response.status_code == 302
    profile = db.session.get(StaffProfile, member.staff_profile.id)
    assert (profile.staff_type, profile.max_weekly_minutes, profile.max_days) == (StaffType.VOLUNTEER, 180, 2)
    assert profile.skills == ["reading"] and db.session.get(User, member.id).name == "改名"

    response = client.post(f"/staff/{member.id}", data={
        "name": "改名", "mobile": member.mobile, "staff_type": "volunteer", "max_days": "8"})
    assert response.status_code == 200
    assert db.session.get(StaffProfile, member.staff_profile.id).max_days == 2


def test_exemption_needs_a_reason_and_ends_the_opt_in(client, db, world, admin):
    member = world.users["teacher"]
    response = client.post(f"/staff/{member.id}/exempt", data={"exempt": "y", "reason": ""})
    assert response.status_code == 200
    assert "请填写免除的原因" in page(response)
    assert not db.session.get(User, member.id).staff_profile.exempt

    assert client.post(f"/staff/{member.id}/exempt", data={"exempt": "y", "reason": "孕期"}).status_code == 302
    profile = db.session.get(User, member.id).staff_profile
    assert profile.exempt and profile.exempt_reason == "孕期" and not profile.opted_in

    client.post(f"/staff/{member.id}/exempt", data={"reason": "孕期"})
    profile = db.session.get(User, member.id).staff_profile
    assert not profile.exempt and profile.exempt_reason == ""


def test_deactivated_staff_cannot_log_in_and_lead_no_class(app, client, db, world, admin):
    member = world.users["class_teacher"]
    edit_page = page(client.get(f"/staff/{member.id}"))
    assert f'action="/staff/{member.id}/deactivate"' in edit_page and "data-confirm=" in edit_page
    assert client.post(f"/staff/{member.id}/deactivate").status_code == 302
    assert not db.session.get(User, member.id).is_active_account
    assert db.session.get(SchoolClass, world.own_class.id).class_teacher_id is None
    assert not logs_in(app, member.mobile, factories.PASSWORD)


def test_another_schools_staff_and_non_staff_are_404(client, db, world, admin):
    other = world.other_users["teacher"]
    assert client.get(f"/staff/{other.id}").status_code == 404
    assert client.post(f"/staff/{other.id}/deactivate").status_code == 404
    assert db.session.get(User, other.id).is_active_account
    assert client.get(f"/staff/{admin.id}").status_code == 404


# --- A teacher's own participation ---


def test_teacher_opts_in_and_out_and_sets_skills(client, db, world, login):
    teacher = factories.create_teacher(world.own_school, opted_in=False)
    db.session.commit()
    login(teacher)
    text = page(client.get("/staff/me"))
    assert "自愿" in text
    response = client.post("/staff/me", data={"opted_in": "y", "skills": ["supervision", "games"]})
    assert response.status_code == 302
    profile = db.session.get(User, teacher.id).staff_profile
    assert profile.opted_in and profile.skills == ["supervision", "games"]

    client.post("/staff/me", data={"skills": ["supervision"]})
    assert not db.session.get(User, teacher.id).staff_profile.opted_in


def test_an_exempt_teacher_cannot_opt_in_or_lift_the_exemption(client, db, world, login):
    teacher = factories.create_teacher(world.own_school, opted_in=False, exempt=True)
    db.session.commit()
    login(teacher)
    response = client.post("/staff/me", data={"opted_in": "y", "exempt": "", "skills": ["supervision"]})
    assert response.status_code == 200
    assert "您已被免除课后服务" in page(response)
    profile = db.session.get(User, teacher.id).staff_profile
    assert profile.exempt and not profile.opted_in
    assert client.post(f"/staff/{teacher.id}/exempt", data={"reason": ""}).status_code == 403


def test_a_volunteer_states_their_own_limits(client, db, world, login):
    volunteer = factories.create_teacher(world.own_school, staff_type=StaffType.VOLUNTEER, opted_in=False)
    db.session.commit()
    login(volunteer)
    assert client.post("/staff/me", data={"opted_in": "y", "skills": ["reading"], "max_weekly_minutes": "90",
                                          "max_days": "1"}).status_code == 302
    profile = db.session.get(User, volunteer.id).staff_profile
    assert (profile.opted_in, profile.max_weekly_minutes, profile.max_days) == (True, 90, 1)
