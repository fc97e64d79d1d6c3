"""Offerings (after-school per term, holiday care per holiday), their activities, published notice versions and
the agreement text guardians sign."""

import enum
from datetime import date, datetime, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow
from scheduling import policy


class OfferingKind(enum.Enum):
    """Same values as the policy module's session kinds (scheduling/policy.py KINDS)."""

    AFTER_SCHOOL = "after_school"
    HOLIDAY_CARE = "holiday_care"


class FeePeriod(enum.Enum):
    MONTH = "month"
    TERM = "term"


class AllocationMode(enum.Enum):
    """How an offering's over-subscribed activities are shared out."""

    DRAW = "draw"  # every application in the window is equal; one recorded draw when the window closes
    FIRST_COME = "first_come"  # places given in the order applications arrive, while there are any


class PriorityGroup(enum.Enum):
    """Groups a school may put first when an activity is over-subscribed."""

    HARDSHIP = "hardship"  # families in hardship
    LEFT_BEHIND = "left_behind"  # left-behind children
    LATE_WORKING = "late_working"  # both guardians work late


class Offering(db.Model):
    """What a school offers for a term (after-school service) or a holiday (holiday care)."""

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="offering_times_ordered"),
        CheckConstraint("ends_on >= starts_on", name="offering_dates_ordered"),
        CheckConstraint("basic_fee_cents >= 0", name="offering_fee_nonnegative"),
        CheckConstraint("offer_hours > 0", name="offering_offer_hours_positive"),
        CheckConstraint("window_closes_at IS NULL OR window_opens_at IS NULL OR window_closes_at > window_opens_at",
                        name="offering_window_ordered"),
        CheckConstraint(
            "(kind = 'after_school' AND term_id IS NOT NULL) OR (kind = 'holiday_care' AND holiday_id IS NOT NULL)",
            name="offering_period_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[OfferingKind] = mapped_column(enum_column(OfferingKind))
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"), index=True)
    holiday_id: Mapped[int | None] = mapped_column(ForeignKey("holiday.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday
    # Weekly exception days the school declares (policy.service_days: EVERY_SCHOOL_DAY) and why; the notice shows them.
    exception_weekdays: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    exception_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    basic_content: Mapped[str] = mapped_column(Text, default="")
    evening_starts_at: Mapped[time | None] = mapped_column(Time)
    evening_ends_at: Mapped[time | None] = mapped_column(Time)
    apply_deadline: Mapped[date] = mapped_column(Date)
    fee_period: Mapped[FeePeriod] = mapped_column(enum_column(FeePeriod), default=FeePeriod.MONTH)
    basic_fee_cents: Mapped[int] = mapped_column(default=0)
    fee_rules: Mapped[str] = mapped_column(Text, default="")
    refund_rule: Mapped[str] = mapped_column(Text, default="")
    hardship_rule: Mapped[str] = mapped_column(Text, default="")
    safety_measures: Mapped[str] = mapped_column(Text, default="")
    priority_groups: Mapped[list[str]] = mapped_column(JSON, default=list)  # PriorityGroup values, in order
    allocation: Mapped[AllocationMode] = mapped_column(enum_column(AllocationMode), default=AllocationMode.DRAW)
    window_opens_at: Mapped[datetime | None] = mapped_column(TimestampColumn())  # None: from publication
    window_closes_at: Mapped[datetime | None] = mapped_column(TimestampColumn())  # None: end of apply_deadline
    first_come_after_draw: Mapped[bool] = mapped_column(default=False)  # places left go first-come until deadline
    siblings_together: Mapped[bool] = mapped_column(default=True)
    offer_hours: Mapped[int] = mapped_column(default=policy.OFFER_HOURS)  # how long a waiting-list offer stays open
    drawn_at: Mapped[datetime | None] = mapped_column(TimestampColumn())  # set once, by the draw at the close
    published_version: Mapped[int] = mapped_column(default=0)  # 0 = never published
    changed_since_publish: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    school: Mapped["School"] = relationship()  # noqa: F821
    term: Mapped["Term | None"] = relationship()  # noqa: F821
    holiday: Mapped["Holiday | None"] = relationship()  # noqa: F821
    activities: Mapped[list["Activity"]] = relationship(
        back_populates="offering", order_by="Activity.id", cascade="all, delete-orphan"
    )
    versions: Mapped[list["NoticeVersion"]] = relationship(
        back_populates="offering", order_by="NoticeVersion.version", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        return (self.published_version or 0) > 0

    @property
    def is_holiday_care(self) -> bool:
        return self.kind is OfferingKind.HOLIDAY_CARE

    def __repr__(self) -> str:
        return f"<Offering {self.id} {self.kind.value} {self.title}>"


class Activity(db.Model):
    """An extended activity of an offering, with the seats it has and the seats taken (a guarded counter)."""

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="activity_times_ordered"),
        CheckConstraint("capacity >= 0", name="activity_capacity_nonnegative"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="activity_seats_within_capacity"),
        CheckConstraint("fee_cents >= 0", name="activity_fee_nonnegative"),
        CheckConstraint("NOT (leader_id IS NOT NULL AND provider_id IS NOT NULL)", name="activity_one_leader"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    activity: Mapped[str] = mapped_column(String(20))  # a code of scheduling.policy.ACTIVITIES
    subject: Mapped[str] = mapped_column(String(20), default="")  # a subject, when the content has one
    description: Mapped[str] = mapped_column(Text, default="")
    grades: Mapped[list[int]] = mapped_column(JSON, default=list)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)
    room: Mapped[str] = mapped_column(String(50), default="")
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    fee_cents: Mapped[int] = mapped_column(default=0)
    # Another group of an over-subscribed activity (加开): it shares the first group's waiting list.
    section_of_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)

    offering: Mapped[Offering] = relationship(back_populates="activities")
    school: Mapped["School"] = relationship()  # noqa: F821
    leader: Mapped["User | None"] = relationship()  # noqa: F821
    provider: Mapped["Provider | None"] = relationship()  # noqa: F821
    section_of: Mapped["Activity | None"] = relationship(remote_side=[id])

    @property
    def led_by(self) -> str:
        """Who leads it, as the notice promises and the roster shows: the provider, else the teacher."""
        if self.provider is not None:
            return self.provider.name
        return self.leader.name if self.leader is not None else ""

    @property
    def queue_id(self) -> int:
        """The activity whose waiting list this one shares (itself, or the first group)."""
        return self.section_of_id or self.id

    @property
    def free_seats(self) -> int:
        return self.capacity - self.taken

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.name} {self.taken}/{self.capacity}>"


class NoticeVersion(db.Model):
    """One published version of an offering's public notice (公示), kept as published."""

    __table_args__ = (UniqueConstraint("offering_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offering.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)
    change_note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    offering: Mapped[Offering] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<NoticeVersion {self.offering_id} v{self.version}>"


class AgreementText(db.Model):
    """The school–guardian agreement (协议书), versioned; an application records the version signed."""

    __table_args__ = (UniqueConstraint("school_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    school: Mapped["School"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<AgreementText {self.school_id} v{self.version}>"
