"""Builders for the quality survey's tests: a term's after-school service, children who took part in it (with
their activity places) and a survey of the term."""

from datetime import timedelta

from app.enrolment.models import ApplicationStatus, Seat
from app.extensions import db
from app.models_base import local_today, utcnow
from app.surveys.models import Survey
from tests import factories

TERM = "2026—2027学年第一学期"


def term_service(school, *activities, name: str = TERM):
    """The school's after-school offering of the named term with activities (name, provider or None)."""
    term = factories.create_term(school, name=name)
    offering = factories.create_offering(school, term=term)
    groups = [factories.create_activity(offering, name=activity_name, provider_id=provider.id if provider else None)
              for activity_name, provider in activities]
    return offering, groups


def took_part(student, offering, *groups, guardian=None):
    """An approved application for the child, with a place in each group."""
    application = factories.create_application(student, offering, guardian=guardian,
                                               status=ApplicationStatus.APPROVED)
    for group in groups:
        db.session.add(Seat(activity_id=group.id, student_id=student.id, application_id=application.id))
    db.session.flush()
    return application


def open_survey(county, *, name: str = TERM, for_guardians: bool = True, for_staff: bool = True,
                told: bool = True) -> Survey:
    """A survey of the term that opened three days ago and closes in ten (its audience already told)."""
    today = local_today()
    survey = Survey(county_id=county.id, term_name=name, opens_on=today - timedelta(days=3),
                    closes_on=today + timedelta(days=10), for_guardians=for_guardians, for_staff=for_staff,
                    notified_at=utcnow() if told else None)
    db.session.add(survey)
    db.session.flush()
    return survey
