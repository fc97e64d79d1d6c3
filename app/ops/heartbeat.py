"""The scheduler's heartbeat: `flask enrolment run-due` records each finished pass (its own short transaction)."""

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models_base import utcnow
from app.ops.models import ProcessHeartbeat

SCHEDULER = "scheduler"


def process_name(kind: str, every: float | None = 0) -> str:
    """kind:host:pid for a looping process; kind:host for one-off runs (cron), so their rows do not pile up."""
    return f"{kind}:{socket.gethostname()}" if every is None else f"{kind}:{socket.gethostname()}:{os.getpid()}"


def record_pass(kind: str, pass_started_at: datetime, every: float | None, engine=None) -> None:
    """Record that a pass of `kind` which began at `pass_started_at` has finished now. Two one-off runs on one host
    share a name: should the other insert the row between this one's update and insert, this one updates it."""
    name, now = process_name(kind, every), utcnow()
    values = {"pass_started_at": pass_started_at, "seen_at": now, "every_seconds": every}
    for attempt in (1, 2):
        try:
            with (engine or db.engine).begin() as connection:
                updated = connection.execute(update(ProcessHeartbeat).where(ProcessHeartbeat.name == name)
                                             .values(**values))
                if not updated.rowcount:
                    connection.execute(insert(ProcessHeartbeat).values(kind=kind, name=name,
                                                                       started_at=pass_started_at, **values))
            return
        except IntegrityError:
            if attempt == 2:
                raise


def forget(kind: str, engine=None) -> None:
    """This process stops: its row goes (a one-off run from cron keeps its row: it is the last pass there was)."""
    with (engine or db.engine).begin() as connection:
        connection.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.name == process_name(kind)))


@contextmanager
def scheduler_pass(every: float | None) -> Iterator[None]:
    """Around one pass of the run-due loop: recorded once the pass has done its work."""
    started = utcnow()
    yield
    record_pass(SCHEDULER, started, every)


def latest(kind: str) -> ProcessHeartbeat | None:
    """The most recently seen process of `kind`."""
    return db.session.scalar(select(ProcessHeartbeat).where(ProcessHeartbeat.kind == kind)
                             .order_by(ProcessHeartbeat.seen_at.desc()).limit(1))
