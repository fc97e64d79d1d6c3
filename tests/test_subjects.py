"""A session's subject comes from the policy's list (002 (二)3), so a subject-type one cannot pass as non-subject."""

from datetime import date

import flask_migrate
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.rosters import services
from app.rosters.models import PlannedSession, SessionTemplate
from scheduling.policy import SUBJECT_TYPE_SUBJECTS, SUBJECTS
from tests import factories
from tests.conftest import build_app, dispose_engines
from tests.test_import import import_dir, problems, upload  # noqa: F401 - import_dir: the upload folder
from tests.test_migrations import MIGRATIONS
from tests.test_migrations import keep_logging as keep_logging  # a fixture: the migrations reset logging

MONDAY_DAY = "2026-11-23"
BEFORE_SUBJECT_LIST, SUBJECT_LIST = "a3fb7ccb7ca6", "f8237fae8f35"  # the data migration and its parent


@pytest.fixture
def admin(world, login, client):
    factories.create_term(world.own_school)
    db.session.commit()
    login(world.users["school_admin"])
    return world.users["school_admin"]


def template_data(world, **changes) -> dict:
    data = {"series": "英语角", "weekdays": [0], "starts_at": "15:40", "ends_at": "17:40", "kind": "after_school",
            "activity": "club", "classes": [world.own_class.id], "subject": "外语"}
    return data | changes


@pytest.mark.parametrize("typed", ["英语", "奥数", "Maths"])
def test_a_template_or_session_subject_off_the_list_is_refused(client, world, admin, typed):
    page = client.post("/rosters/templates/new", data=template_data(world, subject=typed)).get_data(as_text=True)
    assert "请从列表中选择学科" in page
    assert db.session.scalar(db.select(db.func.count(SessionTemplate.id))) == 0
    week = services.open_week(world.own_school, date(2026, 11, 23))
    db.session.commit()
    page = client.post(f"/rosters/weeks/{week.id}/sessions/new", data=template_data(
        world, on_date=MONDAY_DAY, subject=typed, enrolled="10", staff_needed="1")).get_data(as_text=True)
    assert "请从列表中选择学科" in page
    assert db.session.scalar(db.select(db.func.count(PlannedSession.id))) == 0


def test_the_form_offers_the_list_and_keeps_the_subject_chosen(client, world, admin):
    form = client.get("/rosters/templates/new").get_data(as_text=True)
    select = form.split('name="subject"')[1].split("</select>")[0]
    assert all(f'value="{name}"' in select for name in SUBJECTS)
    assert client.post("/rosters/templates/new", data=template_data(world)).status_code == 302
    template = db.session.scalar(db.select(SessionTemplate))
    assert template.subject == "外语" and template.subject in SUBJECT_TYPE_SUBJECTS


def test_a_staff_import_reads_other_names_of_a_subject_and_refuses_unknown_ones(client, world, admin):
    rows = ["姓名,手机号,类型,学科,技能",
            "钱一,13700000001,teacher,英语、体育与健康,supervision",  # other names of 外语 and 体育
            "孙二,13700000002,teacher,奥林匹克,supervision"]
    found = problems(upload(client, "staff", "\n".join(rows).encode(), "staff.csv"))
    assert len(found) == 1
    row, column, message = found[0]
    assert (row, column) == ("3", "学科") and "奥林匹克" in message and "请从以下学科中选择" in message
    assert all(name in message for name in SUBJECTS)


def test_the_migration_maps_other_names_and_blanks_unknown_subjects(tmp_path, keep_logging, capsys):
    """Rows written as the schema stood before the migration (plain SQL: today's models have columns that schema has
    not), read back after it."""
    app = build_app(f"sqlite:///{tmp_path / 'subjects.sqlite'}")
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision=BEFORE_SUBJECT_LIST)
        with db.engine.begin() as connection:
            county = connection.execute(sa.text("INSERT INTO county (name, code) VALUES ('县', 'X') RETURNING id"))
            school = connection.execute(sa.text(
                "INSERT INTO school (county_id, code, name, school_type, address, work_end_winter, work_end_summer, "
                "summer_starts, winter_starts) VALUES (:county, 'S', '小学', 'primary', '', '17:00:00.000000', "
                "'17:30:00.000000', '05-01', '10-01') RETURNING id"), {"county": county.scalar_one()}).scalar_one()
            for typed in ("英语", "奥数", "书法", "体育", ""):
                connection.execute(sa.text(
                    "INSERT INTO session_template (school_id, series, weekdays, starts_at, ends_at, kind, activity, "
                    "subject, room, active) VALUES (:school, :series, '[0]', '15:40:00.000000', '17:40:00.000000', "
                    "'after_school', 'club', :subject, '', 1)"), {"school": school, "series": typed or "看护",
                                                                  "subject": typed})
        flask_migrate.upgrade(directory=MIGRATIONS, revision=SUBJECT_LIST)
        with db.engine.connect() as connection:
            stored = dict(connection.execute(sa.text("SELECT series, subject FROM session_template")).all())
        assert stored == {"英语": "外语", "奥数": "数学", "书法": "", "体育": "体育", "看护": ""}
        assert "session_template 3: subject '书法' is not on the list" in capsys.readouterr().err
        db.session.remove()
        dispose_engines()


def test_a_subject_type_subject_chosen_for_holiday_care_meets_the_holiday_rule(app, client, world, admin):
    week = services.open_week(world.own_school, date(2026, 11, 23))
    db.session.commit()
    response = client.post(f"/rosters/weeks/{week.id}/sessions/new", data=template_data(
        world, kind="holiday_care", on_date=MONDAY_DAY, enrolled="10", staff_needed="1"))
    assert response.status_code == 302
    with app.test_request_context():
        assert "HOLIDAY_ACTIVITY" in {finding["rule"] for finding in services.plan_problems(week)}
