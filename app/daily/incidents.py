"""Incidents (injury, illness, behaviour, safeguarding, other): recorded by the staff on a session, told to the
family at once (urgent), seen by them without the school's internal note and acknowledged once; countersigned once
by a school administrator. Who sees what is decided here (need-to-know); services flush, the request commits.

Need-to-know: the record is for the staff who recorded it, the people running its session, the school's
administrators, and the child's confirmed guardians (without the internal note). Anyone else — a teacher of the same
school not on that session included — is told the page does not exist (404): an incident, safeguarding above all,
is not even confirmed to exist for people with no part in it.
"""

from datetime import datetime, time

from flask import abort, current_app, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy import select, update

from app.accounts.models import Role, User
from app.daily import access
from app.daily.models import Incident, IncidentCategory
from app.daily.pickup_forms import CATEGORY_LABELS
from app.enrolment.models import Application
from app.extensions import db
from app.models_base import local_time, school_zone, utcnow
from app.notifications.models import Notification
from app.notifications.services import notify
from app.rosters.models import PlannedSession
from app.schools.models import Student


def sees_everything(user: User, incident: Incident) -> bool:
    """The staff member who recorded it, the people running its session, the school's administrators."""
    if not user.is_authenticated:
        return False
    if access.is_school_admin_of(user, incident.school_id) or incident.recorded_by_id == user.id:
        return True
    return incident.session is not None and access.runs_session(user, incident.session)


def incident_to_see_or_404(incident_id: int) -> tuple[Incident, bool]:
    """The incident and whether the viewer sees the internal note; 404 for anyone without a part in it."""
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        abort(404)
    if sees_everything(current_user, incident):
        return incident, True
    if access.is_guardian_of(current_user, incident.student):
        return incident, False
    abort(404)


def occurred_at(session: PlannedSession, at: time) -> datetime:
    """A time of the session's day, typed in school time, as a moment."""
    return datetime.combine(session.on_date, at, tzinfo=school_zone())


def record_incident(session: PlannedSession, application: Application, *, category: IncidentCategory, at: time,
                    what_happened: str, action_taken: str, internal_note: str, by: User) -> Incident:
    """Record an incident of an expected child of the session and tell the child's guardians at once."""
    incident = Incident(school_id=access.school_id_of(session), session_id=session.id,
                        student_id=application.student_id, category=category, occurred_at=occurred_at(session, at),
                        what_happened=what_happened, action_taken=action_taken or "",
                        internal_note=internal_note or "", recorded_by_id=by.id)
    db.session.add(incident)
    db.session.flush()
    tell_family(incident)
    return incident


def incident_link(incident: Incident) -> str:
    return url_for("daily.incident", incident_id=incident.id)


def tell_family(incident: Incident) -> None:
    """Each confirmed guardian gets an urgent message in their language, linking to the record."""
    student = incident.student
    at = local_time(incident.occurred_at).strftime("%H:%M")
    for guardian in access.guardians_to_tell(student):
        with force_locale(guardian.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = gettext("Incident at school: %(child)s (%(category)s, %(time)s)", child=student.name,
                              category=str(CATEGORY_LABELS[incident.category]), time=at)
            body = gettext("Please read what happened and what was done, and acknowledge it.")
        notify(guardian, subject, body, incident_link(incident), urgent=True, sender=db.session.get(
            User, incident.recorded_by_id) if incident.recorded_by_id else None, school_id=incident.school_id)


def acknowledge(incident: Incident, guardian: User, comment: str = "") -> bool:
    """The family has read the record (once: False when someone already acknowledged it)."""
    done = db.session.execute(update(Incident).where(Incident.id == incident.id, Incident.acknowledged_at.is_(None))
                              .values(acknowledged_at=utcnow(), acknowledged_by_id=guardian.id,
                                      guardian_comment=(comment or "").strip())
                              .execution_options(synchronize_session=False))
    db.session.refresh(incident)
    return done.rowcount == 1


def countersign(incident: Incident, admin: User) -> bool:
    """The coordinator (a school administrator) countersigns (once: False when already countersigned)."""
    done = db.session.execute(update(Incident).where(Incident.id == incident.id, Incident.countersigned_at.is_(None))
                              .values(countersigned_at=utcnow(), countersigned_by_id=admin.id)
                              .execution_options(synchronize_session=False))
    db.session.refresh(incident)
    return done.rowcount == 1


def incidents_of(student: Student) -> list[Incident]:
    """The child's incidents, newest first (for the family's and the school's pages)."""
    return list(db.session.scalars(select(Incident).where(Incident.student_id == student.id)
                                   .order_by(Incident.occurred_at.desc(), Incident.id.desc())))


def incidents_for(user: User, limit: int = 200) -> list[Incident]:
    """The incidents a person's list shows: a school administrator's school, a guardian's confirmed children."""
    statement = select(Incident).order_by(Incident.occurred_at.desc(), Incident.id.desc()).limit(limit)
    if user.role is Role.SCHOOL_ADMIN:
        return list(db.session.scalars(statement.where(Incident.school_id == user.school_id)))
    children = [link.student_id for link in user.guardian_links if link.verified]
    return list(db.session.scalars(statement.where(Incident.student_id.in_(children)))) if children else []


def messages_about(incident: Incident) -> list[tuple[User, Notification]]:
    """The messages that told the family about the incident, with whom each went to (the sender sees how each went
    out: notifications.services.delivery_status)."""
    guardians = {g.id: g for g in access.guardians_to_tell(incident.student)}
    if not guardians:
        return []
    notes = db.session.scalars(select(Notification).where(Notification.link == incident_link(incident),
                                                          Notification.user_id.in_(guardians))
                               .order_by(Notification.id))
    return [(guardians[note.user_id], note) for note in notes]


# --- Emergency contacts ------------------------------------------------------------------------------------------


def emergency_contacts(session: PlannedSession) -> list[tuple[Student, list, User | None]]:
    """For each expected child of the session: the child, its confirmed guardians' links (name, relation, mobile)
    and the class teacher. Only for access.may_see_emergency_contacts; every view is logged (contacts_log)."""
    from app.rosters.expected import expected_children

    rows = []
    for application in expected_children(session).children:
        student = application.student
        links = [link for link in student.guardian_links if link.verified and link.guardian.mobile]
        rows.append((student, links, student.school_class.class_teacher if student.school_class else None))
    return rows


def contacts_log(session: PlannedSession, rows) -> None:
    """Who saw which children's guardians' numbers, and when (the school's access log)."""
    from app.audit import services as audit

    audit.contacts_view("session_contacts", access.school_id_of(session),
                        f"{session.on_date.isoformat()} #{session.id}: " + ", ".join(f"#{s.id}" for s, _, _ in rows))
