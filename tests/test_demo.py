"""`flask demo` loads the demo county once, every listed login works through the login form, --reset reloads it."""

import pytest

from app import demo
from app.accounts.models import Role, User
from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student

pytestmark = pytest.mark.both_databases


def run_demo(runner, *args: str):
    result = runner.invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def counts(db) -> dict[str, int]:
    return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (County, School, Grade, SchoolClass, Student, User)}


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


def test_loading_twice_adds_nothing(db, runner):
    run_demo(runner)
    before = counts(db)
    result = run_demo(runner)
    assert "already loaded" in result.output
    assert counts(db) == before


def test_reset_reloads_the_demo(db, runner):
    run_demo(runner)
    before = counts(db)
    school = db.session.scalar(db.select(School).filter_by(code="SY"))
    school.name = "改过的名字"
    db.session.delete(school.grades[0].classes[0].students[-1])
    db.session.commit()
    run_demo(runner, "--reset")
    db.session.expire_all()
    assert counts(db) == before
    assert db.session.scalar(db.select(School.name).filter_by(code="SY")) == "实验小学"
