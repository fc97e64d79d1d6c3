"""Heartbeats of the site's background processes other than the roster worker (which has its own: RosterWorker)."""

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import TimestampColumn, utcnow


class ProcessHeartbeat(db.Model):
    """A running `flask enrolment run-due` (kind "scheduler"): after each pass it records when that pass began and
    ended and how often it runs, so readiness can tell a scheduler that has stopped and due work left undone. A
    running `flask notifications send --loop` (kind "sender"): every poll interval it says it is alive (`seen_at`;
    `pass_started_at` is when it started)."""

    __tablename__ = "process_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # kind:host:pid
    started_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    pass_started_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow, index=True)
    every_seconds: Mapped[float | None] = mapped_column(Float)  # None: run once (from cron)

    def __repr__(self) -> str:
        return f"<ProcessHeartbeat {self.name}>"
