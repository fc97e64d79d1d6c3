"""The database itself keeps the invariants (uniques, ranges, enums, dates, roles), on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import GuardianLink, Relationship, Role
from app.schools.models import Grade, Holiday, HolidayKind, SchoolClass, Term
from app.staff.models import StaffProfile, StaffType
from tests import factories

pytestmark = pytest.mark.both_databases


def refused(db, make) -> None:
    """`make()` adds rows; the database must refuse them at flush."""
    with pytest.raises(IntegrityError):
        make()
        db.session.flush()
    db.session.rollback()


def test_mobile_is_unique(db):
    factories.create_user(Role.GUARDIAN, mobile="13911112222")
    refused(db, lambda: factories.create_user(Role.GUARDIAN, mobile="13911112222"))


def test_student_number_is_unique_within_a_school_only(db):
    school_class = factories.create_class(factories.create_school())
    factories.create_student(school_class, number="2026001")
    other_school_class = factories.create_class(factories.create_school())
    factories.create_student(other_school_class, number="2026001")  # another school may use the same number
    db.session.commit()
    refused(db, lambda: factories.create_student(school_class, number="2026001"))


def test_county_code_and_school_code_per_county_are_unique(db):
    county = factories.create_county()
    db.session.commit()
    refused(db, lambda: setattr(factories.create_county(), "code", county.code))
    school = factories.create_school(county)
    factories.create_school().code = school.code  # another county may use the same school code
    db.session.commit()
    refused(db, lambda: setattr(factories.create_school(county), "code", school.code))


@pytest.mark.parametrize("number", [1, 6, 7, 9])
def test_grades_one_to_nine_are_accepted(db, number):
    school = factories.create_school()
    school.grades.append(Grade(number=number))
    db.session.flush()


@pytest.mark.parametrize("number", [0, -1, 10])
def test_grade_outside_one_to_nine_is_refused(db, number):
    school = factories.create_school()
    db.session.commit()
    refused(db, lambda: school.grades.append(Grade(number=number)))


def test_a_grade_appears_once_per_school_and_class_numbers_are_positive(db):
    school = factories.create_school()
    school_class = factories.create_class(school, grade_number=3)
    db.session.commit()
    refused(db, lambda: school.grades.append(Grade(number=3)))
    refused(db, lambda: school_class.grade.classes.append(SchoolClass(school=school, number=school_class.number)))
    refused(db, lambda: school_class.grade.classes.append(SchoolClass(school=school, number=0)))


# Enums are stored as checked strings: a value outside the enum, written past the ORM, must be refused too.
ENUM_COLUMNS = [
    ("user", "role"),
    ("user", "admin_title"),
    ("school", "school_type"),
    ("provider", "status"),
    ("staff_profile", "staff_type"),
    ("holiday", "kind"),
    ("guardian_link", "relationship_kind"),
]


@pytest.mark.parametrize(("table", "column"), ENUM_COLUMNS)
def test_enum_columns_refuse_unknown_values(db, table, column):
    school = factories.create_school()
    student = factories.create_student(factories.create_class(school))
    factories.create_guardian(student)
    factories.create_school_admin(school)
    factories.create_provider_staff(factories.create_provider(school.county))
    school.holidays.append(Holiday(kind=HolidayKind.PUBLIC, name="元旦", starts_on=date(2027, 1, 1),
                                   ends_on=date(2027, 1, 1)))
    db.session.commit()
    # 'x' fits every column's length, so only the enum's check can refuse it.
    # 'x' fits every column's length, so only the enum's check constraint can refuse it.
    refused(db, lambda: db.session.execute(text(f'UPDATE "{table}" SET "{column}" = \'x\'')))


@pytest.mark.parametrize("model", [Term, Holiday])
def test_a_period_cannot_end_before_it_starts(db, model):
    school = factories.create_school()
    extra = {"kind": HolidayKind.WINTER} if model is Holiday else {}
    db.session.add(model(school=school, name="同一天", starts_on=date(2027, 1, 5), ends_on=date(2027, 1, 5), **extra))
    db.session.commit()
    refused(db, lambda: db.session.add(
        model(school=school, name="倒过来", starts_on=date(2027, 1, 6), ends_on=date(2027, 1, 5), **extra)))


@pytest.mark.parametrize("role", [Role.TEACHER, Role.SCHOOL_ADMIN, Role.PROVIDER_STAFF, Role.COUNTY_OFFICER])
def test_staff_roles_need_their_school_provider_or_county(db, role):
    refused(db, lambda: factories.create_user(role))


def test_every_role_is_accepted_with_what_it_needs(db):
    school = factories.create_school()
    factories.create_user(Role.GUARDIAN)
    factories.create_teacher(school)
    factories.create_school_admin(school)
    factories.create_provider_staff(factories.create_provider(school.county))
    factories.create_county_officer(school.county)
    db.session.commit()


def test_a_guardian_links_to_a_child_once(db):
    student = factories.create_student(factories.create_class(factories.create_school()))
    guardian = factories.create_guardian(student)
    db.session.commit()
    refused(db, lambda: db.session.add(
        GuardianLink(guardian=guardian, student=student, relationship_kind=Relationship.FATHER)))


@pytest.mark.parametrize(("field", "value"), [("max_days", 8), ("max_days", -1), ("max_weekly_minutes", -30)])
def test_staff_limits_stay_in_range(db, field, value):
    teacher = factories.create_teacher(factories.create_school())
    db.session.commit()
    refused(db, lambda: setattr(teacher.staff_profile, field, value))


def test_one_staff_profile_per_user(db):
    teacher = factories.create_teacher(factories.create_school())
    db.session.commit()
    refused(db, lambda: db.session.add(StaffProfile(user_id=teacher.id, staff_type=StaffType.VOLUNTEER)))


def test_provider_name_is_unique_within_a_county(db):
    provider = factories.create_provider(factories.create_county())
    db.session.commit()
    factories.create_provider(factories.create_county()).name = provider.name  # another county's may share it
    db.session.commit()
    refused(db, lambda: setattr(factories.create_provider(provider.county), "name", provider.name))
