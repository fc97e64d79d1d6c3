"""The county board at county size: how long each page takes and how many SQL statements it sends.

    .venv/bin/python benchmarks/county_board.py [--db postgresql|sqlite] [--schools 100] [--students 60000] [--runs 5]

A fresh database (a throwaway PostgreSQL from tests/pg.py, loopback only, or a SQLite file) with the migrations
applied; a generated county seeded into it (benchmarks/county_seed.py: two terms of published rosters, the current
term's last weeks' registers, fees); the board's facts worked out as `flask county refresh` does (timed: what a
county's first refresh costs); then the site, created as in production (create_app("production"), CSRF on), answers
each page of the board through Flask's test client, logged in through the login form as the county officer and as a
principal: the county board (this term, the previous term, a week), a school, a class, and each page's XLSX tables.
Every page is asked for --runs times (the first one too: there is no cache to warm); the figures are the median and
the slowest, in milliseconds of the whole request inside the server process (routing, queries, templates; no network),
and the statements the page sends to the database (counted and timed by SQLAlchemy cursor events; the two slowest of the
last run are named), on a machine whose load is written beside them.

Figures: a table on stdout and benchmarks/county_board_last_run.json (a run of another size writes into its work
folder).
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, commit, fresh_database, serving_env, upgrade, use_in_this_process  # noqa: E402

LAST_RUN = ROOT / "benchmarks" / "county_board_last_run.json"
PASSWORD = "county-board-2026"
TARGET_MS = 1000
DEFAULTS = {"schools": 100, "students": 60000}


class Statements:
    """The statements an engine sends while switched on, each with how long it took."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.on, self.found = False, []  # [seconds, sql]
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def start(self) -> None:
        self.found, self.on = [], True

    def _before(self, _connection, _cursor, statement, *_args) -> None:
        if self.on:
            self.found.append([time.perf_counter(), statement])

    def _after(self, *_args) -> None:
        if self.on and self.found:
            self.found[-1][0] = time.perf_counter() - self.found[-1][0]

    def slowest(self, n: int = 2) -> list[str]:
        return [f"{seconds * 1000:.0f} ms {' '.join(sql.split())[:100]}"
                for seconds, sql in sorted(self.found, key=lambda found: -found[0])[:n]]


def log_in(client, mobile: str) -> None:
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = client.post("/account/login", data={"mobile": mobile, "password": PASSWORD,
                                                    "csrf_token": token.group(1) if token else ""})
    if response.status_code != 302:
        raise RuntimeError(f"{mobile} could not log in: {response.status_code}")


def pages(app, figures: dict) -> list[tuple[str, str, str]]:
    """(who, name, path) of every page timed."""
    from sqlalchemy import select

    from app.extensions import db
    from app.schools.models import School, SchoolClass

    with app.app_context():
        school = db.session.scalar(select(School).where(School.county_id == figures["county_id"]).order_by(School.id))
        school_class = db.session.scalar(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                         .order_by(SchoolClass.id))
        previous_term = figures["terms"][0]
        last_week = date.fromisoformat(figures["last_week"])
    officer, principal = "officer", "principal"
    return [
        (officer, "county board, this term", "/county/board"),
        (officer, "county board, previous term", f"/county/board?term={previous_term}"),
        (officer, "county board, a week", f"/county/board?week={last_week.isoformat()}"),
        (officer, "county board XLSX: schools", "/county/board.xlsx?table=schools"),
        (officer, "county board XLSX: providers", "/county/board.xlsx?table=providers"),
        (officer, "county board XLSX: trend", "/county/board.xlsx?table=trend"),
        (officer, "county board XLSX: what families say", "/county/board.xlsx?table=voices"),
        (officer, "school board", f"/county/board/schools/{school.id}"),
        (officer, "school board XLSX: classes", f"/county/board/schools/{school.id}.xlsx?table=classes"),
        (officer, "class board", f"/county/board/classes/{school_class.id}"),
        (officer, "class board XLSX: days", f"/county/board/classes/{school_class.id}.xlsx"),
        (principal, "school board (principal)", f"/county/board/schools/{school.id}"),
    ]


def time_pages(app, figures: dict, runs: int) -> list[dict]:
    from app.extensions import db

    with app.app_context():
        statements = Statements(db.engine)
    clients = {}
    for who, mobile in (("officer", figures["officer_mobile"]), ("principal", figures["principal_mobile"])):
        clients[who] = app.test_client()
        log_in(clients[who], mobile)
    out = []
    for who, name, path in pages(app, figures):
        client, samples, counts = clients[who], [], []
        for _ in range(runs):
            statements.start()
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
            statements.on = False
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            samples.append(elapsed * 1000)
            counts.append(len(statements.found))
        out.append({"who": who, "page": name, "path": path, "median_ms": round(statistics.median(samples), 1),
                    "max_ms": round(max(samples), 1), "statements": max(counts), "bytes": len(response.data),
                    "slowest_statements_last_run": statements.slowest()})
        print(f"{name:38} {out[-1]['median_ms']:8.1f} ms median {out[-1]['max_ms']:8.1f} ms max "
              f"{out[-1]['statements']:4d} statements; slowest: {'; '.join(statements.slowest())}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--schools", type=int, default=DEFAULTS["schools"])
    parser.add_argument("--students", type=int, default=DEFAULTS["students"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="county-board-"))
    pg, url = fresh_database(args.db, workdir, "county")
    try:
        env = serving_env(url, "100000 per minute")
        upgrade(env)
        use_in_this_process(env)
        from county_seed import seed_county

        from app import create_app
        from app.accounts.models import User
        from app.county import facts
        from app.extensions import db
        from app.models_base import local_today
        from app.schools.models import County

        app = create_app("production")
        with app.app_context():
            today = local_today()
            user = User()
            user.set_password(PASSWORD)
            started = time.monotonic()
            figures = seed_county(schools=args.schools, students=args.students, password_hash=user.password_hash,
                                  seed=args.seed, today=today)
            db.session.commit()
            seeded_s = time.monotonic() - started
            print(f"seeded in {seeded_s:.0f} s: {figures}", flush=True)
            started = time.monotonic()
            facts.refresh_county(db.session.get(County, figures["county_id"]))
            db.session.commit()
            refresh_s = time.monotonic() - started
            print(f"facts refreshed in {refresh_s:.0f} s", flush=True)
        figures["last_week"] = date.fromordinal(today.toordinal() - today.weekday() - 7).isoformat()
        load_before = os.getloadavg()
        results = time_pages(app, figures, args.runs)
        slowest = max(r["max_ms"] for r in results)
        run = {"commit": commit(), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "database": args.db,
               "size": {k: figures[k] for k in ("schools", "classes", "students", "applications", "weeks",
                                                "sessions", "marks", "ledger")},
               "seed_seconds": round(seeded_s), "refresh_seconds": round(refresh_s), "runs_per_page": args.runs,
               "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
                           "load_average_after": [round(x, 2) for x in os.getloadavg()]},
               "pages": results, "target_ms": TARGET_MS, "every_page_under_target": slowest < TARGET_MS}
        default_size = args.schools == DEFAULTS["schools"] and args.students == DEFAULTS["students"]
        out = LAST_RUN if default_size and args.db == "postgresql" else workdir / "county_board_run.json"
        out.write_text(json.dumps(run, ensure_ascii=False, indent=2) + "\n")
        print(f"slowest page {slowest:.0f} ms (target < {TARGET_MS} ms); figures in {out}")
    finally:
        if pg:
            pg.stop()


if __name__ == "__main__":
    main()
