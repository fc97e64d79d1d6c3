"""Where a sign-up journey's server CPU goes: each step's CPU in the web process and in PostgreSQL, its statements,
and (--profile) the functions that cost the most, for the steps of benchmarks/signup_load.py.

    .venv/bin/python benchmarks/signup_profile.py [--guardians 40] [--profile apply] [--top 40]
    .venv/bin/python benchmarks/signup_profile.py --sampled [--guardians 400] [--top 60]

A throwaway PostgreSQL (tests/pg.py) upgraded by the migrations and seeded as the sign-up benchmark seeds it
(signup_load.seed_signup_day); then create_app("production") in this process, and each guardian's journey through
Flask's test client one request at a time: login page, login, notice, form, apply, application. The web CPU is this
process's (time.process_time: Flask, SQLAlchemy, Jinja, the password hash); the database CPU is the PostgreSQL
backends' (psutil). No network and no gunicorn: what is left is what the code itself costs, so two commits can be
compared here on a busy machine better than with the load benchmark (which also counts gunicorn and HTTP). The
first guardians warm the caches and are not counted.

cProfile's own cost per call inflates functions that are called often and cost little (proxies, attribute access):
`--sampled` runs the same journeys under py-spy instead (a sampling profiler, pinned in requirements-bench.txt,
400 samples a second of wall time, so waiting on PostgreSQL shows too) and prints each function's share of the
samples taken inside the site's requests (under Flask.wsgi_app, the warm-up's left out): inclusive, and own.
"""

import argparse
import cProfile
import functools
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import cpu_seconds, fresh_database, postmaster_pid  # noqa: E402
from signup_load import STEPS, seeded_site, sign_up  # noqa: E402

WARM_UP = 5


def warm_up(client, path: str, **request):
    """A warm-up's request (templates compiled, statements cached): a frame of its own, which --sampled leaves out."""
    return client.open(path, **request)


def journeys(app, plan: dict, db_pids: list[int], profile_step: str | None,
             show_statements: bool = False) -> tuple[dict, dict, object]:
    """Each guardian's journey; per step the web and database CPU (ms, after the warm-up) and the statements."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():  # only to find the engine: each request has its own context, as when served
        engine = db.engine
    statements = {"n": 0, "shown": []}

    def count(_conn, _cursor, sql, *_args) -> None:
        statements["n"] += 1
        statements["shown"].append(sql)

    def columns(_conn, cursor, *_args) -> None:
        if statements["shown"]:
            width = len(cursor.description or ())
            statements["shown"][-1] = f"{width:>3} columns  {' '.join(statements['shown'][-1].split())[:150]}"

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "after_cursor_execute", columns)
    web: dict[str, list[float]] = {step: [] for step in STEPS}
    database: dict[str, list[float]] = {step: [] for step in STEPS}
    queries: dict[str, list[int]] = {step: [] for step in STEPS}
    profiler = cProfile.Profile() if profile_step else None

    def step(client, n: int, name: str, path: str, data: dict | None) -> tuple[int, str, str]:
        """One request of guardian n's journey (a POST with data), measured unless it is a warm-up's."""
        counted = n >= WARM_UP
        before_db, before_n = cpu_seconds(db_pids), statements["n"]
        if profiler and counted and profile_step in (name, "journey"):
            profiler.enable()
        started = time.process_time()
        response = (client.open if counted else functools.partial(warm_up, client))(
            path, method="POST" if data is not None else "GET", data=data)
        spent = time.process_time() - started
        if profiler and counted and profile_step in (name, "journey"):
            profiler.disable()
        if n == WARM_UP and show_statements:
            print(f"--- {name}: {response.status_code}")
            for line in statements["shown"]:
                print("   ", line)
        statements["shown"] = []
        if counted:
            web[name].append(spent * 1000)
            database[name].append((cpu_seconds(db_pids) - before_db) * 1000)
            queries[name].append(statements["n"] - before_n)
        location = urlsplit(response.headers.get("Location", "")).path
        return response.status_code, location, response.get_data(as_text=True)

    for n, guardian in enumerate(plan["guardians"]):
        client = app.test_client()
        sign_up(guardian, plan, lambda name, path, data, client=client, n=n: step(client, n, name, path, data))
    event.remove(engine, "before_cursor_execute", count)
    event.remove(engine, "after_cursor_execute", columns)
    figures = {}
    for name in STEPS:
        rows = len(web[name]) or 1
        figures[name] = {"web_cpu_ms": round(sum(web[name]) / rows, 2),
                         "db_cpu_ms": round(sum(database[name]) / rows, 2),
                         "statements": round(sum(queries[name]) / rows, 1)}
    total = {"web_cpu_ms": round(sum(f["web_cpu_ms"] for f in figures.values()), 1),
             "db_cpu_ms": round(sum(f["db_cpu_ms"] for f in figures.values()), 1),
             "statements": round(sum(f["statements"] for f in figures.values()), 1)}
    return figures, total, profiler


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time summed by where the function lives: a site-packages distribution, the app's package, the stdlib."""
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            package = filename.split("site-packages/")[1].split("/")[0]
        elif filename.startswith(str(Path(__file__).resolve().parents[1])):
            package = "/".join(Path(filename).relative_to(Path(__file__).resolve().parents[1]).parts[:2])
        elif filename == "~":
            package = f"builtin {function}"[:28]
        else:
            package = "stdlib " + Path(filename).name
        totals[package] = totals.get(package, 0.0) + own
    return sorted(totals.items(), key=lambda item: -item[1])


REQUEST_FRAME = "Flask.wsgi_app "  # py-spy names a frame "function (file:line)": stacks of the site's requests
WARM_UP_FRAME = "warm_up "  # ... but not of the warm-up's
LINE_NUMBER = re.compile(r":\d+\)$")


def sampled_shares(raw: Path) -> tuple[int, Counter, Counter]:
    """py-spy's raw output (one "frame;frame;... count" line per stack) summed by function over the stacks inside a
    counted request: the samples, and per function those it was on the stack for (inclusive) and at the top of
    (own)."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        if (not any(frame.startswith(REQUEST_FRAME) for frame in frames)
                or any(frame.startswith(WARM_UP_FRAME) for frame in frames)):
            continue
        total += int(count)
        for function in set(frames):
            inclusive[function] += int(count)
        own[frames[-1]] += int(count)
    return total, inclusive, own


def sampled(args) -> None:
    """The journeys of this script run again under py-spy; the shares of the functions in the site's requests."""
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        sys.exit(f"{py_spy} is missing: .venv/bin/pip install -r requirements-bench.txt")
    with tempfile.TemporaryDirectory(prefix="signup-sampled-") as folder:
        raw = Path(folder) / "journeys.raw"
        subprocess.run([py_spy, "record", "--rate", "400", "--format", "raw", "--output", raw, "--",
                        sys.executable, __file__, "--guardians", str(args.guardians), "--seed", str(args.seed)],
                       check=True)
        total, inclusive, own = sampled_shares(raw)
    if not total:
        sys.exit("py-spy took no sample inside a request")
    print(f"\n{total} samples inside the site's requests ({args.guardians} journeys)")
    for title, counts in (("inclusive (on the stack)", inclusive), ("own (at the top of the stack)", own)):
        print(f"\n--- {title} ---")
        shown = [(function, count) for function, count in counts.most_common() if count < total]  # not the harness
        for function, count in shown[:args.top]:
            print(f"{100 * count / total:5.1f} %  {function[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guardians", type=int, default=40)
    parser.add_argument("--profile", choices=[*STEPS, "journey"],
                        help="profile this step, or the whole journey (cProfile: by package, cumulative, own time)")
    parser.add_argument("--top", type=int, default=40, help="functions listed with --profile or --sampled")
    parser.add_argument("--statements", action="store_true", help="print one journey's statements, step by step")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sampled", action="store_true",
                        help="the journeys under py-spy: each function's share of the requests' samples")
    args = parser.parse_args()
    if args.sampled:
        sampled(args)
        return

    with tempfile.TemporaryDirectory(prefix="signup-profile-") as folder:
        pg, url = fresh_database("postgresql", Path(folder), "signup_profile")
        try:
            _, app, plan, _ = seeded_site(url, args.guardians + WARM_UP, args.seed)
            app.config["SESSION_COOKIE_SECURE"] = False  # the test client speaks plain HTTP
            app.config["REMEMBER_COOKIE_SECURE"] = False
            db_pids = [postmaster_pid(pg)]
            figures, total, profiler = journeys(app, plan, db_pids, args.profile, args.statements)
        finally:
            pg.stop()

    print(f"{args.guardians} guardians (after {WARM_UP} to warm up), PostgreSQL; CPU per request, ms")
    print(f"{'step':<12} {'web':>7} {'db':>7} {'stmts':>6}")
    for name, row in {**figures, "journey": total}.items():
        print(f"{name:<12} {row['web_cpu_ms']:>7.1f} {row['db_cpu_ms']:>7.1f} {row['statements']:>6.1f}")
    if profiler:
        stats = pstats.Stats(profiler)
        print(f"\n--- {args.profile}: own time by package, ms per journey ---")
        for package, seconds in by_package(stats)[:20]:
            print(f"{package:<28} {seconds * 1000 / args.guardians:>7.2f}")
        stats.strip_dirs()
        print(f"\n--- {args.profile}: cumulative ---")
        stats.sort_stats("cumulative").print_stats(args.top)
        print(f"--- {args.profile}: own time ---")
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
