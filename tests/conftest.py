"""Shared fixtures: a fresh app and database per test, a client, and logging in as any role."""

import contextvars
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.accounts.models import User
from app.extensions import db as _db
from tests import factories


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a real server would, while the test keeps its own.

    Without this, requests would share the test's app context: its `g` (Flask-Login's cached user) and its
    database session, hiding exactly the bugs (stale sessions, cached users) that the tests look for.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _db.session.expire_all()
        return response


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the Chinese catalog when its .po is newer than the .mo, so a plain `pytest` sees current text."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parent.parent / "app/translations/zh/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as source, mo.open("wb") as target:
            write_mo(target, read_po(source, locale="zh_Hans_CN"))


@pytest.fixture
def app():
    """An app on a fresh in-memory database (tables from the models; migrations are tested on their own)."""
    app = create_app("testing")
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    """Two schools of one county (own and other) and a school of another county, with one user per role."""

    county: object
    own_school: object
    other_school: object
    far_school: object
    own_class: object
    other_class: object
    own_student: object
    other_student: object
    users: dict[str, User]
    other_users: dict[str, User]


def _school_users(school, school_class, student, provider) -> dict[str, User]:
    class_teacher = factories.create_teacher(school)
    school_class.class_teacher = class_teacher
    return {
        "guardian": factories.create_guardian(student),
        "class_teacher": class_teacher,
        "teacher": factories.create_teacher(school),
        "school_admin": factories.create_school_admin(school),
        "provider_staff": factories.create_provider_staff(provider),
    }


@pytest.fixture
def world(app) -> World:
    """The standard cast for access tests."""
    county = factories.create_county()
    own_school = factories.create_school(county)
    other_school = factories.create_school(county)
    far_school = factories.create_school()
    own_class = factories.create_class(own_school)
    other_class = factories.create_class(other_school)
    own_student = factories.create_student(own_class)
    other_student = factories.create_student(other_class)
    provider = factories.create_provider(county)
    other_provider = factories.create_provider(far_school.county)
    users = _school_users(own_school, own_class, own_student, provider)
    users["county_officer"] = factories.create_county_officer(county)
    other_users = _school_users(other_school, other_class, other_student, other_provider)
    other_users["county_officer"] = factories.create_county_officer(far_school.county)
    _db.session.commit()
    return World(county, own_school, other_school, far_school, own_class, other_class, own_student, other_student,
                 users, other_users)


@pytest.fixture
def login(client):
    """Log the test client in as a user, through the real login form."""

    def do_login(user: User, password: str = factories.PASSWORD):
        response = client.post("/account/login", data={"mobile": user.mobile, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login
