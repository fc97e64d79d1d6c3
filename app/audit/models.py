"""One row per access to personal information or security event: who, when, from where, what (never the data)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, utcnow

# The kinds a principal filters by; the event says what happened within the kind.
HEALTH_VIEW = "health_view"
EXPORT = "export"
SECURITY = "security"
CONTACTS_VIEW = "contacts_view"  # guardians' phone numbers shown to the staff on a session (emergency contacts)
KINDS = (HEALTH_VIEW, EXPORT, SECURITY, CONTACTS_VIEW)


class LogEntry(db.Model):
    """A record for the school's (or county's) log page; it names what was seen, it holds no copy of it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    event: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"), index=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow, index=True)

    actor: Mapped["User | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<LogEntry {self.kind}:{self.event} {self.subject}>"


class RetentionSetting(db.Model):
    """A school's own retention period for past offerings' personal details (absent: the policy default)."""

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int]
