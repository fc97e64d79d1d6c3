"""A roster worker killed (-9) mid-job, on PostgreSQL: a real `flask rosters worker` process, and a real RQ worker with
Redis. The job ends failed with a message the coordinator reads on its page (not retried: see app/rosters/jobs.py),
the week keeps the roster it had (nothing half-stored), a job queued meanwhile warns that no worker is running, and
a worker started again runs it.

The worker is tests/fault_worker.py: the real command, stopped at a named point of the job (the engine has its
roster; or the roster's rows are written, not committed) so the kill lands mid-job, not before or after it.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models_base import utcnow
from app.ops import readiness
from app.rosters import jobs, services
from app.rosters.models import RosterJob, RosterJobStatus, RosterWorker
from tests import test_rosters
from tests.conftest import build_app, dispose_engines, empty_tables
from tests.test_rosters_rq import roster_job_settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = test_rosters.TIME_LIMIT
request_context = test_rosters.request_context
school_week = test_rosters.school_week
LOST_WORDS = "负责这次排班的后台程序已停止"  # the job page's words for a worker that died


@pytest.fixture
def app(postgres_url, request):
    app = build_app(postgres_url, **roster_job_settings(request, TIME_LIMIT))
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        empty_tables()
        dispose_engines()


def worker_env(app, **extra) -> dict:
    return dict(os.environ, APP_CONFIG="production", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                SECRET_KEY="worker-fault-secret", RATELIMIT_ALLOW_MEMORY="1",
                SMS_BACKEND="app.messaging.sms:RefusingBackend", **extra)


def start_held_worker(command: list[str], env: dict, pause_at: str, signal_file: Path, log: Path):
    """The worker command, stopped at `pause_at` of the job it takes; returns (process, pid holding the job)."""
    env = dict(env, FAULT_PAUSE_AT=pause_at, FAULT_SIGNAL_FILE=str(signal_file))
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fault_worker.py"), *command], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while not signal_file.exists() or not signal_file.read_text():  # bounded wait for the worker to get there
        if process.poll() is not None or time.monotonic() > deadline:
            kill(process, None)
            pytest.fail(f"the worker never reached {pause_at}:\n{log.read_text()[-4000:]}")
        time.sleep(0.1)
    return process, int(signal_file.read_text())


def kill(process: subprocess.Popen, holder: int | None) -> None:
    """kill -9: the process holding the job (an RQ work horse is in a session of its own) and the worker's group."""
    for pid, group in ((holder, False), (process.pid, True)):
        if pid is None:
            continue
        try:
            (os.killpg if group else os.kill)(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=30)


def fresh(job_id: int) -> RosterJob:
    db.session.expire_all()
    return db.session.get(RosterJob, job_id)


def a_week_with_a_draft(week) -> list[tuple[str, int]]:
    """The week after one run, then hand-cut to a single assignment (a draft unlike anything a new run stores)."""
    services.generate_sessions(week)
    first = jobs.enqueue(week, None, time_limit=TIME_LIMIT)
    db.session.commit()
    assert jobs.run_job(first.id)
    db.session.expire_all()
    kept = False
    for session in week.sessions:
        for assignment in list(session.assignments):
            if kept:
                session.assignments.remove(assignment)
            kept = True
    week.solved_roster = None
    db.session.commit()
    return draft_of(week)


def draft_of(week) -> list[tuple[str, int]]:
    db.session.expire_all()
    return sorted((s.key, a.profile_id) for s in week.sessions for a in s.assignments)


@pytest.mark.parametrize("pause_at", ["solve", "store"])
def test_database_worker_killed_mid_job(app, school_week, client, login, tmp_path, pause_at):
    week = school_week["week"]
    draft = a_week_with_a_draft(week)
    assert len(draft) == 1
    login(school_week["admin"])
    client.post(f"/rosters/weeks/{week.id}/solve")  # queued for `flask rosters worker`
    job = db.session.scalar(db.select(RosterJob).order_by(RosterJob.id.desc()))
    assert job.status is RosterJobStatus.QUEUED

    process, holder = start_held_worker(["flask", "--app", "wsgi", "rosters", "worker", "--poll", "0.2"],
                                        worker_env(app), pause_at, tmp_path / "held", tmp_path / "worker.log")
    assert fresh(job.id).status is RosterJobStatus.RUNNING
    kill(process, holder)

    assert draft_of(week) == draft  # nothing of the new roster stored, the draft as it was
    assert week.solved_roster is None
    assert client.get(f"/rosters/jobs/{job.id}.json").get_json()["status"] == "running"  # the worker may be busy
    # A minute passes without the worker's heartbeat (its row's last beat set back, rather than waiting).
    db.session.execute(update(RosterWorker).values(
        seen_at=utcnow() - timedelta(seconds=jobs.WORKER_SILENT_SECONDS + 1)))
    db.session.commit()
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status"] == "failed" and status["finished"] and "WorkerLost" in status["error"]
    page = client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    assert LOST_WORDS in page and "WorkerLost" not in page
    assert draft_of(week) == draft

    # Started again with no worker running: after a minute the coordinator is told to start one.
    client.post(f"/rosters/weeks/{week.id}/solve")
    again = db.session.scalar(db.select(RosterJob).order_by(RosterJob.id.desc()))
    again.created_at = utcnow() - timedelta(seconds=jobs.QUEUED_WARNING_SECONDS + 5)
    db.session.commit()
    assert jobs.WORKER_COMMAND in client.get(f"/rosters/jobs/{again.id}").get_data(as_text=True)
    assert not readiness.roster_jobs().ok  # the readiness check says so too

    # A worker back: it runs the queued job, and the killed one stays failed (not run twice).
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "rosters", "run-once"], cwd=ROOT,
                            env=worker_env(app), capture_output=True, text=True, timeout=300)
    assert "Ran 1 roster job" in result.stdout, result.stdout + result.stderr
    assert fresh(again.id).status is RosterJobStatus.DONE and fresh(job.id).status is RosterJobStatus.FAILED
    assert len(draft_of(week)) == 10
    assert readiness.roster_jobs().ok


def test_rq_worker_killed_mid_job(app, redis_server, school_week, client, login, tmp_path):
    from redis import Redis
    from rq import Worker

    week = school_week["week"]
    draft = a_week_with_a_draft(week)
    login(school_week["admin"])
    client.post(f"/rosters/weeks/{week.id}/solve")  # on the Redis queue
    job = db.session.scalar(db.select(RosterJob).order_by(RosterJob.id.desc()))
    env = worker_env(app, REDIS_URL=redis_server.url, RATELIMIT_STORAGE_URI=redis_server.url)
    process, holder = start_held_worker(["rq", "worker", "--url", redis_server.url, "--path", str(ROOT),
                                         jobs.RQ_QUEUE], env, "store", tmp_path / "held", tmp_path / "worker.log")
    assert fresh(job.id).status is RosterJobStatus.RUNNING
    kill(process, holder)

    assert draft_of(week) == draft and week.solved_roster is None
    # The job names the RQ worker that took it; while Redis still knows that worker, the job is taken to be running.
    rq_worker = fresh(job.id).progress["rq_worker"]
    with Redis.from_url(redis_server.url) as connection:
        key = Worker.redis_worker_namespace_prefix + rq_worker
        assert connection.ttl(key) <= 90  # the killed worker's key runs out within a minute and a half
        assert client.get(f"/rosters/jobs/{job.id}.json").get_json()["status"] == "running"
        connection.delete(key)  # its heartbeat ran out (rather than waiting for it)
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status"] == "failed" and "WorkerLost" in status["error"] and rq_worker in status["error"]
    assert LOST_WORDS in client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)

    # The killed worker's registration expires in Redis (its heartbeat key deleted, rather than waiting for it).
    client.post(f"/rosters/weeks/{week.id}/solve")
    again = db.session.scalar(db.select(RosterJob).order_by(RosterJob.id.desc()))
    again.created_at = utcnow() - timedelta(seconds=jobs.QUEUED_WARNING_SECONDS + 5)
    db.session.commit()
    with Redis.from_url(redis_server.url) as connection:
        for worker in Worker.all(connection=connection):
            connection.delete(worker.key)
    assert jobs.RQ_WORKER_COMMAND in client.get(f"/rosters/jobs/{again.id}").get_data(as_text=True)
    assert not readiness.roster_jobs().ok

    result = subprocess.run([str(Path(sys.executable).with_name("rq")), "worker", "--burst", "--url",
                             redis_server.url, "--path", str(ROOT), jobs.RQ_QUEUE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert fresh(again.id).status is RosterJobStatus.DONE, fresh(again.id).error
    assert fresh(job.id).status is RosterJobStatus.FAILED
    assert len(draft_of(week)) == 10
