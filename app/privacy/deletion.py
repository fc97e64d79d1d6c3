"""A guardian's deletion request (PIPL Art. 47): what is erased and what the school must keep, anonymised.

Erased: the account's name, mobile, password and language (the row stays only as a nameless "account closed", so the
school's records that name who did what keep their shape), the guardian's links to children, their messages and
one-time codes; every application for a child no other confirmed guardian shares, with its activity choices, places
and consents. Kept, anonymised: an application with fee ledger entries (the school must keep its accounts), without
health notes, pickup names, priority groups or a return reason. A child with another confirmed guardian keeps its
applications: they are that guardian's family data too. The school's own roster of pupils is not the site's to erase.
"""

import secrets

from app.accounts import passwords
from app.accounts.models import GuardianLink, OneTimeCode, User
from app.enrolment import services as enrolment
from app.enrolment.models import Application, ApplicationStatus
from app.extensions import db
from app.models_base import local_today
from app.notifications.models import Notification, NotificationPreference
from app.privacy.export import family_applications
from app.privacy.models import SensitiveConsent

CLOSED_NAME = "已注销"


def _shared_with_another_guardian(application: Application, guardian: User) -> bool:
    return db.session.scalar(db.select(db.func.count(GuardianLink.id)).where(
        GuardianLink.student_id == application.student_id, GuardianLink.verified.is_(True),
        GuardianLink.guardian_id != guardian.id)) > 0


def plan(guardian: User) -> dict[str, list[Application]]:
    """Which applications would be erased, kept anonymised (fees) or left (another guardian shares the child)."""
    filed = db.session.scalars(db.select(Application).filter_by(guardian_id=guardian.id)).all()
    applications = {a.id: a for a in [*family_applications(guardian), *filed]}.values()
    result: dict[str, list[Application]] = {"erased": [], "anonymised": [], "shared": []}
    for application in sorted(applications, key=lambda a: a.id):
        if _shared_with_another_guardian(application, guardian):
            result["shared"].append(application)
        elif application.ledger:
            result["anonymised"].append(application)
        else:
            result["erased"].append(application)
    return result


def erase_guardian(guardian: User) -> None:
    """Carry out the request: active applications are withdrawn first (their places go to the waiting list)."""
    todo = plan(guardian)
    for application in todo["erased"] + todo["anonymised"]:
        if application.status is not ApplicationStatus.WITHDRAWN:
            enrolment.withdraw(application, guardian, local_today())
    for application in todo["anonymised"]:
        application.health_notes = ""
        application.pickup_people = ""
        application.priority_groups = []
        application.return_reason = ""
    for application in todo["erased"]:
        db.session.execute(db.delete(SensitiveConsent).where(SensitiveConsent.application_id == application.id))
        db.session.delete(application)
    db.session.execute(db.delete(Notification).where(Notification.user_id == guardian.id))
    db.session.execute(db.delete(NotificationPreference).where(NotificationPreference.user_id == guardian.id))
    db.session.execute(db.delete(OneTimeCode).where(OneTimeCode.mobile == guardian.mobile))
    guardian.guardian_links.clear()
    guardian.name = CLOSED_NAME
    guardian.mobile = f"x{guardian.id:010d}"[-11:]  # never a mobile: nobody can log in or register with it
    guardian.password_hash = passwords.hash_password(secrets.token_urlsafe(32))
    guardian.locale = None
    guardian.last_login_at = None
    guardian.is_active_account = False
    guardian.rotate_session_token()
    db.session.flush()
