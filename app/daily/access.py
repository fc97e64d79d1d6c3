"""Who may run a session's register, hand-over and incidents, and who sees which child: the rules every school-day
page asks (routes load through these, so another school's session is a 404 and someone else's a 403)."""

from flask import abort
from flask_login import current_user
from sqlalchemy import false, or_, select

from app.accounts.models import Role, User
from app.enrolment import need_to_know
from app.extensions import db
from app.models_base import local_today
from app.programs.models import Activity
from app.rosters.models import Assignment, PlannedSession, Week
from app.schools.models import Student


def school_id_of(session: PlannedSession) -> int:
    return session.week.school_id


def is_school_admin_of(user: User, school_id: int) -> bool:
    """The school's administrators (principal, coordinator): every session of their school."""
    return user.is_authenticated and user.role is Role.SCHOOL_ADMIN and user.school_id == school_id


def runs_session(user: User, session: PlannedSession) -> bool:
    """Whether this person takes the session's register and hands its children over: assigned to it on the
    roster, the leader of its activity group, or an administrator of the school."""
    if not user.is_authenticated:
        return False
    if is_school_admin_of(user, school_id_of(session)):
        return True
    if session.activity_group is not None and session.activity_group.leader_id == user.id:
        return True
    return need_to_know.is_assigned(user, session)


def session_to_run_or_404(session_id: int) -> PlannedSession:
    """The session, for someone who runs it: 404 when it does not exist or belongs to a school the person has
    nothing to do with, 403 when it is their school's (or they work there) but not theirs to run."""
    session = db.session.get(PlannedSession, session_id)
    if session is None:
        abort(404)
    if runs_session(current_user, session):
        return session
    if current_user.is_authenticated and current_user.school_id == school_id_of(session):
        abort(403)
    abort(404)


def sessions_to_run(user: User, day=None) -> list[PlannedSession]:
    """The sessions this person runs on a day (school time; today by default), in time order: the school's every
    session for its administrators, else those the roster assigns them and those of the activity groups they lead
    (runs_session's rule, asked of the database in one query)."""
    day = day or local_today()
    statement = (select(PlannedSession).join(Week, Week.id == PlannedSession.week_id)
                 .where(PlannedSession.on_date == day).order_by(PlannedSession.starts_at, PlannedSession.id))
    if is_school_admin_of(user, user.school_id):
        return list(db.session.scalars(statement.where(Week.school_id == user.school_id)))
    profile = user.staff_profile
    assigned = (select(Assignment.session_id).where(Assignment.profile_id == profile.id) if profile is not None
                else select(Assignment.session_id).where(false()))
    led = select(Activity.id).where(Activity.leader_id == user.id)
    return list(db.session.scalars(statement.where(or_(PlannedSession.id.in_(assigned),
                                                       PlannedSession.activity_id.in_(led)))))


def may_see_emergency_contacts(user: User, session: PlannedSession) -> bool:
    """Guardians' and the class teacher's phone numbers, as tap-to-call links: only for the people running the
    session, and only on its day (need-to-know)."""
    return session.on_date == local_today() and runs_session(user, session)


def guardians_to_tell(student: Student) -> list[User]:
    """The child's guardians whose link the school confirmed: who hears about the child's day."""
    return [link.guardian for link in student.guardian_links if link.verified]


def is_guardian_of(user: User, student: Student) -> bool:
    return user.is_authenticated and user.role is Role.GUARDIAN and any(
        link.guardian_id == user.id and link.verified for link in student.guardian_links)


def child_of_guardian_or_404(student_id: int) -> Student:
    """A child of the logged-in guardian (confirmed link), else 404."""
    student = db.session.get(Student, student_id)
    if student is None or not is_guardian_of(current_user, student):
        abort(404)
    return student
