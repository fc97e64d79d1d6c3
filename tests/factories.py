"""Builders for test data: each makes a valid object with sensible defaults, flushed, not committed."""

import functools
import itertools
from datetime import date, time

from app.accounts.models import AdminTitle, GuardianLink, Relationship, Role, User
from app.extensions import db
from app.providers.models import Provider, ProviderStatus
from app.schools.models import County, Grade, School, SchoolClass, SchoolType, Student
from app.staff.models import StaffProfile, StaffType

PASSWORD = "password-123"
_numbers = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # Hashing is slow on purpose; the testing config's cheap Argon2 parameters, hashed once per run.
    from app.accounts.passwords import hash_password

    return hash_password(PASSWORD)


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


def create_guardian(student: Student | None = None, *, verified: bool = True, accepted_notice: bool = True,
                    **fields) -> User:
    guardian = create_user(Role.GUARDIAN, **fields)
    if accepted_notice:  # as at registration: the guardian read and accepted the privacy notice
        from app.privacy.services import accept_current

        accept_current(guardian)
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
    """The principal (校长): a school administrator titled principal."""
    return create_user(Role.SCHOOL_ADMIN, school=school, admin_title=AdminTitle.PRINCIPAL, **fields)


def create_coordinator(school: School, **fields) -> User:
    """An after-school coordinator (教务): a school administrator who is not the principal."""
    return create_user(Role.SCHOOL_ADMIN, school=school, admin_title=AdminTitle.COORDINATOR, **fields)


def create_finance_officer(school: School, **fields) -> User:
    return create_user(Role.FINANCE, school=school, **fields)


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


def create_term(school: School, *, name: str = "第一学期", starts_on: date = date(2026, 9, 1),
                ends_on: date = date(2027, 1, 22)):
    from app.schools.models import Term

    term = Term(school=school, name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    return term


def create_holiday(school: School, *, name: str = "寒假", starts_on: date = date(2027, 1, 23),
                   ends_on: date = date(2027, 2, 21)):
    from app.schools.models import Holiday, HolidayKind

    holiday = Holiday(school=school, kind=HolidayKind.WINTER, name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(holiday)
    db.session.flush()
    return holiday


# --- Programmes and enrolment (app/programs, app/enrolment) ---


def create_program_term(school: School, *, starts_on: date = date(2026, 9, 1), ends_on: date = date(2027, 1, 22)):
    from app.schools.models import Term

    term = Term(name=f"学期{_next()}", starts_on=starts_on, ends_on=ends_on)
    school.terms.append(term)
    db.session.flush()
    return term


def create_agreement(school: School, body: str = "课后服务协议书：学生自愿参加，家长可随时退出。"):
    from app.programs.models import AgreementText

    text = AgreementText(school_id=school.id, version=1 + len(school_agreements(school)), body=body)
    db.session.add(text)
    db.session.flush()
    return text


def school_agreements(school: School) -> list:
    from app.programs.models import AgreementText

    return list(db.session.scalars(db.select(AgreementText).filter_by(school_id=school.id)))


def create_offering(school: School, *, published: bool = True, apply_deadline: date = date(2099, 1, 1),
                    priority_groups=(), **fields):
    """A published after-school offering for a new term (Mon–Fri 15:30–17:40) with an agreement."""
    from app.programs.models import NoticeVersion, Offering, OfferingKind

    term = fields.pop("term", None) or create_program_term(school)
    offering = Offering(school_id=school.id, kind=OfferingKind.AFTER_SCHOOL, term_id=term.id,
                        title=f"课后服务{_next()}",
                        starts_on=term.starts_on, ends_on=term.ends_on, weekdays=[0, 1, 2, 3, 4],
                        starts_at=time(15, 30), ends_at=time(17, 40), apply_deadline=apply_deadline,
                        basic_fee_cents=20000, priority_groups=list(priority_groups), **fields)
    db.session.add(offering)
    db.session.flush()
    if not school_agreements(school):
        create_agreement(school)
    if published:
        offering.published_version = 1
        from app.programs.services import notice_content

        db.session.add(NoticeVersion(offering_id=offering.id, version=1, content=notice_content(offering)))
        db.session.flush()
    return offering


def create_activity(offering, *, capacity: int = 20, grades=tuple(range(1, 10)), activity: str = "sports", **fields):
    from app.programs.models import Activity

    item = Activity(offering_id=offering.id, school_id=offering.school_id, name=fields.pop("name", f"活动{_next()}"),
                    activity=activity, grades=list(grades), weekdays=[0, 2], starts_at=time(16, 0),
                    ends_at=time(17, 0), capacity=capacity, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def create_application(student: Student, offering, *, guardian: User | None = None, choices=(), status=None,
                       priority_groups=()):
    """An application signed by the child's guardian, with ranked activity choices."""
    from app.enrolment.models import ActivityChoice, Application, ApplicationStatus
    from app.models_base import utcnow
    from app.programs.models import AgreementText

    if guardian is None:
        guardian = next((link.guardian for link in student.guardian_links), None) or create_guardian(student)
    agreement = db.session.scalar(db.select(AgreementText).filter_by(school_id=offering.school_id)
                                  .order_by(AgreementText.version.desc()).limit(1))
    application = Application(school_id=offering.school_id, offering_id=offering.id, student_id=student.id,
                              guardian_id=guardian.id, status=status or ApplicationStatus.SUBMITTED,
                              notice_version=offering.published_version or 1, weekdays=[0, 1, 2, 3, 4],
                              pickup_people="妈妈", agreement_id=agreement.id, signed_at=utcnow(),
                              signed_by_id=guardian.id, priority_groups=list(priority_groups))
    for rank, activity in enumerate(choices, start=1):
        application.choices.append(ActivityChoice(activity_id=activity.id, rank=rank))
    db.session.add(application)
    db.session.flush()
    return application
