"""scripts/stack.sh's work: PostgreSQL and Redis (given, or throwaway ones started like the tests' own), the schema,
the demo county, then `honcho start` on the Procfile until Ctrl-C or TERM, then everything stopped and deleted.

Settings for the processes (each may be given in the environment instead): APP_CONFIG=development (the demo may
load; SMS go to the log), ROSTER_JOB_RUNNER=worker and NOTIFY_SENDER=off (the Procfile's worker and sender do that
work, not the web server), LOG_FORMAT=json, WEB_CONCURRENCY=2, PORT=8000.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pg import PostgresServer  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

DEFAULTS = {"APP_CONFIG": "development", "ROSTER_JOB_RUNNER": "worker", "NOTIFY_SENDER": "off", "LOG_FORMAT": "json",
            "WEB_CONCURRENCY": "2", "PORT": "8000", "FLASK_APP": "wsgi"}


def say(line: str) -> None:
    print(f"==> {line}", flush=True)


class Stopped(Exception):
    """TERM (or HUP) arrived: stop the stack the way Ctrl-C does."""


def stop_on_signal(signum, frame) -> None:
    raise Stopped(signal.Signals(signum).name)


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    env = {**DEFAULTS, **os.environ}
    started = []
    honcho = None
    try:
        if not env.get("DATABASE_URL"):
            postgres = PostgresServer().start()
            started.append(postgres)
            env["DATABASE_URL"] = postgres.create_database("kehou")
            say(f"PostgreSQL (throwaway, deleted at the end): DATABASE_URL={env['DATABASE_URL']}")
        if not env.get("REDIS_URL"):
            redis = RedisServer().start()
            started.append(redis)
            env["REDIS_URL"] = redis.url
            say(f"Redis (throwaway, deleted at the end): REDIS_URL={env['REDIS_URL']}")
        # The login limits count in the same Redis, database 1 (roster jobs use the URL's own).
        env.setdefault("RATELIMIT_STORAGE_URI", urlsplit(env["REDIS_URL"])._replace(path="/1").geturl())
        say("upgrading the database")
        flask(env, "db", "upgrade")
        say("loading the demo county")
        flask(env, "demo")
        say(f"starting the Procfile with honcho: http://127.0.0.1:{env['PORT']} (readiness: /readyz, its checks "
            "with METRICS_TOKEN as a bearer or `flask --app wsgi ops readiness`; Ctrl-C stops)")
        # Extra arguments go to `honcho start`, e.g. `scripts/stack.sh -c worker=2` for two roster workers.
        command = [str(ROOT / ".venv" / "bin" / "honcho"), "--no-colour", "start", "--port", env["PORT"],
                   "--procfile", "Procfile", "--app-root", str(ROOT), *sys.argv[1:]]
        honcho = subprocess.Popen(command, cwd=ROOT, env=env)
        return honcho.wait()
    except (KeyboardInterrupt, Stopped) as reason:
        say(f"stopping ({reason or 'Ctrl-C'})")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if honcho is not None and honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)  # honcho stops each process and waits for them
            try:
                honcho.wait(timeout=30)
            except subprocess.TimeoutExpired:
                honcho.kill()
                honcho.wait()
        for server in reversed(started):
            server.stop()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
