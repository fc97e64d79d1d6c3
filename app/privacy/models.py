"""Separate consent for a child's sensitive personal information (PIPL Art. 28, 29, 31): given, withdrawn, when."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, utcnow


class SensitiveConsent(db.Model):
    """A guardian's separate consent for one application's sensitive field (`field`: health notes, or the family's
    situation: hardship request and priority groups), with the privacy notice
    version it was given under. Withdrawing keeps the row (when, by whom) and erases the field."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    field: Mapped[str] = mapped_column(String(40), default="health_notes")
    notice_version: Mapped[int]
    given_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    application = relationship("Application")
    guardian = relationship("User")


class PrivacyNotice(db.Model):
    """A version of the privacy notice the county publishes; every version is kept. Without any, version 1 is the
    default text in the repository (app/privacy/default_notice.txt)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class NoticeAcceptance(db.Model):
    """A guardian read and accepted a version of the privacy notice, at this time."""

    __table_args__ = (UniqueConstraint("user_id", "notice_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    notice_version: Mapped[int]
    accepted_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    user = relationship("User")
