"""Providers: non-subject organisations vetted by the county (白名单), their vetting history and evaluations."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow
from scheduling import policy

# What a provider may be admitted for: every activity except those kept for school staff and the
# never-allowed new lesson (002 (二)3; 001 §10). Derived from the policy module, never restated.
PROVIDER_CATEGORIES = tuple(
    activity for activity in policy.ACTIVITIES
    if activity not in policy.PROVIDER_FORBIDDEN_ACTIVITIES and activity != policy.NEW_LESSON
)
EXPIRY_WARNING_DAYS = 30  # the whitelist highlights vetting that ends within this many days


class ProviderStatus(enum.Enum):
    APPLIED = "applied"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXITED = "exited"


def _status_column(name: str):
    """A ProviderStatus column type whose CHECK constraint has its own name (two in one table must differ)."""
    column_type = enum_column(ProviderStatus)
    column_type.name = name
    return column_type


class VettingAction(enum.Enum):
    """What the county did to a provider's place on the whitelist (准入、遴选、评估退出)."""

    APPLY = "apply"
    APPROVE = "approve"
    RENEW = "renew"
    SUSPEND = "suspend"
    EXIT = "exit"


# Which statuses each action may start from, and where it leads. Exit is final.
ACTION_TRANSITIONS: dict[VettingAction, tuple[frozenset[ProviderStatus], ProviderStatus]] = {
    VettingAction.APPROVE: (frozenset({ProviderStatus.APPLIED, ProviderStatus.SUSPENDED}), ProviderStatus.ACTIVE),
    VettingAction.RENEW: (frozenset({ProviderStatus.ACTIVE}), ProviderStatus.ACTIVE),
    VettingAction.SUSPEND: (frozenset({ProviderStatus.ACTIVE}), ProviderStatus.SUSPENDED),
    VettingAction.EXIT: (
        frozenset({ProviderStatus.APPLIED, ProviderStatus.ACTIVE, ProviderStatus.SUSPENDED}), ProviderStatus.EXITED
    ),
}


class ReasonCategory(enum.Enum):
    """Why a provider was suspended or exited; the category (not the free text) is public (黑名单)."""

    EVALUATION = "evaluation"
    SAFETY = "safety"
    QUALIFICATION = "qualification"
    FEES = "fees"
    SUBJECT_TRAINING = "subject_training"
    REQUEST = "request"
    OTHER = "other"


class EvaluationRating(enum.Enum):
    EXCELLENT = "excellent"  # 优秀
    PASS = "pass"  # 合格
    FAIL = "fail"  # 不合格


class VettingStatus(enum.Enum):
    """Where a provider stands on a given day: the one status every page shows (Provider.vetting_status)."""

    APPLIED = "applied"
    VETTED = "vetted"
    EXPIRING = "expiring"  # vetted, for EXPIRY_WARNING_DAYS more days at most
    EXPIRED = "expired"  # active on the list, but its vetting period has ended: no sessions
    SUSPENDED = "suspended"
    EXITED = "exited"


class Provider(db.Model):
    """A third-party organisation on (or applying to) the county whitelist."""

    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18), default="")  # 统一社会信用代码
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_mobile: Mapped[str] = mapped_column(String(11), default="")
    # Activities it may lead; only PROVIDER_CATEGORIES (002 (二)3), checked by the form.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ProviderStatus] = mapped_column(enum_column(ProviderStatus), default=ProviderStatus.APPLIED)
    vetted_until: Mapped[date | None] = mapped_column(Date)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    county: Mapped["County"] = relationship()  # noqa: F821
    staff_users: Mapped[list["User"]] = relationship(back_populates="provider", order_by="User.name")  # noqa: F821
    status_changes: Mapped[list["ProviderStatusChange"]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(ProviderStatusChange.changed_at.desc(), ProviderStatusChange.id.desc())",
    )
    evaluations: Mapped[list["ProviderEvaluation"]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(ProviderEvaluation.created_at.desc(), ProviderEvaluation.id.desc())",
    )

    def is_vetted_on(self, day: date) -> bool:
        """Whether the provider may work on a date: active and vetted until at least that day."""
        return self.status is ProviderStatus.ACTIVE and self.vetted_until is not None and self.vetted_until >= day

    def expires_soon(self, day: date) -> bool:
        """Vetted on the day, but only for EXPIRY_WARNING_DAYS more days at most."""
        return self.is_vetted_on(day) and (self.vetted_until - day).days <= EXPIRY_WARNING_DAYS

    def vetting_status(self, day: date) -> VettingStatus:
        """The provider's status on a date, its vetting period taken into account (see VettingStatus)."""
        if self.status is not ProviderStatus.ACTIVE:
            return VettingStatus(self.status.value)
        if not self.is_vetted_on(day):
            return VettingStatus.EXPIRED
        return VettingStatus.EXPIRING if self.expires_soon(day) else VettingStatus.VETTED

    def can(self, action: VettingAction) -> bool:
        """Whether the action may be taken from the current status."""
        return self.status in ACTION_TRANSITIONS[action][0]

    @property
    def last_status_change(self) -> "ProviderStatusChange | None":
        return self.status_changes[0] if self.status_changes else None

    @property
    def latest_evaluation(self) -> "ProviderEvaluation | None":
        return self.evaluations[0] if self.evaluations else None

    def __repr__(self) -> str:
        return f"<Provider {self.name} {self.status.value}>"


class ProviderStatusChange(db.Model):
    """One step of a provider's vetting history: who did what, when and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    action: Mapped[VettingAction] = mapped_column(enum_column(VettingAction))
    from_status: Mapped[ProviderStatus | None] = mapped_column(_status_column("from_status"))
    to_status: Mapped[ProviderStatus] = mapped_column(_status_column("to_status"))
    vetted_until: Mapped[date | None] = mapped_column(Date)
    reason_category: Mapped[ReasonCategory | None] = mapped_column(enum_column(ReasonCategory))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="status_changes")
    changed_by: Mapped["User | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<ProviderStatusChange {self.provider_id} {self.action.value}>"


class ProviderEvaluation(db.Model):
    """The county's evaluation of a provider after a term (评估): a rating, a score, or both."""

    __table_args__ = (
        UniqueConstraint("provider_id", "term_name"),
        CheckConstraint("rating IS NOT NULL OR score IS NOT NULL", name="rating_or_score"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    term_name: Mapped[str] = mapped_column(String(60))
    rating: Mapped[EvaluationRating | None] = mapped_column(enum_column(EvaluationRating))
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="evaluations")
    evaluated_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def is_unsatisfactory(self) -> bool:
        """不合格: rated fail, or scored below the policy's pass score."""
        return self.rating is EvaluationRating.FAIL or (
            self.score is not None and self.score < policy.PROVIDER_PASS_SCORE)

    def __repr__(self) -> str:
        return f"<ProviderEvaluation {self.provider_id} {self.term_name}>"
