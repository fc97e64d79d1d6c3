"""Heartbeats of the scheduler and the message sender (each in its own short transaction): `flask enrolment run-due`
records each finished pass; `flask notifications send --loop` says every poll interval that it is alive, from a
thread of its own, so a long round of sending (a gateway timing out) does not make it look dead."""

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models_base import utcnow
from app.ops.models import ProcessHeartbeat

logger = logging.getLogger(__name__)

SCHEDULER = "scheduler"
SENDER = "sender"


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
def recorded_pass(kind: str, every: float | None) -> Iterator[None]:
    """Around one pass of a process of `kind` (a run-due pass, a one-off send): recorded once the pass has done its
    work."""
    started = utcnow()
    yield
    record_pass(kind, started, every)


def _beat_or_log(beat: Callable[[], None], label: str) -> None:
    try:
        beat()
    except Exception:  # a database hiccup must not stop the process or its heartbeat: try again next time
        logger.exception("%s heartbeat failed", label)


@contextmanager
def beating_every(seconds: float, beat: Callable[[], None], label: str) -> Iterator[None]:
    """While inside: `beat()` every `seconds` from a thread of its own, so long work (a solve, a gateway timing out)
    does not silence it; a beat that fails is logged and the next one tried."""
    stopped = threading.Event()

    def keep_beating() -> None:
        while not stopped.wait(seconds):
            _beat_or_log(beat, label)

    threading.Thread(target=keep_beating, daemon=True, name=f"{label.replace(' ', '-')}-heartbeat").start()
    try:
        yield
    finally:
        stopped.set()


@contextmanager
def beating(kind: str, every: float) -> Iterator[None]:
    """Around a looping process's life: alive now, then every `every` seconds (beating_every); its row goes when it
    stops. The database away (at the start, a beat, the end) costs a beat, never the process: the beats resume when
    it is back, and a row left behind is only a process last seen then."""
    engine = db.engine
    started = utcnow()

    def beat() -> None:
        record_pass(kind, started, every, engine)

    _beat_or_log(beat, kind)
    try:
        with beating_every(every, beat, kind):
            yield
    finally:
        try:
            forget(kind, engine)
        except Exception:
            logger.exception("%s heartbeat not removed", kind)


def latest(kind: str) -> ProcessHeartbeat | None:
    """The most recently seen process of `kind`."""
    return db.session.scalar(select(ProcessHeartbeat).where(ProcessHeartbeat.kind == kind)
                             .order_by(ProcessHeartbeat.seen_at.desc()).limit(1))
