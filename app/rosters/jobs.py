"""Running the engine in the background: a database-backed job queue.

How a job runs, by setting:
- ``REDIS_URL`` set: the job id is put on an RQ queue (``rq worker rosters``) that calls ``run_job``;
- otherwise ``ROSTER_JOB_RUNNER``: ``"worker"`` (production default) leaves it queued for
  ``flask rosters worker``; ``"thread"`` (development default, so ``flask run`` alone is enough)
  runs it in a background thread of the web process; ``"inline"`` runs it inside the request (tests).

Claiming is atomic (``UPDATE … WHERE status = 'queued'``), so two workers never run one job.
Progress is written to the job row in its own short transactions while the solver runs.
"""

import logging
import threading
import time as time_module

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select, update

import scheduling
from app.extensions import db
from app.models_base import utcnow
from app.rosters.models import RosterJob, RosterJobKind, RosterJobStatus, Week
from app.rosters.services import build_problem, store_roster

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 10.0  # seconds the engine may think about one week
WORKERS = 2  # CP-SAT search workers per job


def enqueue(week: Week, actor, *, kind: RosterJobKind = RosterJobKind.GENERATE, changes: dict | None = None,
            time_limit: float | None = None) -> RosterJob:
    """A queued job for the week, with the problem fixed now (flushes; call dispatch after the commit)."""
    problem = build_problem(week, extra=changes)
    limit = time_limit or current_app.config.get("ROSTER_TIME_LIMIT", DEFAULT_TIME_LIMIT)
    needed = sum(1 for s in problem["sessions"])
    job = RosterJob(week_id=week.id, kind=kind, changes=changes or {}, problem=problem, time_limit=limit,
                    created_by_id=actor.id if actor else None,
                    progress={"staffed": 0, "needed": needed, "objective": None, "bound": None, "elapsed": 0.0,
                              "time_limit": limit, "stage": "queued"})
    db.session.add(job)
    db.session.flush()
    return job


def runner_mode(app: Flask) -> str:
    """How jobs run in this app: 'rq', 'worker', 'thread' or 'inline'."""
    if app.config.get("REDIS_URL"):
        return "rq"
    return app.config.get("ROSTER_JOB_RUNNER") or ("thread" if app.debug and not app.testing else "worker")


def dispatch(job_id: int) -> str:
    """Start a committed job the way this app runs jobs; returns the mode used."""
    app = current_app._get_current_object()
    mode = runner_mode(app)
    if mode == "rq":
        from redis import Redis  # optional: only when REDIS_URL is set
        from rq import Queue

        Queue("rosters", connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
            "app.rosters.jobs.run_job_standalone", job_id, job_timeout=600)
    elif mode == "thread":
        threading.Thread(target=_run_in_app, args=(app, job_id), daemon=True, name=f"roster-job-{job_id}").start()
    elif mode == "inline":
        run_job(job_id)
    return mode


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        run_job(job_id)
        db.session.remove()


def run_job_standalone(job_id: int) -> None:
    """RQ entry point: build the app from the environment and run one job."""
    from app import create_app

    _run_in_app(create_app("production"), job_id)


def claim(job_id: int) -> bool:
    """Atomically take a queued job; False if another worker has it."""
    result = db.session.execute(
        update(RosterJob).where(RosterJob.id == job_id, RosterJob.status == RosterJobStatus.QUEUED)
        .values(status=RosterJobStatus.RUNNING, started_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def _write_progress(job_id: int, progress: dict, engine=None) -> None:
    """Save progress in its own short transaction, separate from the job's work (solver threads pass the engine)."""
    with (engine or db.engine).begin() as connection:
        connection.execute(update(RosterJob).where(RosterJob.id == job_id).values(progress=progress))


def run_job(job_id: int) -> bool:
    """Claim and run one job; True if this call ran it (done or failed)."""
    if not claim(job_id):
        return False
    job = db.session.get(RosterJob, job_id)
    base = dict(job.progress or {})
    base.update(stage="running")
    _write_progress(job_id, base)
    engine = db.engine  # the solver calls back from its own threads, outside the app context

    def on_progress(p) -> None:
        _write_progress(job_id, dict(base, stage=p.stage, staffed=p.staffed, objective=p.objective, bound=p.bound,
                                     elapsed=round(p.elapsed, 2)), engine)

    try:
        roster = scheduling.roster_to_dict(
            scheduling.solve(job.problem, time_limit=job.time_limit, workers=WORKERS, on_progress=on_progress))
        db.session.expire(job)
        job.result = roster
        if job.kind is RosterJobKind.GENERATE:
            store_roster(job.week, roster)
        staffed = roster["metrics"].get("staffed_sessions", len({a["session"] for a in roster["assignments"]}))
        job.progress = dict(base, stage="done", staffed=staffed, objective=roster["metrics"].get("objective"),
                            bound=roster["metrics"].get("best_bound"),
                            elapsed=round(roster["metrics"].get("wall_seconds", 0.0), 2))
        job.status = RosterJobStatus.DONE
    except Exception as error:  # a failed job must say why, not stay "running" forever
        logger.exception("roster job %s failed", job_id)
        db.session.rollback()
        job = db.session.get(RosterJob, job_id)
        job.status = RosterJobStatus.FAILED
        job.error = f"{type(error).__name__}: {error}"
    job.finished_at = utcnow()
    db.session.commit()
    return True


def next_queued() -> int | None:
    """The oldest queued job's id."""
    return db.session.scalar(
        select(RosterJob.id).where(RosterJob.status == RosterJobStatus.QUEUED).order_by(RosterJob.id).limit(1))


def run_queued(limit: int | None = None) -> int:
    """Run queued jobs until none is left (or `limit` ran); the number run."""
    ran = 0
    while limit is None or ran < limit:
        job_id = next_queued()
        if job_id is None:
            break
        ran += run_job(job_id)
    return ran


cli = AppGroup("rosters", help="Roster jobs: run the background worker.")


@cli.command("worker")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks at the queue.")
def worker_command(poll: float) -> None:
    """Run queued roster jobs until stopped (Ctrl-C)."""
    click.echo("Roster worker: waiting for jobs.")
    while True:
        if not run_queued():
            time_module.sleep(poll)
        db.session.remove()


@cli.command("run-once")
def run_once_command() -> None:
    """Run every queued roster job once, then stop."""
    click.echo(f"Ran {run_queued()} roster job(s).")
