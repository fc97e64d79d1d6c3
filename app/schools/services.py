"""School work: classes, students, calendar, guardian links and county figures. Services flush; the request commits."""

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, or_

from app.accounts.models import GuardianLink, Relationship, Role, User
from app.extensions import db
from app.models_base import utcnow
from app.schools.models import (
    BindingCode,
    County,
    Grade,
    Holiday,
    HolidayKind,
    School,
    SchoolClass,
    SchoolType,
    Student,
    Term,
)
from app.staff.models import StaffProfile
from scheduling.policy import ALL_GRADES, JUNIOR_GRADES, PRIMARY_GRADES

logger = logging.getLogger(__name__)

STUDENTS_PER_PAGE = 50

GRADES_BY_SCHOOL_TYPE = {
    SchoolType.PRIMARY: PRIMARY_GRADES,
    SchoolType.JUNIOR: JUNIOR_GRADES,
    SchoolType.NINE_YEAR: ALL_GRADES,
}


def grades_for(school: School) -> range:
    """The grade numbers a school of this type teaches (policy ranges)."""
    return GRADES_BY_SCHOOL_TYPE[school.school_type]


# --- Classes ---


def classes_of(school: School) -> list[SchoolClass]:
    """The school's classes in grade, then class order."""
    return list(db.session.scalars(
        db.select(SchoolClass).join(Grade).where(SchoolClass.school_id == school.id)
        .order_by(Grade.number, SchoolClass.number)
    ))


def student_counts(school: School) -> dict[int, int]:
    """Students per class id."""
    rows = db.session.execute(
        db.select(Student.class_id, func.count(Student.id)).where(Student.school_id == school.id)
        .group_by(Student.class_id)
    )
    return dict(rows.all())


def teachers_of(school: School) -> list[User]:
    """Active teacher accounts of the school, by name."""
    return list(db.session.scalars(
        db.select(User).where(User.school_id == school.id, User.role == Role.TEACHER, User.is_active_account)
        .order_by(User.name)
    ))


def find_class(school: School, grade_number: int, class_number: int) -> SchoolClass | None:
    """The class 'grade N class M' of the school, if it exists."""
    return db.session.scalar(
        db.select(SchoolClass).join(Grade)
        .where(SchoolClass.school_id == school.id, Grade.number == grade_number, SchoolClass.number == class_number)
    )


def add_class(school: School, grade_number: int, class_number: int) -> SchoolClass:
    """Create a class, and its grade when it is the grade's first class."""
    grade = db.session.scalar(db.select(Grade).filter_by(school_id=school.id, number=grade_number))
    if grade is None:
        grade = Grade(school=school, number=grade_number)
        db.session.add(grade)
    school_class = SchoolClass(school=school, grade=grade, number=class_number)
    db.session.add(school_class)
    db.session.flush()
    logger.info("school %s added class %s-%s", school.id, grade_number, class_number)
    return school_class


def set_class_teacher(school_class: SchoolClass, teacher: User | None) -> None:
    """Give the class a class teacher, or none."""
    school_class.class_teacher = teacher
    db.session.flush()


# --- Students ---


def search_students(school: School, *, class_id: int | None, query: str, page: int):
    """One page of the school's students, filtered by class and by a piece of name or number."""
    statement = (
        db.select(Student).join(SchoolClass).join(Grade).where(Student.school_id == school.id)
        .order_by(Grade.number, SchoolClass.number, Student.student_number)
    )
    if class_id:
        statement = statement.where(Student.class_id == class_id)
    if query:
        statement = statement.where(or_(Student.name.contains(query, autoescape=True),
                                        Student.student_number.contains(query, autoescape=True)))
    return db.paginate(statement, page=page, per_page=STUDENTS_PER_PAGE, error_out=False)


def student_number_taken(school: School, student_number: str, *, except_id: int | None = None) -> bool:
    """Whether another student of the school already has this number."""
    statement = db.select(Student.id).filter_by(school_id=school.id, student_number=student_number)
    if except_id is not None:
        statement = statement.where(Student.id != except_id)
    return db.session.scalar(statement) is not None


GUARDIAN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_GUARDIAN_MOBILES = 4
_MOBILE_SEPARATORS = re.compile(r"[\s,;/，；、]+")


def split_guardian_mobiles(text: str) -> tuple[list[str], list[str]]:
    """(the numbers, the pieces that are not mobile numbers) of what a school wrote: 11-digit mobiles separated by
    spaces, commas, semicolons, slashes or 、 (a spreadsheet cell or the student form); repeats are kept once."""
    numbers: list[str] = []
    bad: list[str] = []
    for piece in _MOBILE_SEPARATORS.split(text or ""):
        piece = piece.strip().removeprefix("+86").replace("-", "")
        if not piece:
            continue
        if not GUARDIAN_MOBILE.match(piece):
            bad.append(piece)
        elif piece not in numbers:
            numbers.append(piece)
    return numbers, bad


def add_student(school_class: SchoolClass, student_number: str, name: str,
                guardian_mobiles: list[str] | None = None) -> Student:
    """Enrol a student in a class, with the guardians' mobile numbers the school has."""
    student = Student(school_id=school_class.school_id, school_class=school_class,
                      student_number=student_number, name=name, guardian_mobiles=" ".join(guardian_mobiles or []))
    db.session.add(student)
    db.session.flush()
    return student


def update_student(student: Student, school_class: SchoolClass, student_number: str, name: str,
                   guardian_mobiles: list[str] | None = None) -> None:
    """Change a student's number, name, class or guardians' mobile numbers."""
    if guardian_mobiles is not None:
        student.guardian_mobiles = " ".join(guardian_mobiles)
    student.school_class = school_class
    student.student_number = student_number
    student.name = name
    db.session.flush()


def delete_student(student: Student) -> None:
    """Remove a student and their guardian links."""
    logger.info("school %s deleted student %s", student.school_id, student.id)
    db.session.delete(student)
    db.session.flush()


# --- Settings and calendar ---


def update_settings(school: School, *, name: str, address: str, work_end_winter: time, work_end_summer: time,
                    summer_starts: str, winter_starts: str) -> None:
    """Save the school's name, address and seasonal end-of-work times."""
    school.name = name
    school.address = address
    school.work_end_winter = work_end_winter
    school.work_end_summer = work_end_summer
    school.summer_starts = summer_starts
    school.winter_starts = winter_starts
    db.session.flush()


def overlapping_term(school: School, starts_on: date, ends_on: date, *, except_id: int | None = None) -> Term | None:
    """A term of the school whose dates overlap these, if any."""
    statement = db.select(Term).where(Term.school_id == school.id, Term.starts_on <= ends_on, Term.ends_on >= starts_on)
    if except_id is not None:
        statement = statement.where(Term.id != except_id)
    return db.session.scalars(statement).first()


def save_term(school: School, term: Term | None, *, name: str, starts_on: date, ends_on: date) -> Term:
    """Create a term, or change one."""
    if term is None:
        term = Term(school=school)
        db.session.add(term)
    term.name, term.starts_on, term.ends_on = name, starts_on, ends_on
    db.session.flush()
    return term


def save_holiday(school: School, holiday: Holiday | None, *, kind: HolidayKind, name: str, starts_on: date,
                 ends_on: date) -> Holiday:
    """Create a holiday, or change one."""
    if holiday is None:
        holiday = Holiday(school=school)
        db.session.add(holiday)
    holiday.kind, holiday.name, holiday.starts_on, holiday.ends_on = kind, name, starts_on, ends_on
    db.session.flush()
    return holiday


def delete_calendar_entry(entry: Term | Holiday) -> None:
    """Remove a term or a holiday."""
    db.session.delete(entry)
    db.session.flush()


# --- Guardians and class teachers ---


def find_student_for_binding(school_id: int, student_number: str, name: str) -> Student | None:
    """The student with both this number and this name at the school (both must match; the number's letters in
    either case, as phone keyboards capitalise them, the exact spelling first)."""
    number = student_number.strip()
    return db.session.scalar(
        db.select(Student).filter(Student.school_id == school_id, Student.name == name.strip(),
                                  db.func.upper(Student.student_number) == number.upper())
        .order_by((Student.student_number == number).desc(), Student.id).limit(1)
    )


def mobile_on_record(guardian: User, student: Student) -> bool:
    """The guardian's mobile is one the school recorded for the child. A guardian's mobile is proven: an account
    comes to be only through the SMS code sent to it (registration), and a new number only through its code."""
    return guardian.mobile in student.guardian_mobile_list


# --- Binding codes ---

BINDING_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper and typed on a phone
BINDING_CODE_LENGTH = 8
BINDING_CODE_LIFETIME = timedelta(days=30)


def _binding_code_digest(code: str) -> str:
    from flask import current_app

    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"binding:{normalise_binding_code(code)}".encode(), hashlib.sha256).hexdigest()


def normalise_binding_code(code: str) -> str:
    """What the family typed, as the code was made: capitals, no spaces or dashes."""
    return re.sub(r"[\s\-]", "", code or "").upper()


def issue_binding_code(student: Student, by: User) -> tuple[str, BindingCode]:
    """A new code for the child (shown once as ABCD-EFGH; only its keyed hash is kept); earlier open codes end."""
    now = utcnow()
    for earlier in student.binding_codes:
        if earlier.used_at is None:
            earlier.used_at = now
    code = "".join(secrets.choice(BINDING_CODE_ALPHABET) for _ in range(BINDING_CODE_LENGTH))
    record = BindingCode(student=student, code_hash=_binding_code_digest(code), created_by_id=by.id,
                         created_at=now, expires_at=now + BINDING_CODE_LIFETIME)
    db.session.add(record)
    db.session.flush()
    logger.info("user %s made a binding code for student %s", by.id, student.id)
    return f"{code[:4]}-{code[4:]}", record


def open_binding_code(student: Student, code: str) -> BindingCode | None:
    """The child's unused, unexpired code that this is, if any."""
    if not normalise_binding_code(code):
        return None
    return db.session.scalar(db.select(BindingCode).filter(
        BindingCode.student_id == student.id, BindingCode.code_hash == _binding_code_digest(code),
        BindingCode.used_at.is_(None), BindingCode.expires_at > utcnow()))


def bind_child(guardian: User, student: Student, relationship_kind: Relationship,
               code: BindingCode | None = None) -> GuardianLink:
    """Link a guardian to a child: confirmed at once with the school's binding code (used up) or when the guardian's
    (proven) mobile is one the school recorded for the child, else waiting for the class teacher. The child's
    confirmed guardians hear of the request."""
    if code is not None:
        code.used_at = utcnow()
        code.used_by_id = guardian.id
    confirmed = code is not None or mobile_on_record(guardian, student)
    others = [other.guardian for other in student.guardian_links if other.verified and other.guardian_id != guardian.id]
    link = GuardianLink(guardian=guardian, student=student, relationship_kind=relationship_kind, verified=confirmed,
                        verified_at=utcnow() if confirmed else None)
    db.session.add(link)
    db.session.flush()
    for other in others:
        _tell_of_binding(other, guardian, student, confirmed, by_code=code is not None)
    logger.info("guardian %s asked to bind student %s (confirmed by mobile: %s)", guardian.id, student.id, confirmed)
    return link


def _tell_of_binding(reader: User, guardian: User, student: Student, confirmed: bool, by_code: bool) -> None:
    """Tell a confirmed guardian, in their language, that someone else asked to bind their child."""
    from flask import current_app
    from flask_babel import force_locale, gettext

    from app.accounts.verification import mask
    from app.notifications.services import notify

    with force_locale(reader.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = gettext("%(guardian)s asked to be a guardian of %(child)s", guardian=guardian.name,
                          child=student.name)
        if by_code:
            body = gettext("They entered the binding code the school made for %(child)s (mobile %(mobile)s), so the "
                           "link is confirmed. If you do not know this person, tell the class teacher.",
                           mobile=mask(guardian.mobile), child=student.name)
        elif confirmed:
            body = gettext("Their mobile %(mobile)s is one the school has for %(child)s, so the link is confirmed. "
                           "If you do not know this person, tell the class teacher.",
                           mobile=mask(guardian.mobile), child=student.name)
        else:
            body = gettext("Mobile %(mobile)s. The class teacher decides. If you do not know this person, tell the "
                           "class teacher.", mobile=mask(guardian.mobile))
    notify(reader, subject, body)


def unbind_child(link: GuardianLink) -> None:
    """Remove a guardian's link to a child."""
    db.session.delete(link)
    db.session.flush()


def verify_link(link: GuardianLink, by: User) -> None:
    """The class teacher confirms that this guardian belongs to the child."""
    link.verified = True
    link.verified_by = by
    link.verified_at = utcnow()
    db.session.flush()


def reject_link(link: GuardianLink, by: User) -> None:
    """The class teacher refuses a link: it is removed, and the guardian may ask again."""
    logger.info("class teacher %s rejected guardian link %s", by.id, link.id)
    db.session.delete(link)
    db.session.flush()


def links_of_classes(classes: list[SchoolClass]) -> dict[int, list[GuardianLink]]:
    """Guardian links per student id, for the students of these classes."""
    links = db.session.scalars(
        db.select(GuardianLink).join(Student).where(Student.class_id.in_([c.id for c in classes]))
        .order_by(GuardianLink.created_at)
    )
    by_student: dict[int, list[GuardianLink]] = {}
    for link in links:
        by_student.setdefault(link.student_id, []).append(link)
    return by_student


# --- County figures ---


@dataclass(frozen=True)
class SchoolFigures:
    """What a county officer sees of one school."""

    school: School
    classes: int
    students: int
    teachers: int
    opted_in: int  # staff taking part in the service (opted in, not exempt): not families' applications
    applications: int  # families' applications to offerings not yet over, withdrawn ones left out


def _count_by_school(column, *conditions) -> dict[int, int]:
    rows = db.session.execute(db.select(column, func.count()).where(*conditions).group_by(column))
    return dict(rows.all())


def school_figures(schools: list[School], today: date | None = None) -> list[SchoolFigures]:
    """Classes, students, staff, staff taking part, and families' applications of each school."""
    from app.enrolment.models import Application, ApplicationStatus
    from app.models_base import local_today
    from app.programs.models import Offering

    ids = [school.id for school in schools]
    today = today or local_today()
    classes = _count_by_school(SchoolClass.school_id, SchoolClass.school_id.in_(ids))
    students = _count_by_school(Student.school_id, Student.school_id.in_(ids))
    active_staff = (StaffProfile.school_id.in_(ids), StaffProfile.user_id == User.id, User.is_active_account)
    teachers = _count_by_school(StaffProfile.school_id, *active_staff)
    opted_in = _count_by_school(StaffProfile.school_id, *active_staff, StaffProfile.opted_in,
                                StaffProfile.exempt.is_(False))
    applications = _count_by_school(Application.school_id, Application.school_id.in_(ids),
                                    Application.status != ApplicationStatus.WITHDRAWN,
                                    Application.offering_id == Offering.id, Offering.ends_on >= today)
    return [SchoolFigures(school, classes.get(school.id, 0), students.get(school.id, 0), teachers.get(school.id, 0),
                          opted_in.get(school.id, 0), applications.get(school.id, 0)) for school in schools]


def schools_for_binding() -> list[School]:
    """Every school a guardian may choose, by county and name."""
    return list(db.session.scalars(db.select(School).join(County).order_by(County.name, School.name)))
