"""The migrations build exactly the models' schema from an empty database, and come down again, on both databases."""

import logging
import uuid
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.extensions import db
from tests.conftest import build_app, dispose_engines

pytestmark = [pytest.mark.both_databases]

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture
def keep_logging():
    """migrations/env.py calls fileConfig(), which resets the root logger and levels; put them back afterwards."""
    loggers = {name: (logger.disabled, logger.level) for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    root_handlers, root_level = logging.root.handlers[:], logging.root.level
    yield
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.disabled, level = loggers.get(name, (False, logging.NOTSET))
            logger.setLevel(level)
    logging.root.handlers[:] = root_handlers
    logging.root.setLevel(root_level)


@pytest.fixture
def empty_database_url(backend, request, tmp_path):
    """A database with no table at all: a new SQLite file, or a new PostgreSQL database."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        name = f"migrations_{uuid.uuid4().hex[:12]}"
        yield server.create_database(name)
        server.drop_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"


@pytest.fixture
def bare_app(empty_database_url, keep_logging):
    """An app on the empty database, inside its app context; nothing created."""
    app = build_app(empty_database_url)
    with app.app_context():
        yield app
        db.session.remove()
        dispose_engines()


def schema_differences() -> list:
    """What Alembic's autogenerate would write to bring the database to the models (empty when they agree)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def migration_scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config)


def revisions_in_order() -> list[str]:
    """Every revision from the first to the head."""
    script = migration_scripts()
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_there_is_one_head():
    script = migration_scripts()
    assert len(script.get_heads()) == 1, (
        f"several migration heads {script.get_heads()}: merge them (flask db merge heads) or rebase the new one"
    )


def test_upgrade_from_empty_gives_the_models_schema(bare_app):
    flask_migrate.upgrade(directory=MIGRATIONS)
    differences = schema_differences()
    assert differences == [], "models and migrations differ (write a migration: flask db migrate):\n" + "\n".join(
        map(str, differences))
    assert {table.name for table in db.metadata.sorted_tables} <= table_names()


def test_downgrade_to_base_and_upgrade_again(bare_app):
    flask_migrate.upgrade(directory=MIGRATIONS)
    flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
    assert table_names() <= {"alembic_version"}, f"tables left after downgrading to base: {table_names()}"
    flask_migrate.upgrade(directory=MIGRATIONS)
    assert schema_differences() == []


def test_every_step_goes_up_and_down(bare_app):
    """Each revision upgrades from its parent and downgrades back to it, not only the whole chain at once."""
    revisions = revisions_in_order()
    assert revisions, "no migrations found"
    for revision in revisions:
        flask_migrate.upgrade(directory=MIGRATIONS, revision=revision)
        flask_migrate.downgrade(directory=MIGRATIONS, revision="-1")
        flask_migrate.upgrade(directory=MIGRATIONS, revision=revision)
    for _ in revisions:
        flask_migrate.downgrade(directory=MIGRATIONS, revision="-1")
    assert table_names() <= {"alembic_version"}
