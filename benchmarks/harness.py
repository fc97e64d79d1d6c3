"""What the load benchmarks share (benchmarks/signup_load.py, benchmarks/daily_peak.py): a fresh database (SQLite
file or a throwaway PostgreSQL from tests/pg.py, loopback only) with the migrations applied, the site served by
gunicorn as in production, a headless locust run, CPU accounting of the server, the database and the rest of the
machine, latency figures, and the clean-up of every process started (each in its own process group, dying with
the benchmark however it dies).
"""

import ctypes
import http.cookiejar
import math
import os
import resource
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.pg import PostgresServer, free_port  # noqa: E402,F401  (free_port: for the benchmarks)


class BenchmarkAborted(Exception):
    """The hard time limit passed, or the process was asked to stop."""


def stop_on_signals(timeout_s: int) -> None:
    """SIGALRM after timeout_s, SIGTERM and SIGHUP raise BenchmarkAborted, so every `finally` cleans up."""

    def abort(signum, _frame):
        raise BenchmarkAborted(f"stopped by signal {signal.Signals(signum).name}"
                               + (f" (the {timeout_s} s limit)" if signum == signal.SIGALRM else ""))

    for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, abort)
    signal.alarm(timeout_s)


# --- The database ---


def serving_env(url: str, login_rate_limit: str, secret_key: str | None = None, **extra: str) -> dict:
    """The environment of the served site (and of the seeding process): production, this database, a SECRET_KEY
    both share (signed cookies, pickup codes), the login limit raised, no Redis, no SMS."""
    env = {**os.environ, "APP_CONFIG": "production", "DATABASE_URL": url,
           "SECRET_KEY": secret_key or secrets.token_hex(32), "LOGIN_RATE_LIMIT": login_rate_limit,
           "FLASK_DEBUG": "0", "PYTHONWARNINGS": "ignore",
           # One machine, no SMS: the limiter counts per worker, and the run sends no message.
           "RATELIMIT_ALLOW_MEMORY": "1", "SMS_BACKEND": "app.messaging.sms:RefusingBackend", **extra}
    env.pop("REDIS_URL", None)
    return env


def fresh_database(kind: str, folder: Path, name: str) -> tuple[PostgresServer | None, str]:
    """An empty database: a SQLite file in the folder, or a database on a throwaway PostgreSQL server (the caller
    stops it). Returns the server (None for SQLite) and the URL."""
    if kind == "postgresql":
        pg = PostgresServer().start()
        try:
            return pg, pg.create_database(name)
        except BaseException:
            pg.stop()
            raise
    return None, f"sqlite:///{folder / (name + '.sqlite')}"


def upgrade(env: dict) -> None:
    """`flask db upgrade` on the env's database: the schema as the migrations make it."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}")


def use_in_this_process(env: dict) -> None:
    """So create_app("production") here (the seeding) reads the same database and secret as the served site."""
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "SECRET_KEY", "RATELIMIT_ALLOW_MEMORY",
                                                 "SMS_BACKEND", "LOGIN_RATE_LIMIT")})
    os.environ.pop("REDIS_URL", None)


def postmaster_pid(pg: PostgresServer | None) -> int | None:
    return int((pg.data_dir / "postmaster.pid").read_text().split()[0]) if pg else None


def shared_password_hash(password: str) -> tuple[str, dict]:
    """The password hashed once by the app's own User.set_password (inside an app context), and what one check of it
    costs here alone: the login's share of the time."""
    from app.accounts.models import User

    user = User()
    user.set_password(password)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        if not user.check_password(password):
            raise RuntimeError("the app does not accept the password it has just hashed")
        runs.append(time.perf_counter() - started)
    scheme = user.password_hash.rsplit("$", 2)[0] if user.password_hash.startswith("$") else \
        user.password_hash.split("$", 1)[0]
    return user.password_hash, {"scheme": scheme, "check_ms": round(sorted(runs)[2] * 1000, 1)}


# --- Processes ---


def die_with_parent(cpus: list[int] | None = None) -> None:
    """In a child before exec: get SIGTERM when this benchmark dies, however it dies (Linux prctl PDEATHSIG); held to
    these CPUs if given."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    if cpus:
        os.sched_setaffinity(0, cpus)


def cpu_split(spec: str | None) -> tuple[list[int], list[int]] | None:
    """--server-cpus: the CPUs the site is held to ("0,1" or "0-1") and the rest of this process's, where the load
    generator runs, so "on 2 cores" means the server's cores alone, not shared with locust; None without it.
    SystemExit when a CPU is not this process's or none would be left for the load."""
    if not spec:
        return None
    allowed = sorted(os.sched_getaffinity(0))
    try:
        server = sorted({cpu for part in spec.split(",") for cpu in (
            range(int(part.split("-")[0]), int(part.split("-")[1]) + 1) if "-" in part else [int(part)])})
    except ValueError:
        raise SystemExit(f"--server-cpus {spec!r}: CPU numbers, as 0,1 or 0-1") from None
    if not set(server) <= set(allowed):
        raise SystemExit(f"--server-cpus {spec!r}: this machine lets the benchmark use CPUs {allowed} only")
    load = [cpu for cpu in allowed if cpu not in server]
    if not load:
        raise SystemExit(f"--server-cpus {spec!r} leaves no CPU for the load generator: this machine has "
                         f"{len(allowed)}; hold the site to fewer, or run on a machine with more")
    return server, load


def pin(pids: list[int], cpus: list[int] | None) -> None:
    """Hold these processes and everything they have started to these CPUs; what they start later inherits it
    (gunicorn's workers, PostgreSQL's backends). Nothing without CPUs."""
    import psutil

    for pid in pids if cpus else []:
        for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
            try:
                proc.cpu_affinity(cpus)
            except psutil.NoSuchProcess:
                continue


def settle_workers(args, server_cpus: list[int] | None = None) -> None:
    """gunicorn's workers when not given: 2 × the site's cores + 1 (gunicorn_arguments says why)."""
    args.workers = args.workers or 2 * (len(server_cpus) if server_cpus else os.cpu_count() or 1) + 1


def stop_process(process: subprocess.Popen | None) -> None:
    """Terminate a child started in its own session, with all it started; kill it if it lingers."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (all cores added up)."""
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def wait_until_idle(pids: list[int], limit_s: float = 180) -> None:
    """Until the server has drained what an overloaded run left queued (sync workers still serve requests whose
    client has gone): less than 20 ms of CPU in a second."""
    deadline = time.monotonic() + limit_s
    previous = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = cpu_seconds(pids)
        if now - previous < 0.02:
            return
        previous = now


def start_gunicorn(env: dict, port: int, args, log: Path) -> subprocess.Popen:
    """wsgi:app on 127.0.0.1:port with args.workers × args.worker_class (args.threads); waits for /healthz."""
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--threads", str(args.threads), "--timeout", "60",
               "--graceful-timeout", "10", "--backlog", "2048", "--error-logfile", str(log), "--log-level", "warning",
               "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop_process(server)
            raise RuntimeError(f"gunicorn did not start; see {log}")
        time.sleep(0.3)


def gunicorn_arguments(parser, workers_help: str = "gunicorn workers") -> None:
    """--workers, --threads, --worker-class, as both benchmarks serve."""
    # 2 × cores + 1 sync workers: processes, because CPU-bound Python (Jinja, the ORM) holds the GIL, so threads add
    # no CPU; more than the cores, so a page is not queued behind a login's password hash; not more, as each worker
    # is one more PostgreSQL connection and more switching on two cores.
    parser.add_argument("--workers", type=int, help=f"{workers_help} (2 × the site's cores + 1)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", default="sync")


def run_locust(locustfile: Path, url: str, *, users: int, spawn_rate: float, run_time_s: int, env: dict,
               results: Path, log: Path, cpus: list[int] | None = None) -> tuple[dict, float]:
    """Run a locustfile headless (it writes its own results file, named in env), on these CPUs if given; its results
    and its CPU seconds. Bounded: locust's own --run-time, and a kill shortly after."""
    import json

    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--users", str(users),
               "--spawn-rate", f"{spawn_rate:.4f}", "--run-time", f"{run_time_s}s", "--stop-timeout", "0",
               "--host", url, "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w") as out:
        locust = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=out, preexec_fn=lambda: die_with_parent(cpus))
        try:
            locust.wait(timeout=run_time_s + 120)
        finally:
            stop_process(locust)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not results.exists():
        raise RuntimeError(f"locust wrote no results; see {log}")
    return json.loads(results.read_text(encoding="utf-8")), (after.ru_utime - before.ru_utime
                                                              + after.ru_stime - before.ru_stime)


# --- Requests one at a time (what each step costs) ---


class LoopbackTLSPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies to 127.0.0.1 too: production sets them, and TLS ends at a proxy there."""

    def return_ok_secure(self, cookie, request) -> bool:
        return urlsplit(request.get_full_url()).hostname == "127.0.0.1" or super().return_ok_secure(cookie, request)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect comes back as an HTTPError with its Location, and is followed by hand


def browser() -> urllib.request.OpenerDirector:
    """A cookie-keeping opener that does not follow redirects."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(LoopbackTLSPolicy())), NoRedirect)


# --- Figures ---


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency(samples: list[list]) -> dict:
    """Samples are [name, start (epoch s), response time (ms), ok, status, ...]."""
    times = sorted(s[2] for s in samples)
    return {"requests": len(samples), "errors": sum(1 for s in samples if not s[3]),
            "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "p99_ms": round(percentile(times, 99), 1), "max_ms": round(times[-1], 1) if times else 0.0,
            "mean_ms": round(sum(times) / len(times), 1) if times else 0.0}


def commit() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain",
                                                                              "--untracked-files=no"))}
