"""Need to know: who may see a family's hardship and a child's health notes. These rules live here and only here.

- A guardian is family only through a link to the child that the school confirmed (`confirmed_child_ids`).
- Hardship (the waiver request and its decision, and the "hardship" priority group a family claims) is seen by
  the family that applied and by the school's principal and finance officers; never by class teachers,
  coordinators, other staff or other families.
- Health notes are seen by the family and by the staff on the child's sessions (`staff_on_childs_sessions`); not
  by the class teacher unless on one of those sessions, not by coordinators, not by the principal.

A child attends a planned session of its school when the application is approved and either
- the session belongs to an activity group (`PlannedSession.activity_id`) and the child holds a seat in that group
  (the Seat table records the group actually held, which may be another group of the activity chosen), or
- the session has no activity group, lists the child's class, falls on a weekday the application covers within
  the offering's dates and, for evening self-study, the family asked for evening study.
The staff on a child's sessions are the people the roster assigns to those sessions (`Assignment`; a provider's
staff count when assigned to the provider's activity), plus the leader of each activity group the child sits in.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from app.accounts.models import Role, User
from app.enrolment.models import Application, ApplicationStatus, HardshipStatus, Seat
from app.extensions import db
from app.programs.models import Activity, Offering, PriorityGroup
from app.programs.words import priority_group_choices
from app.rosters.models import Assignment, PlannedSession, Week
from app.schools.models import SchoolClass, Student
from app.staff.models import StaffProfile
from scheduling.policy import EVENING_KIND

HARDSHIP_LABELS = {
    HardshipStatus.NONE: _l("not requested"),
    HardshipStatus.REQUESTED: _l("requested, the school decides"),
    HardshipStatus.APPROVED: _l("fees waived"),
    HardshipStatus.REFUSED: _l("refused"),
}
SESSION_STAFF_ROLES = (Role.TEACHER, Role.PROVIDER_STAFF)  # only staff are ever assigned or lead an activity


# --- Who is who ---


def confirmed_child_ids(user: User) -> list[int]:
    """The children the school confirmed this guardian for. Only a confirmed link shows anything about a child: an
    unconfirmed one shows nothing, and a rejected or removed one (deleted) ends every access it gave."""
    if not user.is_authenticated or user.role is not Role.GUARDIAN:
        return []
    return [link.student_id for link in user.guardian_links if link.verified]


def is_family(user: User, application: Application) -> bool:
    """A guardian of the child whose link the school confirmed; the one who applied too only while their link holds
    (a rejected or removed link ends access to the applications filed through it)."""
    return application.student_id in confirmed_child_ids(user)


def handles_fees(user: User) -> bool:
    """The principal or a finance officer: fee statements, charges, payments and hardship waivers."""
    return user.is_authenticated and (user.is_principal or user.role is Role.FINANCE)


# --- Hardship ---


def may_see_hardship(user: User, application: Application) -> bool:
    """The family, and the principal or finance officers of the application's school."""
    if is_family(user, application):
        return True
    return handles_fees(user) and user.school_id == application.school_id


def visible_priority_groups(user: User, application: Application) -> list[str]:
    """The priority groups the family claimed, without "hardship" for those who may not know it."""
    groups = list(application.priority_groups or [])
    if may_see_hardship(user, application):
        return groups
    return [group for group in groups if group != PriorityGroup.HARDSHIP.value]


# --- Health notes: the staff on the child's sessions ---


def may_see_health_notes(user: User, application: Application) -> bool:
    """The family, and the staff on the child's sessions."""
    if is_family(user, application):
        return True
    if not user.is_authenticated or user.role not in SESSION_STAFF_ROLES:
        return False
    return any(staff.id == user.id for staff in staff_on_childs_sessions(application))


def attends(application: Application, session: PlannedSession, seat_activity_ids: set[int]) -> bool:
    """Whether the child of an application (of the session's school) attends the session (see the module text)."""
    if application.status is not ApplicationStatus.APPROVED:
        return False
    if session.activity_id is not None:
        # An activity group's session lists classes too (those who may choose it): only seat holders attend.
        return session.activity_id in seat_activity_ids
    offering = application.offering
    return (application.student.class_id in {c.id for c in session.classes}
            and offering.starts_on <= session.on_date <= offering.ends_on
            and session.on_date.weekday() in (application.weekdays or [])
            and (session.kind != EVENING_KIND or application.evening_study))


def seat_activity_ids(application: Application) -> set[int]:
    """The activity groups of the application's offering in which the child holds a seat."""
    return set(db.session.scalars(
        select(Seat.activity_id).join(Activity, Activity.id == Seat.activity_id)
        .where(Seat.student_id == application.student_id, Activity.offering_id == application.offering_id)))


def sessions_of_child(application: Application) -> list[PlannedSession]:
    """The planned sessions the application's child attends."""
    if application.status is not ApplicationStatus.APPROVED:
        return []
    seats = seat_activity_ids(application)
    offering = application.offering
    by_class = (PlannedSession.activity_id.is_(None)
                & PlannedSession.classes.any(SchoolClass.id == application.student.class_id)
                & (PlannedSession.on_date >= offering.starts_on) & (PlannedSession.on_date <= offering.ends_on))
    condition = or_(PlannedSession.activity_id.in_(seats), by_class) if seats else by_class
    candidates = db.session.scalars(select(PlannedSession).join(Week, Week.id == PlannedSession.week_id)
                                    .where(Week.school_id == application.school_id, condition)
                                    .order_by(PlannedSession.on_date, PlannedSession.starts_at, PlannedSession.id))
    return [session for session in candidates if attends(application, session, seats)]


def staff_on_childs_sessions(application: Application) -> list[User]:
    """The people assigned to the sessions the child attends, and the leaders of the child's activity groups."""
    if application.status is not ApplicationStatus.APPROVED:
        return []
    session_ids = [session.id for session in sessions_of_child(application)]
    assigned = (select(StaffProfile.user_id).join(Assignment, Assignment.profile_id == StaffProfile.id)
                .where(Assignment.session_id.in_(session_ids)))
    leaders = select(Activity.leader_id).where(Activity.id.in_(seat_activity_ids(application)),
                                               Activity.leader_id.is_not(None))
    return list(db.session.scalars(select(User).where(or_(User.id.in_(assigned), User.id.in_(leaders)))
                                   .order_by(User.id)))


def is_assigned(user: User, session: PlannedSession) -> bool:
    """Whether the roster assigns this person to the session."""
    profile = user.staff_profile if user.is_authenticated else None
    return profile is not None and db.session.scalar(
        select(Assignment.id).filter_by(session_id=session.id, profile_id=profile.id)) is not None


def children_of_session(session: PlannedSession) -> list[Application]:
    """The approved applications whose children attend the session, by class and name."""
    statement = (select(Application).join(Student, Student.id == Application.student_id)
                 .where(Application.school_id == session.week.school_id,
                        Application.status == ApplicationStatus.APPROVED))
    if session.activity_id is not None:
        activity = db.session.get(Activity, session.activity_id)
        if activity is None:
            return []
        holders = select(Seat.student_id).where(Seat.activity_id == activity.id)
        statement = statement.where(Application.offering_id == activity.offering_id,
                                    Application.student_id.in_(holders))
        seats = {activity.id}
    else:
        statement = (statement.join(Offering, Offering.id == Application.offering_id)
                     .where(Student.class_id.in_([c.id for c in session.classes]),
                            Offering.starts_on <= session.on_date, Offering.ends_on >= session.on_date))
        seats = set()
    applications = db.session.scalars(statement.order_by(Student.class_id, Student.name, Application.id)).all()
    return [application for application in applications if attends(application, session, seats)]


# --- For the templates: the same rules, asked about the current user ---


def register_template_globals(app: Flask) -> None:
    """may_see_hardship(application), may_see_health_notes(application), visible_priority_groups(application),
    handles_fees(), confirmed_guardian_of(student) and hardship_label(status), for every template."""
    def priority_group_label(value: str) -> str:
        return str(next((choice.label for choice in priority_group_choices() if choice.value == value), value))

    app.add_template_global(lambda application: may_see_hardship(current_user, application), "may_see_hardship")
    app.add_template_global(lambda application: may_see_health_notes(current_user, application),
                            "may_see_health_notes")
    app.add_template_global(lambda application: visible_priority_groups(current_user, application),
                            "visible_priority_groups")
    app.add_template_global(lambda: handles_fees(current_user), "handles_fees")
    app.add_template_global(lambda student: student.id in confirmed_child_ids(current_user), "confirmed_guardian_of")
    app.add_template_global(lambda status: str(HARDSHIP_LABELS[status]), "hardship_label")
    app.add_template_global(priority_group_label, "priority_group_label")
