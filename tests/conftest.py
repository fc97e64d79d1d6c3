"""Shared fixtures: a fresh app and database per test, a client, and logging in as any role.

The database is SQLite in memory unless a test module asks for both databases with
`pytestmark = pytest.mark.both_databases`: then each of its tests runs once on SQLite and once on a real
PostgreSQL server (marked `postgres`) that this session starts (see tests/pg.py). PostgreSQL tables are created
once per session and emptied before each test. `@pytest.mark.settings(NAME=value)` changes the app's config.
"""

import contextvars
import os
from dataclasses import dataclass

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from app import create_app
from app.accounts.models import User
from app.extensions import db as _db
from config import TestingConfig
from tests import factories
from tests.pg import PostgresServer, PostgresUnavailable
from tests.redis_server import RedisServer, RedisUnavailable


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a real server would, while the test keeps its own.

    Without this, requests would share the test's app context: its `g` (Flask-Login's cached user) and its
    database session, hiding exactly the bugs (stale sessions, cached users) that the tests look for.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # not inside a redirect followed from an isolated request
            _db.session.expire_all()
        return response


def unavailable(reason: str) -> None:
    """Skip a test whose tool is missing on this machine, but fail under CI, which must not skip silently."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} [CI is set, so this is a failure, not a skip]", pytrace=False)
    pytest.skip(reason)


def build_app(database_url: str | None = None, **settings) -> Flask:
    """A testing app on a database URL (None: TestingConfig's own choice), with config values overridden."""

    class Config(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            if database_url is not None:
                self.SQLALCHEMY_DATABASE_URI = database_url

    for name, value in settings.items():
        setattr(Config, name, value)
    app = create_app(Config)
    app.test_client_class = IsolatedClient
    return app


def dispose_engines() -> None:
    """Close the pooled connections of the current app's engines (one app per test, so no pool is reused)."""
    for engine in _db.engines.values():
        engine.dispose()


def empty_tables() -> None:
    """Empty every table (and on PostgreSQL restart the ids), so no test sees another's rows.

    DELETE on these small tables takes a tenth of the time of TRUNCATE (which recreates every table's files);
    foreign keys are switched off meanwhile (replica mode on PostgreSQL, the pragma on SQLite), so the order of
    the tables does not matter. SQLite reuses ids from 1 once a table is empty.
    """
    deletes = [f'DELETE FROM "{table.name}"' for table in _db.metadata.sorted_tables]
    if _db.engine.dialect.name == "sqlite":
        with _db.engine.connect() as connection:
            # PRAGMA foreign_keys only changes outside a transaction: read it, switch off, delete, put it back.
            enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            for statement in deletes:
                connection.exec_driver_sql(statement)
            connection.commit()
            connection.exec_driver_sql(f"PRAGMA foreign_keys = {int(enforced)}")
            connection.commit()
        return
    with _db.engine.begin() as connection:
        # A connection a test left in a transaction would block us: fail after a while rather than hang.
        connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        sequences = connection.exec_driver_sql(
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'").scalars()
        restarts = [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        connection.exec_driver_sql("; ".join(deletes + restarts))


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the Chinese catalog when its .po is newer than the .mo, so a plain `pytest` sees current text."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parent.parent / "app/translations/zh/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        # Written aside and renamed: parallel workers may both compile, and neither may read half a file.
        partial = mo.with_name(f"messages.mo.{os.getpid()}")
        with po.open("rb") as source, partial.open("wb") as target:
            write_mo(target, read_po(source, locale="zh_Hans_CN"))
        os.replace(partial, mo)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this test process (one per xdist worker), stopped at the end of the session."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as error:
        unavailable(str(error))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A Redis server for this test process (one per xdist worker), stopped at the end of the session."""
    try:
        server = RedisServer()
    except RedisUnavailable as error:
        unavailable(str(error))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """A PostgreSQL database with every table of the models, created once for the session."""
    url = postgres_server.create_database("kehou_test")
    app = build_app(url)
    with app.app_context():
        _db.create_all()
        dispose_engines()
    return url


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def pytest_generate_tests(metafunc):
    """Run the tests of modules marked `both_databases` on SQLite and on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_databases") and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """'sqlite', 'postgresql', or 'default' (TestingConfig's choice: in-memory SQLite unless TEST_DATABASE_URL)."""
    return getattr(request, "param", "default")


@pytest.fixture
def app(backend, request):
    """An app on a fresh, empty database (tables from the models; migrations are tested on their own)."""
    marker = request.node.get_closest_marker("settings")
    settings = marker.kwargs if marker else {}
    if backend == "postgresql":
        app = build_app(request.getfixturevalue("postgres_url"), **settings)
        with app.app_context():
            empty_tables()
            yield app
            _db.session.remove()
            dispose_engines()
        return
    app = build_app("sqlite://" if backend == "sqlite" else None, **settings)
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        dispose_engines()


@pytest.fixture(scope="session")
def _shared_apps():
    apps: dict[str, Flask] = {}
    yield apps
    for app in apps.values():
        with app.app_context():
            dispose_engines()


@pytest.fixture
def shared_app(backend, request, _shared_apps):
    """Like `app` (an empty database per test) but one app object per backend for the whole session.

    Building an app costs more than most tests (Werkzeug compiles every URL rule), so tests that only send
    requests, like the authorization matrix's thousands of cases, use this. Config changes are undone after
    each test; a test that changes the app in other ways (new routes, extensions) must use `app`.
    """
    if backend not in _shared_apps:
        url = request.getfixturevalue("postgres_url") if backend == "postgresql" else "sqlite://"
        app = build_app(None if backend == "default" else url)
        with app.app_context():
            _db.create_all()
        _shared_apps[backend] = app
    app = _shared_apps[backend]
    config = app.config.copy()
    with app.app_context():
        empty_tables()
        yield app
        _db.session.remove()
    app.config.clear()
    app.config.update(config)


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
        "coordinator": factories.create_coordinator(school),
        "finance": factories.create_finance_officer(school),
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


@pytest.fixture
def login_as(client, login):
    """Log in as someone else: whoever was logged in logs out first."""

    def switch(user: User):
        client.post("/account/logout")
        return login(user)

    return switch


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def racing_app(request, tmp_path):
    """An app on a database that separate connections share, for tests that race threads against each other.

    A SQLite file (with a busy timeout) or PostgreSQL; the pool holds the module's POOL_SIZE connections.
    """
    pool_size = getattr(request.module, "POOL_SIZE", 8)
    if request.param == "sqlite":
        app = build_app(f"sqlite:///{tmp_path / 'shared.sqlite'}",
                        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 60}, "pool_size": pool_size})
        with app.app_context():
            _db.create_all()
    else:
        app = build_app(request.getfixturevalue("postgres_url"), SQLALCHEMY_ENGINE_OPTIONS={"pool_size": pool_size})
        with app.app_context():
            empty_tables()
    yield app
    with app.app_context():
        if request.param == "postgresql":
            empty_tables()
        dispose_engines()
