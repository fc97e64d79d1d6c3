"""Staff profiles: who can run sessions, on what terms."""

import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import enum_column


class StaffType(enum.Enum):
    """Same values as the rostering contract's staff `type`."""

    TEACHER = "teacher"
    RETIRED_TEACHER = "retired_teacher"
    VOLUNTEER = "volunteer"
    PROVIDER = "provider"


class StaffProfile(db.Model):
    """What the roster needs to know about a person who may staff sessions."""

    __table_args__ = (
        CheckConstraint("max_weekly_minutes IS NULL OR max_weekly_minutes >= 0", name="weekly_minutes_nonnegative"),
        CheckConstraint("max_days IS NULL OR (max_days >= 0 AND max_days <= 7)", name="max_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    staff_type: Mapped[StaffType] = mapped_column(enum_column(StaffType))
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Voluntary participation (003 丽水 11): nobody is rostered without opting in; exempt overrides.
    opted_in: Mapped[bool] = mapped_column(default=False)
    exempt: Mapped[bool] = mapped_column(default=False)
    exempt_reason: Mapped[str] = mapped_column(String(200), default="")
    max_weekly_minutes: Mapped[int | None]
    max_days: Mapped[int | None]

    user: Mapped["User"] = relationship(back_populates="staff_profile")  # noqa: F821

    def __repr__(self) -> str:
        return f"<StaffProfile {self.user_id} {self.staff_type.value}>"
