"""Notifications (the outbox behind each person's inbox) and the audit trail, shared by every enrolment service."""

import logging

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.enrolment.models import Application, ApplicationStatus, AuditEvent, ChoiceStatus, Notification
from app.extensions import db
from app.models_base import utcnow

logger = logging.getLogger(__name__)


def N_(msgid: str) -> str:
    """Mark a message for extraction; it is translated later, in the reader's language."""
    return msgid


STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("waiting for the class teacher's review"),
    ApplicationStatus.RETURNED: _l("returned to the guardian"),
    ApplicationStatus.CONFIRMED: _l("confirmed by the class teacher, waiting for the principal"),
    ApplicationStatus.APPROVED: _l("approved"),
    ApplicationStatus.WITHDRAWN: _l("withdrawn"),
}
CHOICE_LABELS = {
    ChoiceStatus.PENDING: _l("not yet allocated"),
    ChoiceStatus.PLACED: _l("place given"),
    ChoiceStatus.OFFERED: _l("place offered: waiting for your answer"),
    ChoiceStatus.WAITING: _l("on the waiting list"),
    ChoiceStatus.DROPPED: _l("not taken up"),
}


def notify(user: User, subject: str, body: str = "", link: str = "") -> Notification:
    """Put a message in the outbox: the person's inbox now, e-mail when a mail server is configured."""
    note = Notification(user_id=user.id, subject=subject, body=body, link=link)
    db.session.add(note)
    db.session.flush()
    return note


def deliver_outbox(send=None) -> int:
    """Send the outbox's unsent messages by e-mail with `send(note)` when MAIL_SERVER is configured."""
    if send is None or not current_app.config.get("MAIL_SERVER"):
        return 0
    notes = db.session.scalars(db.select(Notification).filter(Notification.emailed_at.is_(None))).all()
    for note in notes:
        send(note)
        note.emailed_at = utcnow()
    db.session.flush()
    return len(notes)


def audit(school_id: int, actor: User | None, action: str, obj, reason: str = "") -> AuditEvent:
    """Record who decided what, when and why."""
    event = AuditEvent(school_id=school_id, actor_id=actor.id if actor else None, action=action,
                       object_type=type(obj).__name__.lower(), object_id=obj.id, reason=reason)
    db.session.add(event)
    db.session.flush()
    return event


def notify_guardian(application: Application, subject_msgid: str, **values) -> None:
    """Tell the guardian, in their language, about a change to the application."""
    guardian = application.guardian
    locale = guardian.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = gettext(subject_msgid, child=application.student.name, **values)
        status = str(STATUS_LABELS[application.status])
    link = f"/enrolment/applications/{application.id}"  # also built outside requests (CLI, demo)
    notify(guardian, subject, status, link)
