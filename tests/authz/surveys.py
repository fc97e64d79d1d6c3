"""Matrix cases for the quality survey: the county publishes and reads its schools' results, the principal reads
their own school's, a guardian answers for a child who took part (another family's child: 404), school staff
answer their own questionnaire (another county's survey: 404)."""

from app.extensions import db
from tests.authz import Case
from tests.survey_world import open_survey, term_service, took_part

OFFICER = frozenset({"county_officer"})
READERS = frozenset({"county_officer", "school_admin"})  # school_admin is the principal
GUARDIAN = frozenset({"guardian"})
STAFF = frozenset({"class_teacher", "teacher"})


def survey_args(world, which: str) -> dict:
    """An open survey of the officer's own county, or of the far county."""
    county = world.county if which == "own" else world.far_school.county
    survey = open_survey(county)
    db.session.commit()
    return {"survey_id": survey.id}


def answer_args(world, which: str) -> dict:
    """The own county's open survey, for the guardian's child who took part, or for the other school's child."""
    survey = open_survey(world.county)
    offering, _ = term_service(world.own_school)
    took_part(world.own_student, offering, guardian=world.users["guardian"])
    other_offering, _ = term_service(world.other_school)
    took_part(world.other_student, other_offering, guardian=world.other_users["guardian"])
    db.session.commit()
    student = world.own_student if which == "own" else world.other_student
    return {"survey_id": survey.id, "student_id": student.id}


def scores(world, which: str) -> dict:
    return {"overall": "4", "workload_fairness": "3", "comment": "老师很负责"}


CASES = [
    Case("surveys.index", READERS),
    Case("surveys.new", OFFICER),
    Case("surveys.new", OFFICER, method="POST", ok=302, data=lambda world, which: {
        "term_name": "2026—2027学年第二学期", "opens_on": "2027-06-20", "closes_on": "2027-07-05",
        "for_guardians": "y"}),
    Case("surveys.results_page", READERS, scoped=True, args=survey_args),
    Case("surveys.mine", GUARDIAN | STAFF),
    Case("surveys.answer", GUARDIAN, scoped=True, args=answer_args),
    Case("surveys.answer", GUARDIAN, method="POST", ok=302, scoped=True, args=answer_args, data=scores),
    Case("surveys.staff_answer", STAFF, scoped=True, args=survey_args),
    Case("surveys.staff_answer", STAFF, method="POST", ok=302, scoped=True, args=survey_args, data=scores),
]
