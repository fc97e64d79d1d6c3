"""The quality survey's work: publishing it, telling its audience when it opens, who answers for which child and
which activities, and recording answers (one per child per term, one per staff member). Services flush; the
request commits."""

import logging
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import GuardianLink, Role, User
from app.enrolment.models import Application, ApplicationStatus, Seat
from app.extensions import db
from app.models_base import utcnow
from app.notifications.services import notify
from app.programs.models import Activity, Offering, OfferingKind
from app.schools.models import County, School, Student, Term
from app.surveys.models import ActivityRating, GuardianAnswer, StaffAnswer, Survey

logger = logging.getLogger(__name__)


# The page listing what waits for the reader's answer (a plain path: messages are also written by the CLI).
MINE_LINK = "/surveys/mine"


class AlreadyAnswered(Exception):
    """The child (or the staff member) already has an answer in this survey: the first one stands."""


# --- The term's service: who took part, in what ---


def term_offering_ids(survey: Survey):
    """The after-school offerings of the survey's term at the county's schools (a select of ids)."""
    return (select(Offering.id).join(Term, Term.id == Offering.term_id).join(School, School.id == Offering.school_id)
            .where(School.county_id == survey.county_id, Term.name == survey.term_name,
                   Offering.kind == OfferingKind.AFTER_SCHOOL))


def took_part(survey: Survey, student_id: int) -> bool:
    """Whether the child took part in the term's after-school service (an approved application)."""
    return db.session.scalar(select(Application.id).where(
        Application.student_id == student_id, Application.status == ApplicationStatus.APPROVED,
        Application.offering_id.in_(term_offering_ids(survey))).limit(1)) is not None


def activities_of(survey: Survey, student_id: int) -> list[Activity]:
    """The activity groups the child held a place in that term: the ones the family is asked to rate."""
    return list(db.session.scalars(
        select(Activity).join(Seat, Seat.activity_id == Activity.id)
        .where(Seat.student_id == student_id, Activity.offering_id.in_(term_offering_ids(survey)))
        .order_by(Activity.name, Activity.id)))


def children_to_answer_for(survey: Survey, guardian: User) -> list[Student]:
    """The guardian's children (links the school confirmed) who took part in the term at one of the county's
    schools."""
    if guardian.role is not Role.GUARDIAN or not survey.for_guardians:
        return []
    return list(db.session.scalars(
        select(Student).join(GuardianLink, GuardianLink.student_id == Student.id)
        .join(Application, Application.student_id == Student.id)
        .where(GuardianLink.guardian_id == guardian.id, GuardianLink.verified.is_(True),
               Application.status == ApplicationStatus.APPROVED,
               Application.offering_id.in_(term_offering_ids(survey)))
        .distinct().order_by(Student.name, Student.id)))


def answer_for(survey: Survey, student_id: int) -> GuardianAnswer | None:
    """The family's answer for the child, if one was given."""
    return db.session.scalar(select(GuardianAnswer).filter_by(survey_id=survey.id, student_id=student_id))


def staff_may_answer(survey: Survey, user: User) -> bool:
    """School staff (teachers, class teachers, retired teachers and volunteers) of the county's schools."""
    return (survey.for_staff and user.role is Role.TEACHER and user.school is not None
            and user.school.county_id == survey.county_id)


def staff_answer_of(survey: Survey, user: User) -> StaffAnswer | None:
    return db.session.scalar(select(StaffAnswer).filter_by(survey_id=survey.id, user_id=user.id))


# --- Publishing and telling people ---


def publish(county: County, *, term_name: str, opens_on: date, closes_on: date, for_guardians: bool,
            for_staff: bool, by: User, today: date) -> Survey:
    """Publish the county's survey of a term; its audience is told at once when it is already open (else by
    `send_due_opening_notices` on its opening day)."""
    survey = Survey(county_id=county.id, term_name=term_name, opens_on=opens_on, closes_on=closes_on,
                    for_guardians=for_guardians, for_staff=for_staff, published_by_id=by.id)
    db.session.add(survey)
    db.session.flush()
    if survey.is_open_on(today):
        send_opening_notices(survey)
    return survey


def audience(survey: Survey) -> list[User]:
    """Who is told the survey opened: guardians of children who took part (confirmed links), and school staff."""
    people: dict[int, User] = {}
    if survey.for_guardians:
        guardians = db.session.scalars(
            select(User).join(GuardianLink, GuardianLink.guardian_id == User.id)
            .join(Application, Application.student_id == GuardianLink.student_id)
            .where(GuardianLink.verified.is_(True), Application.status == ApplicationStatus.APPROVED,
                   Application.offering_id.in_(term_offering_ids(survey))).distinct())
        people.update((user.id, user) for user in guardians)
    if survey.for_staff:
        staff = db.session.scalars(select(User).join(School, School.id == User.school_id)
                                   .where(User.role == Role.TEACHER, School.county_id == survey.county_id))
        people.update((user.id, user) for user in staff)
    return [user for user in people.values() if user.is_active_account]


def send_opening_notices(survey: Survey) -> int:
    """Tell the survey's audience that it is open (once per survey); returns how many were told."""
    if survey.notified_at is not None:
        return 0
    survey.notified_at = utcnow()
    people = audience(survey)
    for person in people:
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            notify(person, _("The end-of-term survey is open: %(term)s", term=survey.term_name),
                   _("%(county)s asks how the after-school service went this term. Please answer by %(day)s.",
                     county=survey.county.name, day=survey.closes_on.isoformat()), MINE_LINK)
    db.session.flush()
    logger.info("survey %s opened: %d people told", survey.id, len(people))
    return len(people)


def send_due_opening_notices(today: date) -> int:
    """Tell the audience of every survey that has opened by today and not yet been announced."""
    due = db.session.scalars(select(Survey).where(Survey.notified_at.is_(None), Survey.opens_on <= today,
                                                  Survey.closes_on >= today)).all()
    return sum(send_opening_notices(survey) for survey in due)


# --- The home page: what is waiting for an answer ---


@dataclass(frozen=True)
class Waiting:
    """An open survey and whom it still waits for: the guardian's children not yet answered for, or the staff
    member themself."""

    survey: Survey
    children: list[Student]
    staff: bool


def waiting_for(user: User, today: date) -> list[Waiting]:
    """The open surveys this person may still answer."""
    county_id = user.effective_county_id
    if user.role is Role.GUARDIAN:
        county_ids = {link.student.school.county_id for link in user.guardian_links if link.verified}
    else:
        county_ids = {county_id} if county_id is not None else set()
    if not county_ids:
        return []
    surveys = db.session.scalars(select(Survey).where(Survey.county_id.in_(county_ids), Survey.opens_on <= today,
                                                      Survey.closes_on >= today).order_by(Survey.closes_on))
    waiting = []
    for survey in surveys:
        children = [child for child in children_to_answer_for(survey, user) if answer_for(survey, child.id) is None]
        staff = staff_may_answer(survey, user) and staff_answer_of(survey, user) is None
        if children or staff:
            waiting.append(Waiting(survey, children, staff))
    return waiting


# --- Answers ---


def record_guardian_answer(survey: Survey, student: Student, *, overall: int,
                           ratings: dict[int, int], comment: str) -> GuardianAnswer:
    """The family's answer for one child; AlreadyAnswered when the child has one (two guardians, or a double tap:
    the database's one-per-child rule decides, the first stands)."""
    answer = GuardianAnswer(survey_id=survey.id, student_id=student.id, school_id=student.school_id,
                            overall=overall, comment=comment)
    activities = {activity.id: activity for activity in activities_of(survey, student.id)}
    for activity_id, rating in ratings.items():
        answer.ratings.append(ActivityRating(activity_id=activity_id, provider_id=activities[activity_id].provider_id,
                                             rating=rating))
    try:
        with db.session.begin_nested():
            db.session.add(answer)
    except IntegrityError as error:
        raise AlreadyAnswered from error
    return answer


def record_staff_answer(survey: Survey, user: User, *, overall: int, workload_fairness: int,
                        comment: str) -> StaffAnswer:
    """A staff member's answer; AlreadyAnswered when they answered before."""
    answer = StaffAnswer(survey_id=survey.id, user_id=user.id, school_id=user.school_id, overall=overall,
                         workload_fairness=workload_fairness, comment=comment)
    try:
        with db.session.begin_nested():
            db.session.add(answer)
    except IntegrityError as error:
        raise AlreadyAnswered from error
    return answer
