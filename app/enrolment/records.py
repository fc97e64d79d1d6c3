"""The audit trail and the messages to families and class teachers, shared by every enrolment service."""

import functools
import logging

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from app.accounts.models import User
from app.enrolment.models import Application, ApplicationStatus, AuditEvent, ChoiceStatus, LedgerKind
from app.extensions import db
from app.notifications.services import batch, notify

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
LEDGER_LABELS = {
    LedgerKind.CHARGE: _l("fee charged"),
    LedgerKind.PAYMENT: _l("payment received"),
    LedgerKind.WAIVER: _l("fee waived"),
    LedgerKind.REFUND: _l("refund"),
}
AUDIT_LABELS = {
    "apply": _l("applied"),
    "change": _l("changed the application"),
    "return": _l("returned the application to the guardian"),
    "resubmit": _l("fixed the returned application and sent it again"),
    "confirm": _l("confirmed (class teacher)"),
    "approve": _l("approved (principal)"),
    "withdraw": _l("withdrew the application"),
    "link_siblings": _l("linked siblings for the draw"),
    "unlink_siblings": _l("unlinked siblings"),
    "lottery": _l("ran the draw"),
    "offer": _l("offered a freed place"),
    "accept_offer": _l("accepted the offered place"),
    "decline_offer": _l("declined the offered place"),
    "offer_expired": _l("offer expired, passed on"),
    "remove_place": _l("removed a place"),
    "charge": _l("charged fees"),
    "payment": _l("recorded a payment"),
    "hardship_approve": _l("approved the hardship waiver"),
    "hardship_refuse": _l("refused the hardship waiver"),
}
OBJECT_LABELS = {"application": _l("application"), "lottery": _l("draw")}
REVIEW_ACTIONS = ("apply", "change", "return", "resubmit", "confirm", "approve", "withdraw")  # the review's history


def audit_label(action: str) -> str:
    """What an audit entry records, in the reader's language (the code itself for an action without words)."""
    label = AUDIT_LABELS.get(action)
    return str(label) if label is not None else action


def review_history(application: Application) -> list[AuditEvent]:
    """The application's way through review (applied, returned and why, sent again, confirmed, approved, withdrawn):
    what the family and the class teacher both see; fee and hardship entries are not part of it."""
    return list(db.session.scalars(_review_history_statement(), {"application_id": application.id}))


@functools.cache
def _review_history_statement() -> Select:
    """Built once per process (its cache key too), the application's id bound at each request."""
    return db.select(AuditEvent).filter(
        AuditEvent.object_type == "application", AuditEvent.object_id == db.bindparam("application_id"),
        AuditEvent.action.in_(REVIEW_ACTIONS)).order_by(AuditEvent.id).execution_options(prepare=True)


def audit(school_id: int, actor: User | None, action: str, obj, reason: str = "") -> AuditEvent:
    """Record who decided what, when and why."""
    event = AuditEvent(school_id=school_id, actor_id=actor.id if actor else None, action=action,
                       object_type=type(obj).__name__.lower(), object_id=obj.id, reason=reason)
    db.session.add(event)  # written with the next flush (the messages about it, or the commit)
    return event


def application_link(application: Application) -> str:
    """The application's page, where the family answers an offer or fixes a returned application and the class
    teacher reviews it (a plain path: messages are also written outside requests, by the CLI and the demo)."""
    return f"/enrolment/applications/{application.id}"


def _reader_locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def family_to_tell(application: Application) -> list[User]:
    """Who hears about the application: the guardian who applied while their link to the child holds, else the
    child's guardians the school confirmed (a rejected or removed link hears nothing more about the child)."""
    from app.enrolment.need_to_know import is_family

    if is_family(application.guardian, application):
        return [application.guardian]
    return [link.guardian for link in application.student.guardian_links if link.verified]


def notify_guardian(application: Application, subject_msgid: str, **values) -> None:
    """Tell the family, in their language, about a change to the application: the message names the child and
    the offering, says where the application stands, and links to its page."""
    for guardian in family_to_tell(application):
        with force_locale(_reader_locale(guardian)):
            subject = gettext(subject_msgid, child=application.student.name, **values)
            body = gettext("%(offering)s · now: %(status)s", offering=application.offering.title,
                           status=str(STATUS_LABELS[application.status]))
        notify(guardian, subject, body, application_link(application), school_id=application.school_id)


def notify_family_and_class_teacher(application: Application, family_msgid: str, teacher_msgid: str) -> None:
    """notify_guardian and notify_class_teacher together: their choices read at once, the messages written at once
    (with whatever else waits to be written: one flush)."""
    with db.session.no_autoflush:
        teacher = application.student.school_class.class_teacher
    with batch(family_to_tell(application) + ([teacher] if teacher is not None else [])):
        notify_guardian(application, family_msgid)
        notify_class_teacher(application, teacher_msgid)


def notify_class_teacher(application: Application, subject_msgid: str, **values) -> None:
    """Tell the child's class teacher, in their language, that an application waits for review (none: no one)."""
    teacher = application.student.school_class.class_teacher
    if teacher is None:
        return
    with force_locale(_reader_locale(teacher)):
        subject = gettext(subject_msgid, child=application.student.name, offering=application.offering.title,
                          **values)
        body = str(STATUS_LABELS[application.status])
    notify(teacher, subject, body, application_link(application), school_id=application.school_id)
