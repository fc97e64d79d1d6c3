"""notify(): the one way to send a person a message; send_due(): the sender's work; the person's choices.

Every message lands in the person's inbox and gets one delivery per channel they chose (e-mail when they gave an
address, SMS for alerts or for everything). Deliveries are sent by the background sender (app/notifications/
sender.py), tried again after a failure and marked failed after the last try; the numbers are in scheduling/policy.py.
"""

import functools
import logging
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, update

from app.accounts.models import User
from app.extensions import db
from app.models_base import as_utc, school_zone, utcnow
from app.notifications.channels import ChannelError, channel_for
from app.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    SmsChoice,
)
from scheduling import policy

logger = logging.getLogger(__name__)

SENDING_LEASE = timedelta(minutes=5)  # a delivery a sender took and never finished goes back to the queue after this
BATCH = 200  # deliveries one send_due call takes at most


def notify(user: User, subject: str, body: str = "", link: str = "", *, urgent: bool = False,
           sender: User | None = None, school_id: int | None = None) -> Notification:
    """Send `user` a message: it lands in their inbox and goes out through the channels they chose (an urgent one
    — a missing child, an incident, a child not collected — ignores quiet hours). Returns the inbox entry (flushed);
    the deliveries go once the caller commits."""
    choice = preferences(user)
    note = Notification(user_id=user.id, subject=subject[:200], body=body, link=link[:200], urgent=urgent,
                        sender_id=sender.id if sender else None, school_id=school_id, deliveries=[])
    db.session.add(note)
    now = utcnow()
    held_until = quiet_until(now) if choice.quiet_hours and not urgent else None
    for channel, address in channels_for(user, choice, urgent):
        note.deliveries.append(Delivery(
            channel=channel, address=address, next_attempt_at=held_until or now,
            status=DeliveryStatus.HELD if held_until else DeliveryStatus.QUEUED))
    if not db.session.info.get(BATCHED):
        db.session.flush()
    if has_request_context():
        g.pop("unread_count", None)  # the menu's badge is counted again if this request shows a page
    if note.deliveries and has_request_context():
        g.notifications_to_send = True  # the sender is woken once the request commits (sender.py)
    return note


BATCHED = "notifications_batched"  # session.info: notify() leaves the flush to batch()
READ_PREFERENCES = "notification_preferences"  # session.info: user id -> choices batch() read (defaults included)


@contextmanager
def batch(readers: list[User]):
    """Several messages written together: their readers' choices read in one statement, the messages flushed once
    at the end (one INSERT for all of them where the database allows)."""
    info = db.session.info
    ids = {user.id for user in readers}
    with db.session.no_autoflush:  # choices are flushed when saved: what waits is written with the messages
        stored = {choice.user_id: choice for choice in db.session.scalars(
            _preferences_of(), {"user_ids": sorted(ids)})} if ids else {}
    known = info.setdefault(READ_PREFERENCES, {})
    known.update({user_id: stored.get(user_id) or default_preferences(user_id) for user_id in ids})
    outer = info.get(BATCHED, False)
    info[BATCHED] = True
    try:
        yield
    finally:
        info[BATCHED] = outer
        for user_id in ids:
            known.pop(user_id, None)
    if not outer:
        db.session.flush()


@functools.cache
def _preferences_of() -> Select:
    """Built once per process (its cache key too), the readers' ids bound each time."""
    return db.select(NotificationPreference).filter(
        NotificationPreference.user_id.in_(db.bindparam("user_ids", expanding=True))).execution_options(prepare=True)


def default_preferences(user_id: int) -> NotificationPreference:
    """The choices of a person who never made any (not stored)."""
    return NotificationPreference(user_id=user_id, email=None, email_on=True, sms=SmsChoice.URGENT, quiet_hours=True)


def preferences(user: User) -> NotificationPreference:
    """The person's choices; the defaults (not stored) when they never made any."""
    known = db.session.info.get(READ_PREFERENCES, {}).get(user.id)
    if known is not None:
        return known
    return db.session.get(NotificationPreference, user.id) or default_preferences(user.id)


def save_preferences(user: User, *, email: str | None, email_on: bool, sms: SmsChoice,
                     quiet_hours: bool) -> NotificationPreference:
    """Keep the person's choices for their next messages (flushes)."""
    choice = db.session.get(NotificationPreference, user.id)
    if choice is None:
        choice = NotificationPreference(user_id=user.id)
        db.session.add(choice)
    choice.email = (email or "").strip() or None
    choice.email_on = email_on
    choice.sms = sms
    choice.quiet_hours = quiet_hours
    db.session.flush()
    return choice


def channels_for(user: User, choice: NotificationPreference, urgent: bool) -> list[tuple[Channel, str]]:
    """Where a message to the person goes besides the inbox: e-mail to the address they gave (if they want it), SMS to
    their login number for alerts (always) or for every message (if they asked). A closed account: nowhere."""
    if not user.is_active_account:
        return []
    out = []
    if choice.email and choice.email_on:
        out.append((Channel.EMAIL, choice.email))
    if user.mobile and (urgent or choice.sms is SmsChoice.ALL):
        out.append((Channel.SMS, user.mobile))
    return out


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet hours (school time, policy.QUIET_HOURS) if `now` is inside them, else None."""
    start, end = (_clock(text) for text in policy.QUIET_HOURS)
    local = as_utc(now).astimezone(school_zone())
    clock = local.time()
    if start <= end:
        inside = start <= clock < end
    else:
        inside = clock >= start or clock < end
    if not inside:
        return None
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning.astimezone(as_utc(now).tzinfo)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    waits = policy.NOTIFY_RETRY_MINUTES
    return timedelta(minutes=waits[min(attempts, len(waits)) - 1])


DUE = (DeliveryStatus.QUEUED, DeliveryStatus.HELD, DeliveryStatus.SENDING)


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take a due delivery for this sender (atomic: two senders never send one message twice at once)."""
    result = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(DUE), Delivery.next_attempt_at <= now)
        .values(status=DeliveryStatus.SENDING, next_attempt_at=now + SENDING_LEASE))
    db.session.commit()
    return result.rowcount == 1


def send_due(now: datetime | None = None) -> int:
    """Send every delivery that is due (commits each one); returns how many went. A failed try is tried again after
    policy.NOTIFY_RETRY_MINUTES and marked failed after policy.NOTIFY_MAX_ATTEMPTS; a routine message that comes due
    in the quiet hours waits until the morning."""
    now = now or utcnow()
    due = db.session.scalars(  # alerts first: at 07:00 a night's routine messages must not delay one
        db.select(Delivery.id).join(Notification).where(Delivery.status.in_(DUE), Delivery.next_attempt_at <= now)
        .order_by(Notification.urgent.desc(), Delivery.next_attempt_at, Delivery.id).limit(BATCH)).all()
    db.session.commit()
    sent = 0
    for delivery_id in due:
        if not _claim(delivery_id, now):
            continue
        delivery = db.session.get(Delivery, delivery_id)
        sent += _send_one(delivery, now)
        db.session.commit()
    return sent


def _send_one(delivery: Delivery, now: datetime) -> int:
    note = delivery.notification
    if not note.urgent and preferences(note_user(note)).quiet_hours:
        morning = quiet_until(now)
        if morning is not None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.HELD, morning
            return 0
    delivery.attempts += 1
    try:
        provider_id = channel_for(delivery.channel).send(delivery, note)
    except Exception as error:  # a channel's own fault counts as a failed try too: it must not stop the others
        if not isinstance(error, ChannelError):
            logger.exception("delivery %s (%s): the channel failed", delivery.id, delivery.channel.value)
            error = ChannelError(f"channel fault: {type(error).__name__}")
        delivery.last_error = str(error)[:200]
        if delivery.attempts >= policy.NOTIFY_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            logger.warning("delivery %s (%s) failed after %s tries: %s", delivery.id, delivery.channel.value,
                           delivery.attempts, delivery.last_error)
        else:
            delivery.status = DeliveryStatus.QUEUED
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            logger.info("delivery %s (%s) try %s failed: %s", delivery.id, delivery.channel.value,
                        delivery.attempts, delivery.last_error)
        return 0
    delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
    delivery.provider_message_id = (provider_id or "")[:100]
    delivery.last_error = ""
    return 1


def note_user(note: Notification) -> User:
    """The person the message is for."""
    return db.session.get(User, note.user_id)


# --- What the sender sees -----------------------------------------------------------------------------------------

CHANNEL_LABELS = {Channel.EMAIL: _l("E-mail"), Channel.SMS: _l("SMS"), Channel.WECHAT: _l("WeChat")}
STATE_LABELS = {
    "sent": _l("Delivered"),
    "held": _l("Waiting for the morning (quiet hours)"),
    "sending": _l("Sending"),
    "failed": _l("Failed to send"),
}
STATES = {DeliveryStatus.SENT: "sent", DeliveryStatus.FAILED: "failed", DeliveryStatus.HELD: "held",
          DeliveryStatus.QUEUED: "sending", DeliveryStatus.SENDING: "sending"}


def delivery_status(notification: Notification) -> list[dict]:
    """How the message went out, per channel, for the sender: [{channel, state ('sent'|'sending'|'held'|'failed'),
    label, attempts}]. The inbox copy is always there, so an empty list means: inbox only."""
    return [{"channel": delivery.channel.value, "channel_label": str(CHANNEL_LABELS[delivery.channel]),
             "state": STATES[delivery.status], "label": str(STATE_LABELS[STATES[delivery.status]]),
             "attempts": delivery.attempts} for delivery in notification.deliveries]
