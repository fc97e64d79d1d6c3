"""What happens on a school day, as recorded: register marks and their history, advance absences, alerts, the
adults who may collect a child, sign-outs, wrong pickup codes and incidents.

Marks, sign-outs and alerts point at a planned session and a child; a session's date and times are the session's.
Every timestamp is stored in UTC and shown in school time (app.models_base.local_time).
"""

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow


class Mark(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"
    LEFT_EARLY = "left_early"


class AttendanceMark(db.Model):
    """A child's mark on a session's register: the latest tap, by whom and when (its history: AttendanceChange)."""

    __tablename__ = "attendance_mark"
    __table_args__ = (UniqueConstraint("session_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("planned_session.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    status: Mapped[Mark] = mapped_column(enum_column(Mark))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    session: Mapped["PlannedSession"] = relationship()  # noqa: F821
    student: Mapped["Student"] = relationship()  # noqa: F821
    marked_by: Mapped["User | None"] = relationship()  # noqa: F821


class AttendanceChange(db.Model):
    """Every tap that changed a mark (the first one included): the register's history, who and when."""

    __tablename__ = "attendance_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("planned_session.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    status: Mapped[Mark] = mapped_column(enum_column(Mark))
    previous: Mapped[str] = mapped_column(String(10), default="")  # the Mark value before, "" for the first
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    changed_by: Mapped["User | None"] = relationship()  # noqa: F821


class AdvanceAbsence(db.Model):
    """A guardian's notice that a child will be away (请假): a date or a range, and why."""

    __tablename__ = "advance_absence"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="absence_range_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    student: Mapped["Student"] = relationship()  # noqa: F821
    reported_by: Mapped["User | None"] = relationship()  # noqa: F821


class AlertKind(enum.Enum):
    MISSING = "missing"  # expected, absent without notice or not marked in time
    NOT_COLLECTED = "not_collected"  # not signed out when the session ended plus the grace time


class Alert(db.Model):
    """A child the school must act on now; shown on the coordinator's board until someone resolves it with a note."""

    __tablename__ = "daily_alert"
    __table_args__ = (UniqueConstraint("session_id", "student_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("planned_session.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    raised_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    session: Mapped["PlannedSession"] = relationship()  # noqa: F821
    student: Mapped["Student"] = relationship()  # noqa: F821
    resolved_by: Mapped["User | None"] = relationship()  # noqa: F821


def new_pickup_secret() -> str:
    return secrets.token_hex(16)


class PickupAdult(db.Model):
    """An adult a guardian allows to collect a child; their code of the day comes from `secret` (see pickup.py)."""

    __tablename__ = "pickup_adult"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[str] = mapped_column(String(20))
    mobile: Mapped[str] = mapped_column(String(20))
    secret: Mapped[str] = mapped_column(String(64), default=new_pickup_secret)  # new secret = new codes
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    student: Mapped["Student"] = relationship()  # noqa: F821


class SignOutMethod(enum.Enum):
    CODE = "code"  # the adult's code of the day
    LISTED_ADULT = "listed_adult"  # a listed adult, ID checked by the staff member
    WALKS_ALONE = "walks_alone"  # the family's consent on the application


class SignOut(db.Model):
    """A child handed over at the end of a session: to whom, how, when and by which staff member."""

    __tablename__ = "sign_out"
    __table_args__ = (UniqueConstraint("session_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("planned_session.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    method: Mapped[SignOutMethod] = mapped_column(enum_column(SignOutMethod))
    adult_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_adult.id", ondelete="SET NULL"))
    adult_name: Mapped[str] = mapped_column(String(50), default="")  # kept as it was when the child left
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    signed_out_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    session: Mapped["PlannedSession"] = relationship()  # noqa: F821
    student: Mapped["Student"] = relationship()  # noqa: F821
    adult: Mapped[PickupAdult | None] = relationship()
    staff: Mapped["User | None"] = relationship()  # noqa: F821


class PickupCodeAttempt(db.Model):
    """A pickup code typed for a child, right or wrong (wrong ones are limited per child and day, and logged)."""

    __tablename__ = "pickup_code_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)


class IncidentCategory(enum.Enum):
    INJURY = "injury"
    ILLNESS = "illness"
    BEHAVIOUR = "behaviour"
    SAFEGUARDING = "safeguarding"
    OTHER = "other"


class Incident(db.Model):
    """Something that happened to a child on a session: what, when, what was done; the family is told and
    acknowledges it, the coordinator countersigns. `internal_note` is for the school only."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("planned_session.id", ondelete="SET NULL"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    category: Mapped[IncidentCategory] = mapped_column(enum_column(IncidentCategory))
    occurred_at: Mapped[datetime] = mapped_column(TimestampColumn())
    what_happened: Mapped[str] = mapped_column(Text)
    action_taken: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    guardian_comment: Mapped[str] = mapped_column(Text, default="")
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    countersigned_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    session: Mapped["PlannedSession | None"] = relationship()  # noqa: F821
    student: Mapped["Student"] = relationship()  # noqa: F821
    recorded_by: Mapped["User | None"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821
    acknowledged_by: Mapped["User | None"] = relationship(foreign_keys=[acknowledged_by_id])  # noqa: F821
    countersigned_by: Mapped["User | None"] = relationship(foreign_keys=[countersigned_by_id])  # noqa: F821
