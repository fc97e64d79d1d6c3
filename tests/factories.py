"""Builders for test data: each makes a valid object with sensible defaults, flushed, not committed."""

import functools
import itertools
from datetime import date, time

from werkzeug.security import generate_password_hash

from app.accounts.models import AdminTitle, GuardianLink, Relationship, Role, User
from app.extensions import db
from app.providers.models import Provider, ProviderStatus
from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student
from app.staff.models import StaffProfile, StaffType

PASSWORD = "password-123"
_numbers = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # scrypt is slow on purpose; tests use cheap scrypt parameters, hashed once per run.
    return generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


def _next() -> int:
    return next(_numbers)


def create_county(name: str | None = None) -> County:
    n = _next()
    county = County(name=name or f"测试县{n}", code=f"c{n}")
    db.session.add(county)
    db.session.flush()
    return county


def create_school(county: County | None = None, *, school_type: SchoolType = SchoolType.PRIMARY,
                  name: str | None = None) -> School:
    n = _next()
    school = School(county=county or create_county(), code=f"S{n}", name=name or f"测试学校{n}",
                    school_type=school_type, work_end_winter=time(17, 0), work_end_summer=time(17, 30))
    db.session.add(school)
    db.session.flush()
    return school


def create_class(school: School, grade_number: int = 1, number: int = 1) -> SchoolClass:
    grade = db.session.scalar(db.select(Grade).filter_by(school_id=school.id, number=grade_number))
    if grade is None:
        grade = Grade(number=grade_number)
        school.grades.append(grade)
    school_class = SchoolClass(school=school, number=number)
    grade.classes.append(school_class)
    db.session.flush()
    return school_class


def create_student(school_class: SchoolClass, *, name: str | None = None, number: str | None = None) -> Student:
    n = _next()
    student = Student(school=school_class.school, name=name or f"学生{n}", student_number=number or f"N{n:06d}")
    school_class.students.append(student)
    db.session.flush()
    return student


def create_user(role: Role, *, name: str | None = None, mobile: str | None = None, **fields) -> User:
    n = _next()
    user = User(role=role, name=name or f"用户{n}", mobile=mobile or f"139{n:08d}", password_hash=_password_hash(),
                **fields)
    db.session.add(user)
    db.session.flush()
    return user


def create_guardian(student: Student | None = None, *, verified: bool = True, **fields) -> User:
    guardian = create_user(Role.GUARDIAN, **fields)
    if student is not None:
        guardian.guardian_links.append(GuardianLink(student=student, relationship_kind=Relationship.MOTHER,
                                                    verified=verified))
        db.session.flush()
    return guardian


def create_teacher(school: School, *, opted_in: bool = True, exempt: bool = False,
                   staff_type: StaffType = StaffType.TEACHER, **fields) -> User:
    teacher = create_user(Role.TEACHER, school=school, **fields)
    teacher.staff_profile = StaffProfile(school_id=school.id, staff_type=staff_type, subjects=["数学"],
                                         skills=["supervision", "homework_help"], opted_in=opted_in, exempt=exempt)
    db.session.flush()
    return teacher


def create_school_admin(school: School, **fields) -> User:
    return create_user(Role.SCHOOL_ADMIN, school=school, admin_title=AdminTitle.PRINCIPAL, **fields)


def create_county_officer(county: County, **fields) -> User:
    return create_user(Role.COUNTY_OFFICER, county=county, **fields)


def create_provider(county: County, *, status: ProviderStatus = ProviderStatus.ACTIVE,
                    vetted_until: date | None = date(2027, 6, 30), categories=("sports",)) -> Provider:
    n = _next()
    provider = Provider(county=county, name=f"机构{n}", categories=list(categories), status=status,
                        vetted_until=vetted_until)
    db.session.add(provider)
    db.session.flush()
    return provider


def create_provider_staff(provider: Provider, **fields) -> User:
    user = create_user(Role.PROVIDER_STAFF, provider=provider, **fields)
    user.staff_profile = StaffProfile(staff_type=StaffType.PROVIDER, skills=list(provider.categories), opted_in=True)
    db.session.flush()
    return user
