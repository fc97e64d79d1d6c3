"""Roster jobs through RQ and a real Redis (REDIS_URL set), and jobs whose worker died.

The app and a real `rq worker --burst` process share a SQLite file; the worker builds its own app from the
environment, as it would in production (APP_CONFIG, DATABASE_URL, SECRET_KEY, REDIS_URL).
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models_base import utcnow
from app.rosters import jobs, services
from app.rosters.models import RosterJob, RosterJobStatus
from tests import test_rosters
from tests.conftest import build_app, dispose_engines

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = test_rosters.TIME_LIMIT
request_context = test_rosters.request_context  # the same fixtures as the other roster tests
school_week = test_rosters.school_week
RQ = Path(sys.executable).with_name("rq")


@pytest.fixture
def database_file(tmp_path) -> Path:
    return tmp_path / "rq.sqlite"


def roster_job_settings(request, time_limit: float) -> dict:
    """The roster time limit, and the test Redis (emptied) as the job queue when the test uses it."""
    settings = {"ROSTER_TIME_LIMIT": time_limit}
    if "redis_server" in request.fixturenames:
        from redis import Redis

        url = request.getfixturevalue("redis_server").url
        with Redis.from_url(url) as connection:
            connection.flushdb()
        settings["REDIS_URL"] = url
    return settings


@pytest.fixture
def app(database_file, request):
    """An app on a SQLite file (the worker process opens it too); jobs go to the test Redis if the test uses it."""
    app = build_app(f"sqlite:///{database_file}", **roster_job_settings(request, TIME_LIMIT))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        dispose_engines()


def run_rq_worker(database_file: Path, redis_url: str) -> subprocess.CompletedProcess:
    """`rq worker --burst` on the rosters queue: runs what is queued, then stops."""
    env = dict(os.environ, APP_CONFIG="production", DATABASE_URL=f"sqlite:///{database_file}",
               SECRET_KEY="rq-test-secret", REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=redis_url,
               SMS_BACKEND="app.messaging.sms:RefusingBackend")
    result = subprocess.run([str(RQ), "worker", "--burst", "--url", redis_url, "--path", str(ROOT), jobs.RQ_QUEUE],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def fresh(job_id: int) -> RosterJob:
    db.session.expire_all()
    return db.session.get(RosterJob, job_id)


def test_generate_button_queues_on_redis_and_an_rq_worker_stores_the_roster(
        app, redis_server, database_file, school_week, client, login):
    from redis import Redis
    from rq import Queue

    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    login(school_week["admin"])
    response = client.post(f"/rosters/weeks/{week.id}/solve")
    assert response.status_code == 302
    job = db.session.scalar(db.select(RosterJob))
    assert job.status is RosterJobStatus.QUEUED
    with Redis.from_url(redis_server.url) as connection:
        assert Queue(jobs.RQ_QUEUE, connection=connection).count == 1

    run_rq_worker(database_file, redis_server.url)

    job = fresh(job.id)
    assert job.status is RosterJobStatus.DONE, job.error
    assert job.result and job.progress["stage"] == "done"
    assert job.progress["needed"] == 10 and job.progress["staffed"] == 10 and job.progress["elapsed"] > 0
    db.session.refresh(week)
    assert sum(len(s.assignments) for s in week.sessions) == 10
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status"] == "done" and status["finished"] is True


def test_a_job_the_engine_rejects_ends_failed_through_rq(app, redis_server, database_file, school_week):
    job = jobs.enqueue(school_week["week"], None, time_limit=TIME_LIMIT)
    job.problem = {"school": {}}  # not a valid problem: the engine refuses it
    db.session.commit()
    assert jobs.dispatch(job.id) == "rq"

    run_rq_worker(database_file, redis_server.url)

    job = fresh(job.id)
    assert job.status is RosterJobStatus.FAILED and job.finished_at is not None
    assert "school" in job.error


def test_rq_entry_point_runs_in_the_current_app(app, redis_server, school_week):
    """In-process: an RQ SimpleWorker inside the app uses that app rather than building one."""
    from redis import Redis
    from rq import SimpleWorker

    week = school_week["week"]
    services.generate_sessions(week)
    job = jobs.enqueue(week, None, time_limit=TIME_LIMIT)
    db.session.commit()
    jobs.dispatch(job.id)
    with Redis.from_url(redis_server.url) as connection:
        assert SimpleWorker([jobs.RQ_QUEUE], connection=connection).work(burst=True)
    job = fresh(job.id)
    assert job.status is RosterJobStatus.DONE, job.error


def test_a_running_job_whose_worker_died_is_marked_failed_when_polled(app, school_week, client, login):
    week = school_week["week"]
    services.generate_sessions(week)
    dead = jobs.enqueue(week, None, time_limit=TIME_LIMIT)
    alive = jobs.enqueue(week, None, time_limit=TIME_LIMIT)
    db.session.commit()
    assert jobs.claim(dead.id) and jobs.claim(alive.id)
    dead.started_at = utcnow() - timedelta(seconds=TIME_LIMIT, minutes=jobs.STALE_MINUTES + 1)
    db.session.commit()
    login(school_week["admin"])

    status = client.get(f"/rosters/jobs/{dead.id}.json").get_json()
    assert status["status"] == "failed" and status["finished"] is True and "WorkerLost" in status["error"]
    page = client.get(f"/rosters/jobs/{dead.id}").get_data(as_text=True)
    assert "负责这次排班的后台程序已停止" in page and "WorkerLost" not in page
    assert client.get(f"/rosters/jobs/{alive.id}.json").get_json()["status"] == "running"
    assert fresh(alive.id).status is RosterJobStatus.RUNNING


def test_a_worker_starting_fails_abandoned_jobs(app, school_week, runner):
    job = jobs.enqueue(school_week["week"], None, time_limit=TIME_LIMIT)
    db.session.commit()
    assert jobs.claim(job.id)
    job.started_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    result = runner.invoke(args=["rosters", "run-once"])
    assert "Marked 1 abandoned" in result.output, result.output
    job = fresh(job.id)
    assert job.status is RosterJobStatus.FAILED and job.error and job.finished_at is not None


def test_redis_url_comes_from_the_environment_outside_tests(app, monkeypatch):
    """Production config has no REDIS_URL setting: the environment's turns the RQ path on (not for test apps)."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert jobs.runner_mode(app) == "worker"  # a testing app ignores the environment
    monkeypatch.setattr(app, "testing", False)
    assert jobs.redis_url(app) == "redis://127.0.0.1:1/0" and jobs.runner_mode(app) == "rq"


def test_a_job_queued_on_redis_with_no_rq_worker_listening_says_what_to_run(
        app, redis_server, school_week, client, login):
    from redis import Redis
    from rq import Queue, Worker

    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    login(school_week["admin"])
    client.post(f"/rosters/weeks/{week.id}/solve")
    job = db.session.scalar(db.select(RosterJob))
    job.created_at = utcnow() - timedelta(seconds=jobs.QUEUED_WARNING_SECONDS + 5)
    db.session.commit()

    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status"] == "queued" and jobs.RQ_WORKER_COMMAND in status["warning"]
    assert jobs.RQ_WORKER_COMMAND in client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    with Redis.from_url(redis_server.url) as connection:
        worker = Worker([Queue(jobs.RQ_QUEUE, connection=connection)], connection=connection)
        worker.register_birth()  # an RQ worker starts listening (its heartbeat key lives in Redis)
        try:
            assert client.get(f"/rosters/jobs/{job.id}.json").get_json()["warning"] is None
        finally:
            worker.register_death()
    assert jobs.RQ_WORKER_COMMAND in client.get(f"/rosters/jobs/{job.id}.json").get_json()["warning"]
