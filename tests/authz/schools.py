"""Matrix cases for the school pages: classes, students, settings and calendar, import, my class, binding, county."""

from app.extensions import db
from tests import factories
from tests.authz import SCHOOL_ADMINS, Case

ADMIN = SCHOOL_ADMINS  # the principal and coordinators
CLASS_TEACHER = frozenset({"class_teacher"})
GUARDIAN = frozenset({"guardian"})
OFFICER = frozenset({"county_officer"})


def _school(world, which):
    return world.own_school if which == "own" else world.other_school


def _class_id(world, which):
    return {"class_id": (world.own_class if which == "own" else world.other_class).id}


def _student_id(world, which):
    return {"student_id": (world.own_student if which == "own" else world.other_student).id}


def _term_id(world, which):
    term = factories.create_term(_school(world, which))
    db.session.commit()
    return {"term_id": term.id}


def _holiday_id(world, which):
    holiday = factories.create_holiday(_school(world, which))
    db.session.commit()
    return {"holiday_id": holiday.id}


def _link_id(world, which):
    users = world.users if which == "own" else world.other_users
    return {"link_id": users["guardian"].guardian_links[0].id}


def _student_data(world, which):
    return {"student_number": "M-0001", "name": "新同学", "class_id": world.own_class.id}


def _dates(**extra):
    return lambda world, which: {"name": "第二学期", "starts_on": "2027-02-22", "ends_on": "2027-07-02", **extra}


def _second_child(world, which):
    child = factories.create_student(world.own_class)
    db.session.commit()
    return {"school_id": world.own_school.id, "student_number": child.student_number, "name": child.name,
            "relationship": "father"}


STUDENTS = {"kind": "students"}

CASES = [
    Case("schools.classes", ADMIN),
    Case("schools.classes", ADMIN, method="POST", ok=302, data=lambda world, which: {"grade": 2, "number": 1}),
    Case("schools.class_teacher", ADMIN, method="POST", ok=302, scoped=True, args=_class_id,
         data=lambda world, which: {"teacher": 0}),
    Case("schools.students", ADMIN),
    Case("schools.add_student", ADMIN),
    Case("schools.add_student", ADMIN, method="POST", ok=302, data=_student_data),
    Case("schools.edit_student", ADMIN, scoped=True, args=_student_id),
    Case("schools.edit_student", ADMIN, method="POST", ok=302, scoped=True, args=_student_id, data=_student_data),
    Case("schools.delete_student", ADMIN, method="POST", ok=302, scoped=True, args=_student_id),
    # Shows the new code once (200); the class teacher only for a child of their class.
    Case("schools.binding_code", ADMIN | CLASS_TEACHER, method="POST", scoped=True, args=_student_id),
    Case("schools.settings", ADMIN),
    Case("schools.settings", ADMIN, method="POST", ok=302, data=lambda world, which: {
        "name": "新名字小学", "address": "", "work_end_winter": "17:00", "work_end_summer": "17:30",
        "summer_starts": "05-01", "winter_starts": "10-01"}),
    Case("schools.new_term", ADMIN),
    Case("schools.new_term", ADMIN, method="POST", ok=302, data=_dates()),
    Case("schools.edit_term", ADMIN, scoped=True, args=_term_id),
    Case("schools.edit_term", ADMIN, method="POST", ok=302, scoped=True, args=_term_id, data=_dates()),
    Case("schools.delete_term", ADMIN, method="POST", ok=302, scoped=True, args=_term_id),
    Case("schools.new_holiday", ADMIN),
    Case("schools.new_holiday", ADMIN, method="POST", ok=302, data=_dates(kind="summer")),
    Case("schools.edit_holiday", ADMIN, scoped=True, args=_holiday_id),
    Case("schools.edit_holiday", ADMIN, method="POST", ok=302, scoped=True, args=_holiday_id,
         data=_dates(kind="public")),
    Case("schools.delete_holiday", ADMIN, method="POST", ok=302, scoped=True, args=_holiday_id),
    Case("schools.import_data", ADMIN),
    Case("schools.import_template", ADMIN, args=lambda world, which: STUDENTS),
    # Without a file the form re-renders with its message.
    Case("schools.import_upload", ADMIN, method="POST", args=lambda world, which: STUDENTS),
    # An unknown token: nothing to write, back to the upload page.
    Case("schools.import_confirm", ADMIN, method="POST", ok=302, args=lambda world, which: STUDENTS,
         data=lambda world, which: {"token": "x" * 32}),
    Case("schools.my_class", CLASS_TEACHER),
    Case("schools.verify_link", CLASS_TEACHER, method="POST", ok=302, scoped=True, args=_link_id),
    Case("schools.reject_link", CLASS_TEACHER, method="POST", ok=302, scoped=True, args=_link_id),
    Case("schools.bind_child", GUARDIAN),
    Case("schools.bind_child", GUARDIAN, method="POST", ok=302, data=_second_child),
    Case("schools.unbind_child", GUARDIAN, method="POST", ok=302, scoped=True, args=_link_id),
    Case("schools.county_schools", OFFICER),
    Case("schools.county_school", OFFICER, scoped=True,
         args=lambda world, which: {"school_id": (world.own_school if which == "own" else world.far_school).id}),
]
