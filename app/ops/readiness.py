"""Readiness: can the site do its work now? Each check has a name, a yes or no, and a line saying why.

- database: PostgreSQL (or SQLite) answers;
- redis, limiter_store: the Redis of roster jobs (REDIS_URL) and of the login limits (RATELIMIT_STORAGE_URI), when
  the site uses one;
- roster_worker: a roster worker is alive (app/rosters/jobs.py: the database worker's heartbeat, or RQ's);
- roster_jobs: no roster job has waited past jobs.QUEUED_WARNING_SECONDS without a worker to run it
  (jobs.queued_warning, the words the coordinator sees on the job's page);
- scheduler: `flask enrolment run-due --every N` finished a pass within two of its intervals;
- sender: `flask notifications send --loop` said it was alive within two of its poll intervals (when the web
  process does not send itself: NOTIFY_SENDER=off);
- due_work: nothing the scheduler's last pass should have done is still undone (a draw whose window had closed,
  a waiting-list offer that had expired, an e-mail or SMS that was due).
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text

from app.extensions import db
from app.models_base import as_utc, utcnow
from app.ops import heartbeat

CRON_EVERY_SECONDS = 60.0  # a scheduler run from cron (no --every) is taken to run every minute, as the README says
LATE_INTERVALS = 2  # a scheduler whose last pass ended more than this many of its intervals ago has stopped
REDIS_TIMEOUT_SECONDS = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str  # for a person, in the site's language
    counts: dict[str, int] | None = None  # for a machine: how many of what (due_work)


def database() -> Check:
    db.session.execute(text("SELECT 1"))
    return Check("database", True, _("answers"))


def redis_stores(app: Flask) -> dict[str, str]:
    """The Redis servers this site uses, by check name."""
    from app.rosters import jobs

    stores = {}
    if url := jobs.redis_url(app):
        stores["redis"] = url
    limiter = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if limiter.startswith(("redis://", "rediss://")):
        stores["limiter_store"] = limiter
    return stores


def redis(name: str, url: str) -> Check:
    from redis import Redis

    with Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                        socket_connect_timeout=REDIS_TIMEOUT_SECONDS) as connection:
        connection.ping()
    return Check(name, True, _("answers"))


def roster_worker(app: Flask) -> Check:
    from app.rosters import jobs

    mode = jobs.runner_mode(app)
    if mode in ("thread", "inline"):
        return Check("roster_worker", True, _("roster jobs run inside the web process"))
    alive = jobs.rq_worker_alive(app) if mode == "rq" else jobs.database_worker_alive()
    if alive:
        return Check("roster_worker", True, _("a roster worker is alive"))
    command = jobs.RQ_WORKER_COMMAND if mode == "rq" else jobs.WORKER_COMMAND
    return Check("roster_worker", False, _("no roster worker is alive: start %(command)s", command=command))


def roster_jobs() -> Check:
    from app.rosters import jobs
    from app.rosters.models import RosterJob, RosterJobStatus

    oldest = db.session.scalar(select(RosterJob).where(RosterJob.status == RosterJobStatus.QUEUED)
                               .order_by(RosterJob.id).limit(1))
    warning = jobs.queued_warning(oldest) if oldest is not None else None
    if warning:
        return Check("roster_jobs", False, warning)
    return Check("roster_jobs", True, _("no roster job waits without a worker"))


SCHEDULER_COMMAND = "flask --app wsgi enrolment run-due --every 60"
SENDER_COMMAND = "flask --app wsgi notifications send --loop"


def looping_process(name: str, kind: str, now: datetime, *, never: Callable[[], str],
                    late: Callable[[float, float], str], alive: Callable[[float], str]) -> Check:
    """A background process's check by its heartbeat (the latest of `kind`): never seen, silent for more than
    LATE_INTERVALS of its intervals, or alive; each said in words by its function (seconds silent, interval)."""
    last = heartbeat.latest(kind)
    if last is None:
        return Check(name, False, never())
    every = last.every_seconds or CRON_EVERY_SECONDS
    silent = (now - as_utc(last.seen_at)).total_seconds()
    if silent > LATE_INTERVALS * every:
        return Check(name, False, late(silent, every))
    return Check(name, True, alive(silent))


def scheduler(now: datetime) -> Check:
    return looping_process(
        "scheduler", heartbeat.SCHEDULER, now,
        never=lambda: _("no scheduler has run: start %(command)s", command=SCHEDULER_COMMAND),
        late=lambda silent, every: _("the scheduler's last pass ended %(seconds)d seconds ago; it runs every "
                                     "%(every)d seconds", seconds=silent, every=every),
        alive=lambda silent: _("last pass ended %(seconds)d seconds ago", seconds=silent))


def sender(app: Flask, now: datetime) -> Check:
    from app.notifications import sender as notification_sender

    if notification_sender.mode(app) != "off":
        return Check("sender", True, _("the web process sends the messages itself"))
    return looping_process(
        "sender", heartbeat.SENDER, now,
        never=lambda: _("no message sender is running: start %(command)s", command=SENDER_COMMAND),
        late=lambda silent, every: _("the message sender was last seen %(seconds)d seconds ago (it says every "
                                     "%(every)d seconds that it is alive): start %(command)s", seconds=silent,
                                     every=every, command=SENDER_COMMAND),
        alive=lambda silent: _("last seen %(seconds)d seconds ago", seconds=silent))


def overdue_work(cutoff: datetime) -> dict[str, int]:
    """Work that was due before `cutoff` and is still not done, by kind (only kinds with some)."""
    from app.enrolment.allocation import window_closes
    from app.enrolment.models import ActivityChoice, ChoiceStatus
    from app.notifications.models import Delivery, DeliveryStatus
    from app.programs.models import AllocationMode, Offering

    undrawn = db.session.scalars(select(Offering).where(
        Offering.allocation == AllocationMode.DRAW, Offering.drawn_at.is_(None), Offering.published_version > 0))
    counts = {
        "draws": sum(1 for offering in undrawn if window_closes(offering) < cutoff),
        "offers": db.session.scalar(select(func.count(ActivityChoice.id)).where(
            ActivityChoice.status == ChoiceStatus.OFFERED, ActivityChoice.offer_expires_at < cutoff)),
        "messages": db.session.scalar(select(func.count(Delivery.id)).where(
            Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.HELD)), Delivery.next_attempt_at < cutoff)),
    }
    return {kind: count for kind, count in counts.items() if count}


def due_work(now: datetime) -> Check:
    last = heartbeat.latest(heartbeat.SCHEDULER)
    # Due before the last finished pass began: that pass should have done it. With no pass yet, due a pass ago.
    cutoff = as_utc(last.pass_started_at) if last else now - timedelta(seconds=CRON_EVERY_SECONDS)
    overdue = overdue_work(cutoff)
    if overdue:
        words = {"draws": lambda n: _("draws not run: %(count)d", count=n),
                 "offers": lambda n: _("expired offers not passed on: %(count)d", count=n),
                 "messages": lambda n: _("messages not sent: %(count)d", count=n)}
        listed = "; ".join(words[kind](count) for kind, count in overdue.items())
        return Check("due_work", False, _("due work not done: %(listed)s", listed=listed), counts=overdue)
    return Check("due_work", True, _("nothing overdue"))


def run_checks(app: Flask | None = None) -> list[Check]:
    """Every check, each on its own: one that cannot run (the database is down) fails with its reason."""
    app = app or current_app._get_current_object()
    now = utcnow()
    steps: list[tuple[str, Callable[[], Check]]] = [("database", database)]
    steps += [(name, lambda name=name, url=url: redis(name, url)) for name, url in redis_stores(app).items()]
    steps += [("roster_worker", lambda: roster_worker(app)), ("roster_jobs", roster_jobs),
              ("scheduler", lambda: scheduler(now)), ("sender", lambda: sender(app, now)),
              ("due_work", lambda: due_work(now))]
    checks = []
    for name, step in steps:
        try:
            checks.append(step())
        except Exception as error:  # a check that cannot run says so; the others still run
            db.session.rollback()
            checks.append(Check(name, False, _("could not check: %(error)s", error=type(error).__name__)))
    return checks


def report(checks: list[Check]) -> dict:
    ready = all(check.ok for check in checks)
    return {"status": "ready" if ready else "not ready",
            "checks": {check.name: {key: value for key, value in asdict(check).items()
                                    if key != "name" and value is not None} for check in checks}}
