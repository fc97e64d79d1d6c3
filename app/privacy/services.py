"""Consent rules live here: health notes are stored only under a guardian's separate, withdrawable consent."""

from app.enrolment.models import Application
from app.extensions import db
from app.models_base import utcnow
from app.privacy.models import SensitiveConsent

NOTICE_VERSION = 1  # the privacy notice shipped in the repository; a county's later versions count on from here


def current_notice_version() -> int:
    return NOTICE_VERSION


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
