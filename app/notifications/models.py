"""A person's messages (the inbox), each one's deliveries through the channels they chose, and their choices."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow


class Notification(db.Model):
    """One message to one person: always in their site inbox, and sent out by each of its deliveries."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    # Who sent it (None: the site itself, e.g. a draw's result) and for which school: the sender sees its deliveries.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"), index=True)
    # An alert (a missing child, an incident, a child not collected): goes out at once, quiet hours or not.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="notification", cascade="all, delete-orphan",
                                                        passive_deletes=True, order_by="Delivery.id")

    def __repr__(self) -> str:
        return f"<Notification {self.id} to {self.user_id}>"


class Channel(enum.Enum):
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"


class DeliveryStatus(enum.Enum):
    QUEUED = "queued"  # waiting for the sender (a first try, or the next try after a failure)
    HELD = "held"  # quiet hours: waits until the morning
    SENDING = "sending"  # a sender has it (a sender that died gives it back when its lease runs out)
    SENT = "sent"  # the mail server or SMS provider accepted it
    FAILED = "failed"  # every try failed; the message is still in the inbox


class Delivery(db.Model):
    """One message through one channel: where to, how it went, when to try again."""

    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    address: Mapped[str] = mapped_column(String(254))  # an e-mail address or a mobile number
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200), default="")  # the server's answer, no personal data
    sent_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    provider_message_id: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel.value} {self.status.value}>"


class SmsChoice(enum.Enum):
    URGENT = "urgent"  # alerts only (a missing child, an incident, a child not collected): the default
    ALL = "all"  # every message


class NotificationPreference(db.Model):
    """How a person wants their messages besides the inbox (no row: the defaults below)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))  # optional; the login is the mobile number
    email_on: Mapped[bool] = mapped_column(default=True)  # send to the address above, when there is one
    sms: Mapped[SmsChoice] = mapped_column(enum_column(SmsChoice), default=SmsChoice.URGENT)
    quiet_hours: Mapped[bool] = mapped_column(default=True)  # hold routine messages overnight (alerts never wait)
    updated_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<NotificationPreference {self.user_id}>"
