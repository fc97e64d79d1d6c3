"""The floor under the sign-up journey: what the site's stack costs a request that does no page work, as served.

    .venv/bin/python benchmarks/stack_floor.py [--requests 300] [--rounds 3] [--guardians 5000 --window 300 --cores 2]

A throwaway PostgreSQL seeded as the sign-up benchmark seeds it (benchmarks/signup_load.py), the site served by one
gunicorn sync worker as in production; each request below is sent --requests times, one at a time, and the CPU of
the worker and of PostgreSQL is counted per request; the kinds take turns over --rounds rounds (with the password
check) and each figure is the median of its rounds, as a shared machine's speed drifts from minute to minute:

- /healthz: gunicorn, Flask and one `SELECT 1`: the cheapest request the site answers;
- the login page: the first step of the journey, an anonymous form;
- / for a logged-in guardian: the session read, the account with its family loaded, a redirect and nothing else:
  what every logged-in step of the journey costs before the page does anything.

With the password check (the app's own Argon2id parameters), the floor of a journey is the login page, the check
and five logged-in requests (the login's POST, the notice, the form, the apply and the application page each cost
at least one). Against it, the budget the target allows: --cores × --window seconds at --utilisation, shared by
--guardians journeys. What the floor leaves of the budget is all the journey's pages may spend on their own work.
Figures on stdout and in benchmarks/stack_floor_last_run.json (--out).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    ROOT,
    browser,
    commit,
    cpu_seconds,
    free_port,
    fresh_database,
    postmaster_pid,
    start_gunicorn,
    stop_process,
)
from signup_load import PASSWORD, TOKEN, seeded_site  # noqa: E402

WARM_UP = 20


def measure(opener, url: str, n: int, pids: list[int]) -> float:
    """Mean server CPU (ms) of n GETs of url, one at a time, after a warm-up."""

    def get() -> None:
        try:
            with opener.open(url, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as answer:
            if answer.code >= 400:
                raise RuntimeError(f"{url} answered {answer.code}") from None

    for _ in range(WARM_UP):
        get()
    before = cpu_seconds(pids)
    for _ in range(n):
        get()
    return (cpu_seconds(pids) - before) * 1000 / n


def log_in(opener, base: str, mobile: str) -> None:
    with opener.open(base + "/account/login", timeout=30) as response:
        token = TOKEN.search(response.read().decode()).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "mobile": mobile, "password": PASSWORD}).encode()
    try:
        opener.open(base + "/account/login", data=body, timeout=30)
        raise RuntimeError("the login was not taken")
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise RuntimeError(f"the login answered {answer.code}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind measured in a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--guardians", type=int, default=5000, help="journeys the target asks for in the window")
    parser.add_argument("--window", type=int, default=300, help="seconds of the target's window")
    parser.add_argument("--cores", type=int, default=2, help="the site's cores in the target")
    parser.add_argument("--utilisation", type=float, default=0.8,
                        help="share of the cores the site may use and still answer fast (queueing past it)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "stack_floor_last_run.json")
    args = parser.parse_args()

    load_at_start, code = [round(x, 2) for x in os.getloadavg()], commit()
    with tempfile.TemporaryDirectory(prefix="stack-floor-") as folder:
        pg, url = fresh_database("postgresql", Path(folder), "floor")
        server = None
        try:
            env, app, plan, (password_hash, _) = seeded_site(url, 1)
            from app.accounts.models import User

            port = free_port()
            server = start_gunicorn(env, port, argparse.Namespace(workers=1, worker_class="sync", threads=1),
                                    Path(folder) / "gunicorn.log")
            base, pids = f"http://127.0.0.1:{port}", [server.pid, postmaster_pid(pg)]
            time.sleep(2)
            guardian = browser()
            log_in(guardian, base, plan["guardians"][0]["mobile"])
            kinds = {"healthz": (browser(), "/healthz"), "login page": (browser(), "/account/login"),
                     "logged-in, no page": (guardian, "/")}
            rounds: dict[str, list[float]] = {name: [] for name in [*kinds, "password check"]}
            with app.app_context():
                account = User(password_hash=password_hash)
            for _ in range(args.rounds):
                for name, (opener, path) in kinds.items():
                    rounds[name].append(measure(opener, base + path, args.requests, pids))
                started = time.process_time()
                for _ in range(5):
                    with app.app_context():
                        account.check_password(PASSWORD)
                rounds["password check"].append((time.process_time() - started) * 1000 / 5)
        finally:
            stop_process(server)
            pg.stop()

    figures = {name: statistics.median(values) for name, values in rounds.items()}
    floor = figures["login page"] + figures["password check"] + 5 * figures["logged-in, no page"]
    budget = args.cores * args.window * 1000 * args.utilisation / args.guardians
    report = {
        "benchmark": "stack_floor", "date": datetime.now(UTC).isoformat(timespec="seconds"), **code,
        "command": " ".join([".venv/bin/python", "benchmarks/stack_floor.py", *sys.argv[1:]]),
        "machine": {"nproc": os.cpu_count(), "load_average_at_start": load_at_start,
                    "python": platform.python_version()},
        "requests_per_round": args.requests, "rounds": args.rounds,
        "server_cpu_ms_median": {name: round(ms, 2) for name, ms in figures.items()},
        "server_cpu_ms_rounds": {name: [round(ms, 2) for ms in values] for name, values in rounds.items()},
        "password": password_hash.rsplit("$", 2)[0],
        "journey_floor_ms": round(floor, 1),
        "target": {"guardians": args.guardians, "window_s": args.window, "cores": args.cores,
                   "utilisation": args.utilisation, "budget_ms_per_journey": round(budget, 1)},
        "left_for_the_pages_ms": round(budget - floor, 1),
    }
    for name, ms in report["server_cpu_ms_median"].items():
        print(f"{name:<20} {ms:>7.2f} ms server CPU (rounds: {report['server_cpu_ms_rounds'][name]})")
    print(f"journey floor {floor:.1f} ms (login page + password check + 5 logged-in requests); budget {budget:.1f} ms "
          f"({args.guardians} journeys in {args.window} s on {args.cores} cores at {args.utilisation:.0%}); "
          f"left for the pages' own work: {budget - floor:.1f} ms")
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
