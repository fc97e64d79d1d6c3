"""Consent rules live here: health notes are stored only under a guardian's separate, withdrawable consent."""

from pathlib import Path

from app.accounts.models import User
from app.enrolment.models import Application
from app.extensions import db
from app.models_base import utcnow
from app.privacy.models import NoticeAcceptance, PrivacyNotice, SensitiveConsent

NOTICE_VERSION = 1  # the privacy notice shipped in the repository; a county's later versions count on from here


def current_notice_version() -> int:
    return current_notice().version


def active_consent(application: Application) -> SensitiveConsent | None:
    """The consent in force for the application's health notes, or None."""
    if application.id is None:
        return None
    return db.session.scalar(db.select(SensitiveConsent).filter_by(
        application_id=application.id, field="health_notes", withdrawn_at=None))


def keep_health_notes(application: Application, notes: str, consented: bool) -> None:
    """Store the notes only with consent (recorded once, with the notice version); without it nothing is kept."""
    if not consented or not notes:
        application.health_notes = ""
        return
    application.health_notes = notes
    if active_consent(application) is None:
        db.session.add(SensitiveConsent(application=application, guardian=application.guardian,
                                        notice_version=current_notice_version()))
    db.session.flush()


def withdraw_health_consent(application: Application) -> bool:
    """Withdraw the consent and erase the notes (notes kept before consent was recorded are erased too); False when
    there was nothing to withdraw."""
    consent = active_consent(application)
    if consent is None and not application.health_notes:
        return False
    if consent is not None:
        consent.withdrawn_at = utcnow()
    application.health_notes = ""
    db.session.flush()
    return True


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


def has_accepted_current(user: User) -> bool:
    version = current_notice().version
    return db.session.scalar(db.select(NoticeAcceptance.id).filter_by(user_id=user.id, notice_version=version)) \
        is not None


def accept_current(user: User) -> NoticeAcceptance:
    """Record that the guardian accepted the current version (once)."""
    version = current_notice().version
    found = db.session.scalar(db.select(NoticeAcceptance).filter_by(user_id=user.id, notice_version=version))
    if found is None:
        found = NoticeAcceptance(user_id=user.id, notice_version=version)
        db.session.add(found)
        db.session.flush()
    return found
