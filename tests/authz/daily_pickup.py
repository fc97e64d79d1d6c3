"""Matrix cases for the pickup hand-over, the family's collecting adults, incidents and emergency contacts.

Session pages load through daily.access.session_to_run_or_404: the school's administrators run every session; a
teacher of the school not on it gets 403; people of no school (a guardian, provider staff not on it, the county)
get 404. Their other-school 404 is tested in tests/test_daily_pickup.py and tests/test_daily_incidents.py, since the
matrix's 'other' column expects 403 from every role not allowed. An incident is 404 to anyone without a part in it
(need-to-know: its existence is not confirmed)."""

from datetime import time, timedelta

from tests.authz import SCHOOL_ADMINS, Case

GUARDIAN = frozenset({"guardian"})
GUARDIAN_AND_ADMINS = GUARDIAN | SCHOOL_ADMINS
NO_SCHOOL = {"guardian": 404, "provider_staff": 404, "county_officer": 404}  # session_to_run_or_404
NO_PART = {role: 404 for role in ("class_teacher", "teacher", "finance", "provider_staff", "county_officer")}


def _day(world, which):
    """Today's session at the own or other school with the school's pupil expected in it, a listed adult of the
    pupil, and an incident of the pupil on the session."""
    from app.daily.models import Incident, IncidentCategory, PickupAdult
    from app.enrolment.models import ApplicationStatus
    from app.extensions import db
    from app.models_base import local_today, utcnow
    from tests import factories
    from tests.daily_world import add_session

    school, school_class, student, users = (
        (world.own_school, world.own_class, world.own_student, world.users) if which == "own"
        else (world.other_school, world.other_class, world.other_student, world.other_users))
    today = local_today()
    term = factories.create_program_term(school, starts_on=today - timedelta(days=30),
                                         ends_on=today + timedelta(days=30))
    application = factories.create_application(student, factories.create_offering(school, term=term),
                                               guardian=users["guardian"], status=ApplicationStatus.APPROVED)
    application.weekdays = list(range(7))
    session = add_session(school, today, [school_class])
    adult = PickupAdult(student_id=student.id, name="王奶奶", relation="奶奶", mobile="13800138000")
    incident = Incident(school_id=school.id, session_id=session.id, student_id=student.id,
                        category=IncidentCategory.INJURY, occurred_at=utcnow().replace(hour=8, minute=0),
                        what_happened="摔倒", recorded_by_id=users["school_admin"].id)
    db.session.add_all([adult, incident])
    db.session.commit()
    return {"session_id": session.id, "student_id": student.id, "adult_id": adult.id, "incident_id": incident.id}


def _pick(*names):
    def args(world, which):
        found = _day(world, which)
        return {name: found[name] for name in names}
    return args


def _incident_data(world, which):
    student = world.own_student if which == "own" else world.other_student
    return {"student_id": student.id, "category": "illness", "occurred_at": time(16, 5).strftime("%H:%M"),
            "what_happened": "发烧"}


CASES = [
    Case("daily.pickup_adults", GUARDIAN, scoped=True, args=_pick("student_id")),
    Case("daily.pickup_adults", GUARDIAN, method="POST", ok=302, scoped=True, args=_pick("student_id"),
         data=lambda world, which: {"name": "李叔叔", "relation": "叔叔", "mobile": "13900139000"}),
    Case("daily.remove_pickup_adult", GUARDIAN, method="POST", ok=302, scoped=True,
         args=_pick("student_id", "adult_id")),
    Case("daily.renew_pickup_code", GUARDIAN, method="POST", ok=302, scoped=True,
         args=_pick("student_id", "adult_id")),
    Case("daily.pickup_qr", GUARDIAN, scoped=True, args=_pick("student_id", "adult_id")),
    Case("daily.handover", SCHOOL_ADMINS, args=_pick("session_id"), overrides=NO_SCHOOL),
    Case("daily.confirm_adult", SCHOOL_ADMINS, args=_pick("session_id", "student_id", "adult_id"),
         overrides=NO_SCHOOL),
    Case("daily.sign_out", SCHOOL_ADMINS, method="POST", ok=303, args=_pick("session_id", "student_id"),
         data=lambda world, which: {"method": "alone"}, overrides=NO_SCHOOL),
    Case("daily.new_incident", SCHOOL_ADMINS, args=_pick("session_id"), overrides=NO_SCHOOL),
    Case("daily.new_incident", SCHOOL_ADMINS, method="POST", ok=302, args=_pick("session_id"),
         data=_incident_data, overrides=NO_SCHOOL),
    Case("daily.contacts", SCHOOL_ADMINS, args=_pick("session_id"), overrides=NO_SCHOOL),
    Case("daily.incident", GUARDIAN_AND_ADMINS, scoped=True, args=_pick("incident_id"), overrides=NO_PART),
    Case("daily.acknowledge_incident", GUARDIAN, method="POST", ok=302, scoped=True, args=_pick("incident_id")),
    Case("daily.countersign_incident", SCHOOL_ADMINS, method="POST", ok=302, scoped=True, args=_pick("incident_id")),
    Case("daily.incident_list", GUARDIAN_AND_ADMINS),
]
