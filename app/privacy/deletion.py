"""A guardian's deletion request (PIPL Art. 47): what is erased and what the school must keep, anonymised.

Erased: the account's name, mobile, password and language (the row stays only as a nameless "account closed", so the
school's records that name who did what keep their shape), the guardian's links to children, their messages and
one-time codes; every application for a child no other confirmed guardian shares, with its activity choices, places
and consents. Kept, anonymised: an application with fee ledger entries (the school must keep its accounts), without
health notes, pickup names, priority groups or a return reason. A child with another confirmed guardian keeps its
applications: they are that guardian's family data too. The school's own roster of pupils is not the site's to erase.

Of the children's school days (app.daily.models), what the family gave is erased with it for a child no other
confirmed guardian shares: the collecting adults (names and mobiles), the advance absences (请假) and the family's
comments on incident reports. What the school recorded for the child's safety (register marks and their changes,
hand-overs, alerts, incident reports) it keeps until its retention period ends (app.audit.retention), not longer.
"""

import secrets

from app.accounts import passwords
from app.accounts.models import GuardianLink, OneTimeCode, User
from app.daily.models import AdvanceAbsence, Incident, PickupAdult
from app.enrolment import services as enrolment
from app.enrolment.models import Application, ApplicationStatus
from app.extensions import db
from app.models_base import local_today
from app.notifications.models import Notification, NotificationPreference
from app.privacy.export import family_applications
from app.privacy.models import SensitiveConsent
from app.schools.models import Student

CLOSED_NAME = "已注销"


def _shared_with_another_guardian(application: Application, guardian: User) -> bool:
    return db.session.scalar(db.select(db.func.count(GuardianLink.id)).where(
        GuardianLink.student_id == application.student_id, GuardianLink.verified.is_(True),
        GuardianLink.guardian_id != guardian.id)) > 0


def _child_shared(student_id: int, guardian: User) -> bool:
    return db.session.scalar(db.select(db.func.count(GuardianLink.id)).where(
        GuardianLink.student_id == student_id, GuardianLink.verified.is_(True),
        GuardianLink.guardian_id != guardian.id)) > 0


def family_children(guardian: User) -> list[Student]:
    """The children whose school-day details the family gave go with the family: those the school confirmed this
    guardian for (an unconfirmed link erases nothing of the child's) and no other confirmed guardian shares."""
    return [link.student for link in guardian.guardian_links
            if link.verified and not _child_shared(link.student_id, guardian)]


def plan(guardian: User) -> dict[str, list]:
    """Which applications would be erased, kept anonymised (fees) or left (another guardian shares the child), and
    whose school-day details (collecting adults, absence notices, comments) are erased."""
    filed = db.session.scalars(db.select(Application).filter_by(guardian_id=guardian.id)).all()
    applications = {a.id: a for a in [*family_applications(guardian), *filed]}.values()
    result: dict[str, list] = {"erased": [], "anonymised": [], "shared": [],
                               "school_days": family_children(guardian)}
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
    child_ids = [child.id for child in todo["school_days"]]
    if child_ids:
        for model in (PickupAdult, AdvanceAbsence):
            db.session.execute(db.delete(model).where(model.student_id.in_(child_ids))
                               .execution_options(synchronize_session=False))
        db.session.execute(db.update(Incident).where(Incident.student_id.in_(child_ids))
                           .values(guardian_comment="").execution_options(synchronize_session=False))
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
