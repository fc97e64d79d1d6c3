"""Providers: non-subject organisations vetted by the county (白名单)."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow


class ProviderStatus(enum.Enum):
    APPLIED = "applied"
    ACTIVE = "active"
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
    # Activities it may lead; only non-subject ones (002 (二)3), checked by the form against the policy module.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ProviderStatus] = mapped_column(enum_column(ProviderStatus), default=ProviderStatus.APPLIED)
    vetted_until: Mapped[date | None] = mapped_column(Date)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    county: Mapped["County"] = relationship()  # noqa: F821
    staff_users: Mapped[list["User"]] = relationship(back_populates="provider")  # noqa: F821

    def is_vetted_on(self, day: date) -> bool:
        """Whether the provider may work on a date: active and vetted until at least that day."""
        return self.status is ProviderStatus.ACTIVE and self.vetted_until is not None and self.vetted_until >= day

    def __repr__(self) -> str:
        return f"<Provider {self.name} {self.status.value}>"
