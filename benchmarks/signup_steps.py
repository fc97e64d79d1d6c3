"""The sign-up journey's server CPU per step, this checkout against another one, alternating on the same machine.

    .venv/bin/python benchmarks/signup_steps.py --against ../base [--rounds 6] [--per-round 20]

The sign-up day benchmark (benchmarks/signup_load.py) ends with each step's cost alone: 20 guardians sign up one
request at a time on the idle server, and the CPU of the gunicorn workers and PostgreSQL is counted per step. On a
shared machine that figure drifts by a fifth from one minute to the next, so comparing two commits measured minutes
apart says little. Here both are served at once, each from its own checkout with its own throwaway PostgreSQL seeded
by its own code (as signup_load seeds it), and the rounds alternate: this one, the other, this one... so both meet
the same drift. Figures: per checkout, each step's mean CPU over all rounds and the journey's, the median of the
rounds' journeys, and the ratio; JSON with --out.

The other checkout needs this file (copy it into an older commit's benchmarks/; it uses that commit's own harness
and seed). Each checkout's own .venv serves it. `--serve` is the part that runs inside each checkout.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parents[1]
STEPS = ["login page", "login", "notice", "form", "apply", "application"]


def serve(args) -> None:
    """Inside a checkout: a throwaway PostgreSQL seeded with guardians, gunicorn serving the site; their facts in
    args.ready (JSON) once it answers; until SIGTERM."""
    from harness import (
        free_port,
        fresh_database,
        postmaster_pid,
        serving_env,
        start_gunicorn,
        stop_process,
        upgrade,
        use_in_this_process,
    )
    from signup_load import LOGIN_RATE_LIMIT, seed_signup_day, shared_password_hash

    folder = Path(tempfile.mkdtemp(prefix="signup-steps-"))
    pg, url = fresh_database("postgresql", folder, "steps")
    server = None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        env = serving_env(url, LOGIN_RATE_LIMIT)
        upgrade(env)
        use_in_this_process(env)
        from app import create_app
        from app.extensions import db

        app = create_app("production")
        with app.app_context():
            password_hash, _ = shared_password_hash()
            plan = seed_signup_day(args.guardians, password_hash, 1)
            db.session.remove()
            db.engine.dispose()
        port = free_port()
        server = start_gunicorn(env, port, args, folder / "gunicorn.log")
        time.sleep(3)  # every worker booted
        Path(args.ready).write_text(json.dumps({
            "url": f"http://127.0.0.1:{port}", "pids": [server.pid, postmaster_pid(pg)], "plan": plan}))
        while not stop:
            time.sleep(0.5)
    finally:
        stop_process(server)
        pg.stop()


def start(tree: Path, args, folder: Path, name: str) -> tuple[subprocess.Popen, dict]:
    """The checkout's server process (its own .venv, this file's --serve) and, once ready, its facts."""
    ready = folder / f"{name}.json"
    python = tree / ".venv" / "bin" / "python"
    process = subprocess.Popen(
        [str(python), str(tree / "benchmarks" / "signup_steps.py"), "--serve", "--ready", str(ready),
         "--guardians", str(args.rounds * args.per_round + args.per_round), "--workers", str(args.workers)],
        cwd=tree, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(folder / f"{name}.log", "w"))
    deadline = time.monotonic() + 600
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{tree} did not start serving; see {folder / (name + '.log')}")
        time.sleep(0.5)
    time.sleep(0.5)  # written whole
    return process, json.loads(ready.read_text())


def git_commit(tree: Path) -> str:
    result = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return result.stdout.strip() + ("+changes" if dirty else "")


def compare(args) -> None:
    from harness import wait_until_idle
    from signup_load import step_costs

    trees = {"this": HERE, "other": Path(args.against).resolve()}
    folder = Path(tempfile.mkdtemp(prefix="signup-steps-"))
    processes, served = {}, {}
    try:
        for name, tree in trees.items():
            processes[name], served[name] = start(tree, args, folder, name)
        rounds = {name: [] for name in trees}
        for n in range(args.rounds + 1):  # round 0 warms both servers up and is not counted
            for name in (["this", "other"] if n % 2 == 0 else ["other", "this"]):
                facts = served[name]
                plan = dict(facts["plan"])
                plan["calibration"] = plan["guardians"][n * args.per_round:(n + 1) * args.per_round]
                wait_until_idle(facts["pids"])
                costs = step_costs(facts["url"], plan, facts["pids"])
                if n:
                    rounds[name].append(costs)
                    print(f"round {n} {name:<5} journey {costs['journey_server_cpu_ms']:6.1f} ms", flush=True)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    figures = {"benchmark": "signup_steps", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"nproc": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
               "rounds": args.rounds, "guardians_per_round": args.per_round, "gunicorn_workers": args.workers}
    for name, tree in trees.items():
        steps = {step: round(statistics.mean(r["steps"][step]["server_cpu_ms"] for r in rounds[name]), 1)
                 for step in STEPS}
        journeys = [r["journey_server_cpu_ms"] for r in rounds[name]]
        figures[name] = {"tree": str(tree), "commit": git_commit(tree), "steps_server_cpu_ms": steps,
                         "journey_server_cpu_ms": round(statistics.mean(journeys), 1),
                         "journey_median_of_rounds_ms": round(statistics.median(journeys), 1),
                         "rounds_ms": journeys}
    figures["this_over_other"] = round(figures["this"]["journey_server_cpu_ms"]
                                       / figures["other"]["journey_server_cpu_ms"], 3)
    print(f"\nserver CPU per step, ms (mean of {args.rounds} rounds × {args.per_round} guardians, alternating)")
    print(f"{'':<8}{'commit':<16}" + "".join(f"{step:>12}" for step in STEPS) + f"{'journey':>10}{'median':>8}")
    for name in trees:
        row = figures[name]
        print(f"{name:<8}{row['commit']:<16}" + "".join(f"{row['steps_server_cpu_ms'][s]:>12.1f}" for s in STEPS)
              + f"{row['journey_server_cpu_ms']:>10.1f}{row['journey_median_of_rounds_ms']:>8.1f}")
    print(f"this / other: {figures['this_over_other']:.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=1) + "\n")
        print(f"figures written to {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", help="the other checkout (its own .venv and this file in its benchmarks/)")
    parser.add_argument("--rounds", type=int, default=6, help="counted rounds per checkout (after one warm-up)")
    parser.add_argument("--per-round", type=int, default=20, help="guardians per round (each signs up once)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (as signup_load on 2 cores)")
    parser.add_argument("--out", help="write the figures here as JSON")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    parser.add_argument("--guardians", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.worker_class, args.threads = "sync", 1
    if args.serve:
        serve(args)
    elif args.against:
        compare(args)
    else:
        parser.error("--against is needed")


if __name__ == "__main__":
    main()
