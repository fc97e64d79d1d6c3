"""Applications and their activity choices, seats, lotteries, fee ledger and the audit trail."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow


def new_ticket() -> str:
    """A random ticket: the draw's record names applicants by it, never by child or application."""
    return secrets.token_hex(5)


class ApplicationStatus(enum.Enum):
    """公示 → 学生选择 → 家长申请 (submitted) → 班级审核 (confirmed / returned) → 校长审定 (approved)."""

    SUBMITTED = "submitted"
    RETURNED = "returned"
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class Pickup(enum.Enum):
    COLLECTED = "collected"  # collected by the people named
    WALKS_ALONE = "walks_alone"  # walks home alone, with the guardian's consent


class ChoiceStatus(enum.Enum):
    PENDING = "pending"  # not yet allocated
    PLACED = "placed"
    OFFERED = "offered"  # a freed place held for the child until the offer expires
    WAITING = "waiting"
    DROPPED = "dropped"  # placed elsewhere, withdrawn, or given up


class HardshipStatus(enum.Enum):
    NONE = "none"
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class Application(db.Model):
    """A guardian's application for one child to one offering; one per child and offering."""

    __table_args__ = (
        UniqueConstraint("offering_id", "student_id"),
        UniqueConstraint("offering_id", "ticket"),
        CheckConstraint("pickup <> 'walks_alone' OR walk_alone_consent", name="walk_alone_needs_consent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus), index=True,
                                                      default=ApplicationStatus.SUBMITTED)
    notice_version: Mapped[int]  # the published notice the guardian read
    ticket: Mapped[str] = mapped_column(String(16), default=new_ticket)  # the opaque name the draw knows it by
    sibling_group: Mapped[str | None] = mapped_column(String(16), index=True)  # linked siblings share one
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    evening_study: Mapped[bool] = mapped_column(default=False)
    pickup: Mapped[Pickup] = mapped_column(enum_column(Pickup), default=Pickup.COLLECTED)
    pickup_people: Mapped[str] = mapped_column(String(200), default="")
    walk_alone_consent: Mapped[bool] = mapped_column(default=False)
    health_notes: Mapped[str] = mapped_column(Text, default="")
    priority_groups: Mapped[list[str]] = mapped_column(JSON, default=list)  # PriorityGroup values claimed
    hardship: Mapped[HardshipStatus] = mapped_column(enum_column(HardshipStatus), default=HardshipStatus.NONE)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement_text.id"))
    signed_at: Mapped[datetime] = mapped_column(TimestampColumn())
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    school: Mapped["School"] = relationship()  # noqa: F821
    offering: Mapped["Offering"] = relationship()  # noqa: F821
    student: Mapped["Student"] = relationship()  # noqa: F821
    guardian: Mapped["User"] = relationship(foreign_keys=[guardian_id])  # noqa: F821
    signed_by: Mapped["User"] = relationship(foreign_keys=[signed_by_id])  # noqa: F821
    agreement: Mapped["AgreementText"] = relationship()  # noqa: F821
    choices: Mapped[list["ActivityChoice"]] = relationship(
        back_populates="application", order_by="ActivityChoice.rank", cascade="all, delete-orphan"
    )
    ledger: Mapped[list["LedgerEntry"]] = relationship(
        back_populates="application", order_by="LedgerEntry.id", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status is not ApplicationStatus.WITHDRAWN

    @property
    def resubmitted(self) -> bool:
        """Fixed by the family after a return and sent again, not yet reviewed (the reason is kept till then)."""
        return self.status is ApplicationStatus.SUBMITTED and bool(self.return_reason)

    @property
    def placed_choice(self) -> "ActivityChoice | None":
        return next((c for c in self.choices if c.status is ChoiceStatus.PLACED), None)

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.status.value}>"


class ActivityChoice(db.Model):
    """One ranked extended-activity choice of an application, and where it stands."""

    __table_args__ = (
        UniqueConstraint("application_id", "activity_id"),
        UniqueConstraint("application_id", "rank"),
        CheckConstraint("rank >= 1", name="choice_rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    status: Mapped[ChoiceStatus] = mapped_column(enum_column(ChoiceStatus), default=ChoiceStatus.PENDING)
    wait_position: Mapped[int | None]  # order on the waiting list (from the draw; late arrivals after it)
    offer_expires_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    outcome: Mapped[str] = mapped_column(String(20), default="")  # why the status is what it is (see explain.py)
    lottery_id: Mapped[int | None] = mapped_column(ForeignKey("lottery.id", ondelete="SET NULL"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))  # group held

    application: Mapped[Application] = relationship(back_populates="choices")
    activity: Mapped["Activity"] = relationship(foreign_keys=[activity_id])  # noqa: F821
    section: Mapped["Activity | None"] = relationship(foreign_keys=[section_id])  # noqa: F821
    lottery: Mapped["Lottery | None"] = relationship()

    @property
    def seat_activity(self) -> "Activity":  # noqa: F821
        """The group whose seat the child holds or is offered (the chosen activity unless another group)."""
        return self.section or self.activity

    def __repr__(self) -> str:
        return f"<ActivityChoice {self.application_id} #{self.rank} {self.status.value}>"


class Seat(db.Model):
    """A taken place in an activity: one per child and activity, so no child holds two of the same."""

    __table_args__ = (UniqueConstraint("activity_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Seat {self.activity_id} {self.student_id}>"


class Lottery(db.Model):
    """A recorded allocation: seed, inputs and result, so anyone can re-run it and get the same answer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)
    run_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    school: Mapped["School"] = relationship()  # noqa: F821
    offering: Mapped["Offering"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<Lottery {self.id} seed={self.seed}>"


class LedgerKind(enum.Enum):
    CHARGE = "charge"
    PAYMENT = "payment"
    WAIVER = "waiver"
    REFUND = "refund"


class LedgerEntry(db.Model):
    """A line of a child's fee statement: charges, payments received (marked by the school), waivers, refunds."""

    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="ledger_amount_nonnegative"),
        CheckConstraint("months >= 0", name="ledger_months_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(enum_column(LedgerKind))
    amount_cents: Mapped[int]
    months: Mapped[int] = mapped_column(default=0)  # months a charge covers
    period_start: Mapped[str] = mapped_column(String(7), default="")  # YYYY-MM of a charge's first month
    note: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")  # a payment gateway's id, when there is one
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    application: Mapped[Application] = relationship(back_populates="ledger")

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.kind.value} {self.amount_cents}>"


class AuditEvent(db.Model):
    """Who decided what, when and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"
