"""Running the engine in the background: a database-backed job queue.

How a job runs, by setting:
- ``REDIS_URL`` set (in the config, or else in the environment): the job id is put on an RQ queue
  (``rq worker --url $REDIS_URL rosters``, started with the web app's environment: ``APP_CONFIG``, ``DATABASE_URL``,
  ``SECRET_KEY``) whose jobs call ``run_job`` in an app built from that environment;
- otherwise ``ROSTER_JOB_RUNNER``: ``"worker"`` (production default) leaves it queued for
  ``flask rosters worker``; ``"thread"`` (development default, so ``flask run`` alone is enough)
  runs it in a background thread of the web process; ``"inline"`` runs it inside the request (tests).

Claiming is atomic (``UPDATE … WHERE status = 'queued'``), so two workers never run one job.
Progress is written to the job row in its own short transactions while the solver runs.

Faults:
- A worker killed mid-solve (``kill -9``, out of memory, machine restarted): the job's roster is stored in the same
  transaction that marks it done, so a job that dies stores nothing and the week keeps the roster it had. The job is
  marked failed, not retried (a second run is one click away for the coordinator, and a job that killed its worker,
  by memory say, would kill the next one too), with a message the job page shows: as soon as the
  ``flask rosters worker`` that claimed it (named in its progress) has not been heard from for
  ``WORKER_SILENT_SECONDS``, as soon as the RQ worker running it (named too) is gone from Redis (its key expires
  within 90 seconds of its last heartbeat), or, whichever runner, once it has run ``ROSTER_JOB_STALE_MINUTES``
  (default 5) past its time limit; checked when its page polls and when a worker starts.
- Redis unavailable when a job is started (REDIS_URL set): the job is marked failed at once, logged, and its page
  tells the coordinator the roster was not started and to try again in a few minutes (``QueueUnavailable``). It is
  not run another way behind the site's back: the web process is no place for a solve, and no database worker may
  be running beside an RQ one.

Workers say they are alive: ``flask rosters worker`` rewrites its ``roster_worker`` row every ``HEARTBEAT_SECONDS``
(and deletes it when it stops); an RQ worker keeps its own heartbeat key in Redis. A job still queued
``QUEUED_WARNING_SECONDS`` after it was made, with no live worker, tells the coordinator what is wrong and what to run
(``queued_warning``).
"""

import logging
import os
import socket
import threading
import time as time_module
from collections.abc import Callable
from datetime import timedelta

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

import scheduling
from app.extensions import db
from app.models_base import as_utc, utcnow
from app.ops import heartbeat
from app.rosters.models import RosterJob, RosterJobKind, RosterJobStatus, RosterWorker, Week
from app.rosters.services import build_problem, store_roster

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 10.0  # seconds the engine may think about one week
WORKERS = 2  # CP-SAT search workers per job
RQ_QUEUE = "rosters"
STALE_MINUTES = 5  # a running job this long past its time limit has lost its worker
HEARTBEAT_SECONDS = 15  # how often `flask rosters worker` says it is alive
WORKER_SILENT_SECONDS = 60  # a worker not heard from for this long is taken to be gone
QUEUED_WARNING_SECONDS = 60  # a job queued this long with no live worker warns the coordinator
REDIS_TIMEOUT_SECONDS = 2  # a Redis that does not answer within this long is taken to be down
WORKER_COMMAND = "flask --app wsgi rosters worker"
RQ_WORKER_COMMAND = f"rq worker --url $REDIS_URL {RQ_QUEUE}"


def enqueue(week: Week, actor, *, kind: RosterJobKind = RosterJobKind.GENERATE, changes: dict | None = None,
            time_limit: float | None = None, problem: dict | None = None) -> RosterJob:
    """A queued job for the week, with the problem fixed now (flushes; call dispatch after the commit). `problem`:
    one already built (an absence's replacement search: app.rosters.absence.start_search), else the week's."""
    problem = problem or build_problem(week, extra=changes)
    limit = time_limit or current_app.config.get("ROSTER_TIME_LIMIT", DEFAULT_TIME_LIMIT)
    needed = sum(1 for s in problem["sessions"])
    job = RosterJob(week_id=week.id, kind=kind, changes=changes or {}, problem=problem, time_limit=limit,
                    created_by_id=actor.id if actor else None,
                    progress={"staffed": 0, "needed": needed, "objective": None, "bound": None, "elapsed": 0.0,
                              "time_limit": limit, "stage": "queued"})
    db.session.add(job)
    db.session.flush()
    return job


def redis_url(app: Flask) -> str | None:
    """The Redis that RQ jobs go to: the config's REDIS_URL, else the environment's (never for a testing app)."""
    if "REDIS_URL" in app.config:
        return app.config["REDIS_URL"] or None
    return None if app.testing else os.environ.get("REDIS_URL") or None


def _redis(app: Flask):
    """A connection to the jobs' Redis (REDIS_URL) that gives up after REDIS_TIMEOUT_SECONDS."""
    from redis import Redis  # optional: only when REDIS_URL is set

    return Redis.from_url(redis_url(app), socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                          socket_timeout=REDIS_TIMEOUT_SECONDS)


def runner_mode(app: Flask) -> str:
    """How jobs run in this app: 'rq', 'worker', 'thread' or 'inline'."""
    if redis_url(app):
        return "rq"
    return app.config.get("ROSTER_JOB_RUNNER") or ("thread" if app.debug and not app.testing else "worker")


def dispatch(job_id: int) -> str:
    """Start a committed job the way this app runs jobs; returns the mode used."""
    app = current_app._get_current_object()
    mode = runner_mode(app)
    if mode == "rq":
        from redis.exceptions import RedisError
        from rq import Queue

        # The worker's own limit: the solver's time plus room to build and store, so RQ never kills a healthy job.
        with db.session.no_autoflush:
            limit = db.session.get(RosterJob, job_id).time_limit
        try:
            with _redis(app) as connection:
                Queue(RQ_QUEUE, connection=connection).enqueue(
                    run_job_standalone, job_id, job_timeout=int(limit) + 300, description=f"roster job {job_id}")
        except RedisError as error:
            queue_unavailable(job_id, error)
    elif mode == "thread":
        threading.Thread(target=_run_in_app, args=(app, job_id), daemon=True, name=f"roster-job-{job_id}").start()
    elif mode == "inline":
        run_job(job_id)
    return mode


def queue_unavailable(job_id: int, error: Exception) -> None:
    """The job could not be put on the Redis queue: it fails now, saying so, rather than wait for nobody."""
    logger.error("roster job %s: Redis at REDIS_URL does not answer (%s): job marked failed", job_id, error)
    db.session.rollback()
    db.session.execute(
        update(RosterJob).where(RosterJob.id == job_id, RosterJob.status == RosterJobStatus.QUEUED)
        .values(status=RosterJobStatus.FAILED, finished_at=utcnow(),
                error=f"QueueUnavailable: the job queue (Redis) did not answer: {type(error).__name__}: {error}"))
    db.session.commit()


def _run_in_app(app: Flask, job_id: int, rq_worker: str | None = None) -> None:
    with app.app_context():
        run_job(job_id, rq_worker=rq_worker)
        db.session.remove()


def run_job_standalone(job_id: int) -> None:
    """RQ entry point: run one job in the current app, else in one built from the environment (APP_CONFIG). The RQ
    worker running it is named in its progress: its heartbeat in Redis then vouches for the job (fail_stale)."""
    from rq import get_current_job

    current = get_current_job()
    rq_worker = current.worker_name if current is not None else None
    if has_app_context():
        run_job(job_id, rq_worker=rq_worker)
        return
    from app import create_app

    app = create_app(os.environ.get("APP_CONFIG", "production"))
    try:
        _run_in_app(app, job_id, rq_worker)
    finally:
        with app.app_context():
            db.engine.dispose()


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


def run_job(job_id: int, worker: str | None = None, rq_worker: str | None = None) -> bool:
    """Claim and run one job (`worker`: the `flask rosters worker` running it, `rq_worker`: the RQ worker; either's
    heartbeat then vouches for it); True if this call ran it (done or failed)."""
    if not claim(job_id):
        return False
    job = db.session.get(RosterJob, job_id)
    base = dict(job.progress or {})
    base.update(stage="running")
    if worker:
        base["worker"] = worker
    if rq_worker:
        base["rq_worker"] = rq_worker
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


def fail_stale(job_id: int | None = None) -> int:
    """Mark failed the running jobs (or the one job) whose worker must have died; the number marked.

    The solver stops at the job's time limit, so a job still running ``ROSTER_JOB_STALE_MINUTES`` after that has
    lost its thread or worker. The update only touches rows still running, so a job finishing meanwhile keeps its
    result.
    """
    grace = timedelta(minutes=current_app.config.get("ROSTER_JOB_STALE_MINUTES", STALE_MINUTES))
    query = select(RosterJob.id, RosterJob.started_at, RosterJob.time_limit, RosterJob.progress).where(
        RosterJob.status == RosterJobStatus.RUNNING)
    if job_id is not None:
        query = query.where(RosterJob.id == job_id)
    now = utcnow()
    running = db.session.execute(query).all()
    named = {(row.progress or {}).get("worker") for row in running} - {None}
    alive = set(db.session.scalars(select(RosterWorker.name).where(
        RosterWorker.name.in_(named), RosterWorker.seen_at >= now - timedelta(seconds=WORKER_SILENT_SECONDS)))
    ) if named else set()
    rq_named = {(row.progress or {}).get("rq_worker") for row in running} - {None}
    rq_alive = rq_workers_known(rq_named) if rq_named else set()
    stale = {}
    for row in running:
        progress = row.progress or {}
        worker, rq_worker = progress.get("worker"), progress.get("rq_worker")
        if worker and worker not in alive:
            stale[row.id] = (f"WorkerLost: the roster worker {worker} running this job has not been heard from for "
                             f"{WORKER_SILENT_SECONDS} seconds (killed or restarted). Start the job again.")
        elif rq_worker and rq_alive is not None and rq_worker not in rq_alive:
            stale[row.id] = (f"WorkerLost: the RQ worker {rq_worker} running this job is gone from Redis (its "
                             "heartbeat ran out: killed or restarted). Start the job again.")
        elif row.started_at is None or as_utc(row.started_at) + timedelta(seconds=row.time_limit) + grace < now:
            stale[row.id] = (f"WorkerLost: no result {int(grace.total_seconds() // 60)} minutes after the time "
                             "limit; the worker running this job stopped (restarted or killed). Start the job again.")
    marked = 0
    for stale_id, error in stale.items():
        marked += db.session.execute(
            update(RosterJob).where(RosterJob.id == stale_id, RosterJob.status == RosterJobStatus.RUNNING)
            .values(status=RosterJobStatus.FAILED, finished_at=now, error=error)
        ).rowcount
        logger.warning("roster job %s lost its worker: marked failed (%s)", stale_id, error)
    if stale:
        db.session.commit()
    return marked


def next_queued() -> int | None:
    """The oldest queued job's id."""
    return db.session.scalar(
        select(RosterJob.id).where(RosterJob.status == RosterJobStatus.QUEUED).order_by(RosterJob.id).limit(1))


# Other queued work this worker runs when no roster job waits: each a function that runs the oldest of its kind and
# says whether there was one (the county's coverage plans register theirs: app/county/plan.py run_next_plan).
OTHER_QUEUES: list[Callable[[], bool]] = []


def also_runs(runner: Callable[[], bool]) -> Callable[[], bool]:
    """Register another queue's runner with the roster worker (a decorator)."""
    if runner not in OTHER_QUEUES:
        OTHER_QUEUES.append(runner)
    return runner


def run_queued(limit: int | None = None, worker: str | None = None) -> int:
    """Run queued jobs until none is left (or `limit` ran), then the other queues' (OTHER_QUEUES); the number run
    (`worker`: the `flask rosters worker` running them)."""
    ran = 0
    while limit is None or ran < limit:
        job_id = next_queued()
        if job_id is None:
            if not any(runner() for runner in OTHER_QUEUES):
                break
            ran += 1
            continue
        ran += run_job(job_id, worker)
    return ran


# --- Heartbeats: is anybody there to run a queued job? ---


def beat(name: str, engine=None) -> None:
    """Record that the worker `name` is alive now (its own short transaction, so a running job is not touched)."""
    now = utcnow()
    with (engine or db.engine).begin() as connection:
        updated = connection.execute(
            update(RosterWorker).where(RosterWorker.name == name).values(seen_at=now)).rowcount
        if not updated:
            connection.execute(insert(RosterWorker).values(name=name, started_at=now, seen_at=now))


def forget(name: str, engine=None) -> None:
    """The worker `name` stopped: it no longer counts as alive."""
    with (engine or db.engine).begin() as connection:
        connection.execute(delete(RosterWorker).where(RosterWorker.name == name))


def database_worker_alive() -> bool:
    """Whether a `flask rosters worker` has said it is alive within WORKER_SILENT_SECONDS."""
    since = utcnow() - timedelta(seconds=WORKER_SILENT_SECONDS)
    return db.session.scalar(select(RosterWorker.id).where(RosterWorker.seen_at >= since).limit(1)) is not None


def rq_worker_alive(app: Flask) -> bool:
    """Whether an RQ worker listens on the rosters queue (RQ drops a worker whose heartbeat key has expired)."""
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    try:
        with _redis(app) as connection:
            return bool(Worker.all(queue=Queue(RQ_QUEUE, connection=connection)))
    except RedisError:
        logger.warning("roster jobs: Redis at REDIS_URL does not answer")
        return False


def rq_workers_known(names: set[str]) -> set[str] | None:
    """Which of these RQ workers Redis still knows: a busy RQ worker renews its key every 30 seconds for 90 (RQ's
    job monitoring interval, plus 60), so a killed one is gone within a minute and a half. None when there is no
    Redis or it does not answer (then only the time limit's grace tells a lost job)."""
    from redis.exceptions import RedisError
    from rq import Worker

    app = current_app._get_current_object()
    if not redis_url(app):
        return None
    try:
        with _redis(app) as connection:
            return {name for name in names if connection.exists(Worker.redis_worker_namespace_prefix + name)}
    except RedisError:
        logger.warning("roster jobs: Redis at REDIS_URL does not answer; lost RQ jobs are found by their time limit")
        return None


def queued_warning(job: RosterJob) -> str | None:
    """What the coordinator should know about a job that has waited too long to start, or None."""
    if job.status is not RosterJobStatus.QUEUED:
        return None
    if as_utc(job.created_at) + timedelta(seconds=QUEUED_WARNING_SECONDS) > utcnow():
        return None
    app = current_app._get_current_object()
    mode = runner_mode(app)
    if mode == "worker" and not database_worker_alive():
        return _("This job is waiting because no roster worker is running. Ask whoever runs the site to start "
                 "one beside the web server: %(command)s", command=WORKER_COMMAND)
    if mode == "rq" and not rq_worker_alive(app):
        return _("This job is waiting because no roster worker is listening on the Redis queue. Ask whoever runs "
                 "the site to start one with the web server's settings: %(command)s", command=RQ_WORKER_COMMAND)
    if mode == "thread":
        return _("This job has not started: the web server that should run it was probably restarted. "
                 "Start the roster run again.")
    return None


cli = AppGroup("rosters", help="Roster jobs: run the background worker.")


@cli.command("worker")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks at the queue.")
def worker_command(poll: float) -> None:
    """Run queued roster jobs until stopped (Ctrl-C), saying every HEARTBEAT_SECONDS that it is alive."""
    if stale := fail_stale():
        click.echo(f"Marked {stale} abandoned roster job(s) failed.")
    name = f"{socket.gethostname()}:{os.getpid()}"
    engine = db.engine
    beat(name, engine)
    click.echo("Roster worker: waiting for jobs.")
    try:
        with heartbeat.beating_every(HEARTBEAT_SECONDS, lambda: beat(name, engine), "roster worker"):
            while True:
                if not run_queued(worker=name):
                    time_module.sleep(poll)
                db.session.remove()
    finally:
        forget(name, engine)


@cli.command("run-once")
def run_once_command() -> None:
    """Run every queued roster job once, then stop."""
    if stale := fail_stale():
        click.echo(f"Marked {stale} abandoned roster job(s) failed.")
    click.echo(f"Ran {run_queued()} roster job(s).")
