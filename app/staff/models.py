"""Staff profiles: who can run sessions, on what terms."""

import enum
import secrets
from datetime import date, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Time, UniqueConstraint
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
    # Secret part of the personal iCal feed URL; replacing it revokes the old link.
    calendar_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(32), unique=True)

    user: Mapped["User"] = relationship(back_populates="staff_profile")  # noqa: F821
    unavailability: Mapped[list["StaffUnavailability"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="StaffUnavailability.id"
    )
    teaching_minutes: Mapped[list["TeachingMinutes"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="TeachingMinutes.weekday"
    )

    def revoke_calendar_link(self) -> None:
        """Give the iCal feed a new secret; the old link stops working."""
        self.calendar_token = secrets.token_urlsafe(32)

    def __repr__(self) -> str:
        return f"<StaffProfile {self.user_id} {self.staff_type.value}>"


class StaffUnavailability(db.Model):
    """A time a person cannot serve: every week on a weekday (regular) or on one date."""

    __table_args__ = (
        CheckConstraint("(weekday IS NULL) <> (on_date IS NULL)", name="weekday_or_date"),
        CheckConstraint("weekday IS NULL OR (weekday >= 0 AND weekday <= 6)", name="weekday_range"),
        CheckConstraint("ends_at > starts_at", name="unavailability_times_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("staff_profile.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int | None]  # 0 = Monday, as date.weekday()
    on_date: Mapped[date | None] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(200), default="")

    profile: Mapped[StaffProfile] = relationship(back_populates="unavailability")

    def applies_on(self, day: date) -> bool:
        """Whether this window falls on a date."""
        return self.on_date == day if self.on_date is not None else self.weekday == day.weekday()

    def __repr__(self) -> str:
        when = self.on_date.isoformat() if self.on_date else f"weekday {self.weekday}"
        return f"<StaffUnavailability {self.profile_id} {when} {self.starts_at}-{self.ends_at}>"


class TeachingMinutes(db.Model):
    """Minutes a teacher teaches on a weekday (from the timetable), counted in the daily limit."""

    __table_args__ = (
        UniqueConstraint("profile_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="teaching_weekday_range"),
        CheckConstraint("minutes >= 0 AND minutes <= 1440", name="teaching_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("staff_profile.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    minutes: Mapped[int]

    profile: Mapped[StaffProfile] = relationship(back_populates="teaching_minutes")

    def __repr__(self) -> str:
        return f"<TeachingMinutes {self.profile_id} weekday {self.weekday}: {self.minutes}>"
