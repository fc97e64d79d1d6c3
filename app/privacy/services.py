"""Consent rules live here: health notes and the family's situation (hardship request, priority groups such as
left-behind child) are stored only under a guardian's separate, withdrawable consent, one per field."""

from pathlib import Path

from sqlalchemy import Exists

from app.accounts.models import User
from app.enrolment.models import Application
from app.extensions import db
from app.models_base import utcnow
from app.privacy.models import NoticeAcceptance, PrivacyNotice, SensitiveConsent

NOTICE_VERSION = 1  # the privacy notice shipped in the repository; a county's later versions count on from here


def current_notice_version() -> int:
    return current_notice().version


HEALTH_NOTES = "health_notes"
FAMILY_SITUATION = "family_situation"  # the hardship request and the priority groups that reveal a family's situation
SENSITIVE_GROUPS = ("hardship", "left_behind", "late_working")  # PriorityGroup values kept only under consent
SENSITIVE_FIELDS = (HEALTH_NOTES, FAMILY_SITUATION)


def active_consent(application: Application, field: str = HEALTH_NOTES) -> SensitiveConsent | None:
    """The consent in force for one of the application's sensitive fields, or None."""
    if application.id is None:
        return None
    return db.session.scalar(db.select(SensitiveConsent).filter_by(
        application_id=application.id, field=field, withdrawn_at=None))


def has_sensitive_data(application: Application, field: str) -> bool:
    if field == HEALTH_NOTES:
        return bool(application.health_notes)
    return _claims_situation(application)


def _claims_situation(application: Application) -> bool:
    from app.enrolment.models import HardshipStatus
    return application.hardship not in (HardshipStatus.NONE, None) \
        or any(g in SENSITIVE_GROUPS for g in application.priority_groups or [])


def _record_consent(application: Application, field: str) -> None:
    """Recorded once, with the notice version and time, while in force."""
    if active_consent(application, field) is None:
        db.session.add(SensitiveConsent(application=application, guardian=application.guardian, field=field,
                                        notice_version=current_notice_version()))
    db.session.flush()


def _erase(application: Application, field: str) -> None:
    """The field's data goes; a hardship request not yet decided is withdrawn (a decision made stands)."""
    from app.enrolment.models import HardshipStatus
    if field == HEALTH_NOTES:
        application.health_notes = ""
        return
    application.priority_groups = [g for g in application.priority_groups or [] if g not in SENSITIVE_GROUPS]
    if application.hardship is HardshipStatus.REQUESTED:
        application.hardship = HardshipStatus.NONE


def keep_health_notes(application: Application, notes: str, consented: bool) -> None:
    """Store the notes only with consent (recorded once, with the notice version); without it nothing is kept."""
    if not consented or not notes:
        application.health_notes = ""
        return
    application.health_notes = notes
    _record_consent(application, HEALTH_NOTES)


def keep_family_situation(application: Application, consented: bool) -> None:
    """After the form's hardship request and priority groups are copied: kept only with consent (recorded once),
    without it they are not stored."""
    if not _claims_situation(application):
        return
    if consented:
        _record_consent(application, FAMILY_SITUATION)
    else:
        _erase(application, FAMILY_SITUATION)


def withdraw_consent(application: Application, field: str = HEALTH_NOTES) -> bool:
    """Withdraw the consent and erase the field (data kept before consent was recorded is erased too); False when
    there was nothing to withdraw."""
    consent = active_consent(application, field)
    if consent is None and not has_sensitive_data(application, field):
        return False
    if consent is not None:
        consent.withdrawn_at = utcnow()
    _erase(application, field)
    db.session.flush()
    return True


def withdraw_health_consent(application: Application) -> bool:
    return withdraw_consent(application, HEALTH_NOTES)


# --- The privacy notice: versions kept, each guardian's acceptance recorded ---

DEFAULT_NOTICE_PATH = Path(__file__).with_name("default_notice.txt")


def current_notice() -> PrivacyNotice:
    """The latest published version; the repository's default text as version 1 while none was published."""
    latest = db.session.scalar(db.select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1))
    if latest is not None:
        return latest
    return default_notice()


def default_notice() -> PrivacyNotice:
    return PrivacyNotice(version=NOTICE_VERSION, body=DEFAULT_NOTICE_PATH.read_text(encoding="utf-8"))


def notice_versions() -> list[PrivacyNotice]:
    """Every version, newest first, the repository's default text as version 1."""
    published = list(db.session.scalars(db.select(PrivacyNotice).order_by(PrivacyNotice.version.desc())))
    if not any(n.version == NOTICE_VERSION for n in published):
        published.append(default_notice())
    return published


def publish_notice(body: str, officer: User) -> PrivacyNotice:
    """A new version; every guardian accepts it before applying again."""
    notice = PrivacyNotice(version=current_notice().version + 1, body=body, published_by_id=officer.id)
    db.session.add(notice)
    db.session.flush()
    return notice


def accepted_current(user_id) -> Exists:
    """SQL: whether the account (an id, or a column such as User.id) accepted the current version (current_notice's:
    the newest published, else the repository's)."""
    current = db.func.coalesce(db.select(db.func.max(PrivacyNotice.version)).scalar_subquery(), NOTICE_VERSION)
    return db.select(NoticeAcceptance.id).filter(
        NoticeAcceptance.user_id == user_id, NoticeAcceptance.notice_version == current).exists()


def has_accepted_current(user: User) -> bool:
    """Whether the user accepted the current version: as read with the account when the request loaded it
    (accounts.services.load_user), else asked in one statement."""
    known = getattr(user, "accepted_current_notice", None)
    if known is not None:
        return known
    return bool(db.session.scalar(db.select(accepted_current(user.id))))


def accept_current(user: User) -> NoticeAcceptance:
    """Record that the guardian accepted the current version (once)."""
    version = current_notice().version
    found = db.session.scalar(db.select(NoticeAcceptance).filter_by(user_id=user.id, notice_version=version))
    if found is None:
        found = NoticeAcceptance(user_id=user.id, notice_version=version)
        db.session.add(found)
        db.session.flush()
    user.accepted_current_notice = True
    return found
