"""Matrix cases for enrolment: guardians' applications, class teachers' review, principals' approval, fees, inbox."""

from app.enrolment.models import Lottery
from app.extensions import db
from tests import factories
from tests.authz import EVERY_USER, PRINCIPAL_AND_FINANCE, SCHOOL_ADMINS, Case

GUARDIAN = frozenset({"guardian"})
CLASS_TEACHER = frozenset({"class_teacher"})
ADMIN = SCHOOL_ADMINS  # the principal and coordinators
FEES = PRINCIPAL_AND_FINANCE  # need to know: fees show hardship waivers, so not coordinators


def _student(world, which):
    return world.own_student if which == "own" else world.other_student


def apply_args(world, which) -> dict:
    student = _student(world, which)
    offering = factories.create_offering(student.school)
    db.session.commit()
    return {"student_id": student.id, "offering_id": offering.id}


def application_args(world, which) -> dict:
    student = _student(world, which)
    application = factories.create_application(student, factories.create_offering(student.school))
    db.session.commit()
    return {"application_id": application.id}


def offering_args(world, which) -> dict:
    offering = factories.create_offering(_student(world, which).school)
    db.session.commit()
    return {"offering_id": offering.id}


def lottery_args(world, which) -> dict:
    student = _student(world, which)
    offering = factories.create_offering(student.school)
    factories.create_application(student, offering)  # the family of an applicant may check the draw
    record = Lottery(school_id=offering.school_id, offering_id=offering.id, seed="s",
                     inputs={"priority_groups": [], "free_seats": {}, "applicants": []},
                     result={"order": [], "tiers": {}, "placed": {}, "waiting": {}})
    db.session.add(record)
    db.session.commit()
    return {"lottery_id": record.id}


def choice_args(world, which) -> dict:
    student = _student(world, which)
    offering = factories.create_offering(student.school)
    activity = factories.create_activity(offering, capacity=1)
    application = factories.create_application(student, offering, choices=[activity])
    db.session.commit()
    return {"choice_id": application.choices[0].id}


CASES = [
    Case("enrolment.index", GUARDIAN),
    Case("enrolment.apply", GUARDIAN, scoped=True, args=apply_args),
    Case("enrolment.apply", GUARDIAN, method="POST", scoped=True, args=apply_args),
    Case("enrolment.application", GUARDIAN | CLASS_TEACHER | ADMIN, scoped=True, args=application_args),
    Case("enrolment.edit_application", GUARDIAN, scoped=True, args=application_args),
    Case("enrolment.edit_application", GUARDIAN, method="POST", scoped=True, args=application_args),
    Case("enrolment.withdraw", GUARDIAN, scoped=True, args=application_args),
    Case("enrolment.withdraw", GUARDIAN, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.statement", GUARDIAN | FEES, scoped=True, args=application_args),
    Case("enrolment.review", CLASS_TEACHER),
    Case("enrolment.confirm", CLASS_TEACHER, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.return_application", CLASS_TEACHER, method="POST", ok=302, scoped=True, args=application_args,
         data=lambda world, which: {"reason": "请补充接送人"}),
    Case("enrolment.approvals", ADMIN, scoped=True, args=offering_args),
    Case("enrolment.approve", ADMIN, method="POST", ok=302, scoped=True, args=offering_args),
    Case("enrolment.charge", FEES, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.payment", FEES, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.hardship", FEES, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.finance", FEES),
    Case("enrolment.audit_trail", ADMIN),
    # The draw's record names each ticket's priority groups: need to know (see lottery_or_404).
    Case("enrolment.lottery", GUARDIAN | FEES, scoped=True, args=lottery_args),
    Case("enrolment.lottery_record", GUARDIAN | FEES, scoped=True, args=lottery_args),
    Case("enrolment.accept_offer", GUARDIAN, method="POST", ok=302, scoped=True, args=choice_args),
    Case("enrolment.decline_offer", GUARDIAN, method="POST", ok=302, scoped=True, args=choice_args),
    Case("enrolment.remove_place", ADMIN, method="POST", ok=302, scoped=True, args=choice_args,
         data=lambda world, which: {"reason": "长期未到"}),
    Case("enrolment.link_siblings", GUARDIAN, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.unlink_siblings", GUARDIAN, method="POST", ok=302, scoped=True, args=application_args),
    Case("enrolment.inbox", EVERY_USER, ok=302),  # the old address of the inbox: a redirect to it
]
