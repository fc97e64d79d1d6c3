"""scripts/backup.sh and scripts/restore.sh, round trip on a copy of the demo county on PostgreSQL: every table has
the same rows after a restore into a fresh database (counts, and the first and last rows of each), and the id
sequences go on where they were, so the restored site's next row does not collide."""

import re
import subprocess

import psycopg
import pytest
from sqlalchemy import text

from app.extensions import db
from tests.conftest import build_app, dispose_engines
from tests.serving import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SAMPLE = 5  # rows from each end of every table


def libpq(url: str) -> str:
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def table_contents(url: str) -> dict[str, tuple[int, list, list]]:
    """Per table: its row count and its first and last rows by primary key."""
    contents = {}
    with psycopg.connect(libpq(url)) as connection:
        for table in db.metadata.sorted_tables:
            order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns) or "1"
            count = connection.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            first = connection.execute(f'SELECT * FROM "{table.name}" ORDER BY {order} LIMIT {SAMPLE}').fetchall()
            last = connection.execute(
                f'SELECT * FROM "{table.name}" ORDER BY {order.replace(",", " DESC,")} DESC LIMIT {SAMPLE}').fetchall()
            contents[table.name] = (count, first, last)
        contents["alembic_version"] = (0, connection.execute("SELECT version_num FROM alembic_version").fetchall(), [])
    return contents


def sequences(url: str) -> dict[str, int]:
    with psycopg.connect(libpq(url)) as connection:
        return dict(connection.execute("SELECT sequencename, last_value FROM pg_sequences").fetchall())


def run(script: str, url: str, *args: str) -> str:
    result = subprocess.run([str(ROOT / "scripts" / script), *args], cwd=ROOT, env={"PATH": "/usr/bin:/bin",
                            "DATABASE_URL": url}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_backup_of_the_demo_restores_whole_into_a_fresh_database(postgres_server, tmp_path):
    source = postgres_server.create_database("kehou_backup_source")
    app = build_app(source)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:  # what `flask db upgrade` leaves: the schema's version
            connection.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
            connection.execute(text("INSERT INTO alembic_version VALUES ('backed-up')"))
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        dispose_engines()
    before, numbers = table_contents(source), sequences(source)
    assert before["student"][0] > 100 and before["application"][0] > 100  # the demo county, not an empty shell

    backup = tmp_path / "nightly" / "kehou.dump"
    assert run("backup.sh", source, str(backup)).strip() == str(backup)
    assert backup.stat().st_size > 0 and not (tmp_path / "nightly" / "kehou.dump.partial").exists()

    restored = postgres_server.create_database("kehou_backup_restored")
    run("restore.sh", restored, str(backup))
    after = table_contents(restored)
    assert {name: counts[0] for name, counts in after.items()} == {name: counts[0] for name, counts in before.items()}
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the restore"
    assert sequences(restored) == numbers

    # A restore never lands on a database that has tables: it fails whole and changes nothing.
    with pytest.raises(AssertionError, match="restore.sh failed"):
        run("restore.sh", restored, str(backup))
    assert table_contents(restored)["student"][0] == before["student"][0]
