"""The county coverage plan: one background run that plans every school of a county for one week, without storing
anything in the schools' weeks, and keeps what could not be staffed and why (app/county/plan.py runs it)."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow
from app.rosters.models import RosterJobStatus


class CountyPlan(db.Model):
    """A county's coverage plan for the week starting `monday`: queued, running, done or failed like a roster job
    (the same statuses, worker and warnings: app/rosters/jobs.py)."""

    __tablename__ = "county_plan"
    __table_args__ = (CheckConstraint("time_limit > 0", name="county_plan_time_limit_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id", ondelete="CASCADE"), index=True)
    monday: Mapped[date] = mapped_column(Date)
    status: Mapped[RosterJobStatus] = mapped_column(
        enum_column(RosterJobStatus), default=RosterJobStatus.QUEUED, index=True)
    time_limit: Mapped[float] = mapped_column(Float, default=10.0)  # seconds the engine may think per solve
    # {"staffed": schools done, "needed": schools, "stage", "elapsed", "time_limit", "processes"}
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)  # {"schools": [...]}: see plan_engine.plan_school
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    finished_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    county: Mapped["County"] = relationship()  # noqa: F821
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def finished(self) -> bool:
        return self.status in (RosterJobStatus.DONE, RosterJobStatus.FAILED)

    def __repr__(self) -> str:
        return f"<CountyPlan {self.id} {self.monday} {self.status.value}>"
