"""A complaint about a school's service, from filing to the county's close."""

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow


class ComplaintCategory(enum.Enum):
    """What the complaint is about (the 双减 rules a family can hold a school to)."""

    FEES = "fees"  # fees outside the published standard
    FORCED = "forced"  # forced participation (not voluntary)
    NEW_LESSONS = "new_lessons"  # new lessons taught in the service
    SAFETY = "safety"
    PROVIDER = "provider"  # an outside provider
    OTHER = "other"


class ComplaintStatus(enum.Enum):
    """Where a complaint stands: with the school, answered by it, with the county, or closed by the county."""

    OPEN = "open"
    ANSWERED = "answered"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Complaint(db.Model):
    """One complaint: who filed it (an account, or a proven mobile), about which school, and each answer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    category: Mapped[ComplaintCategory] = mapped_column(enum_column(ComplaintCategory))
    body: Mapped[str] = mapped_column(Text)
    offering_id: Mapped[int | None] = mapped_column(ForeignKey("offering.id", ondelete="SET NULL"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"), index=True)
    # The filer: a guardian's account, or (no account) the name given and the mobile proven by an SMS code. No check
    # that one of them is set: an account removed later leaves the complaint on record without its filer.
    filer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    filer_name: Mapped[str] = mapped_column(String(50), default="")
    filer_mobile: Mapped[str] = mapped_column(String(20), default="")
    # Whether the filer let the handling school's principal and the county see their name and mobile.
    identity_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # Keyed hash of the tracking link's token (the link itself is shown to the filer once, and sent to them).
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus), default=ComplaintStatus.OPEN,
                                                    index=True)
    filed_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    respond_by: Mapped[date] = mapped_column(Date)  # school time: the school's answer is due by the end of this day
    school_answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    escalation_reason: Mapped[str] = mapped_column(String(20), default="")  # "overdue" or "filer"
    county_answer: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    school: Mapped["School"] = relationship()  # noqa: F821
    offering: Mapped["Offering | None"] = relationship()  # noqa: F821
    provider: Mapped["Provider | None"] = relationship()  # noqa: F821
    filer: Mapped["User | None"] = relationship(foreign_keys=[filer_id])  # noqa: F821
    answered_by: Mapped["User | None"] = relationship(foreign_keys=[answered_by_id])  # noqa: F821
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])  # noqa: F821

    @property
    def reference(self) -> str:
        """The number the filer and the staff quote (TS-000123)."""
        return f"TS-{self.id:06d}"

    def __repr__(self) -> str:
        return f"<Complaint {self.id} {self.category.value} {self.status.value}>"
