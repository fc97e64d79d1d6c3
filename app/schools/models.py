"""County, school, calendar, grade, class and student."""

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow
from scheduling import policy


class SchoolType(enum.Enum):
    PRIMARY = "primary"
    JUNIOR = "junior"
    NINE_YEAR = "nine_year"


class HolidayKind(enum.Enum):
    WINTER = "winter"
    SUMMER = "summer"
    PUBLIC = "public"


class County(db.Model):
    """A county (区县) whose education bureau runs one deployment for its schools."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    # Where the public takes a complaint the schools did not settle (the county's transparency page, the whitelist)
    complaint_phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    complaint_email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    complaint_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    complaint_contacts_updated_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    schools: Mapped[list["School"]] = relationship(back_populates="county", order_by="School.name")

    def __repr__(self) -> str:
        return f"<County {self.code} {self.name}>"


class School(db.Model):
    """A primary, junior-high or nine-year school of a county."""

    __table_args__ = (UniqueConstraint("county_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    school_type: Mapped[SchoolType] = mapped_column(enum_column(SchoolType))
    address: Mapped[str] = mapped_column(String(200), default="")
    # Local end of work by season (003 篇4); the after-school block ends no earlier. Defaults: the policy module.
    work_end_winter: Mapped[time] = mapped_column(Time, default=lambda: time.fromisoformat(policy.WORK_END_WINTER))
    work_end_summer: Mapped[time] = mapped_column(Time, default=lambda: time.fromisoformat(policy.WORK_END_SUMMER))
    # Summer timetable runs from this month/day up to the winter start (both inclusive of the start day).
    summer_starts: Mapped[str] = mapped_column(String(5), default=policy.SUMMER_TIMETABLE_STARTS)
    winter_starts: Mapped[str] = mapped_column(String(5), default=policy.WINTER_TIMETABLE_STARTS)
    # Where families take a complaint about the service (the notice, the county's transparency page)
    complaint_phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    complaint_email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    complaint_contacts_updated_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    county: Mapped[County] = relationship(back_populates="schools")
    grades: Mapped[list["Grade"]] = relationship(
        back_populates="school", order_by="Grade.number", cascade="all, delete-orphan"
    )
    terms: Mapped[list["Term"]] = relationship(
        back_populates="school", order_by="Term.starts_on", cascade="all, delete-orphan"
    )
    holidays: Mapped[list["Holiday"]] = relationship(
        back_populates="school", order_by="Holiday.starts_on", cascade="all, delete-orphan"
    )

    def work_end_on(self, day: date) -> time:
        """Local end of work on a date, by the school's seasonal timetable (policy.work_end_on)."""
        return policy.work_end_on(day, winter=self.work_end_winter, summer=self.work_end_summer,
                                  summer_starts=self.summer_starts, winter_starts=self.winter_starts)

    def work_end_over(self, days) -> time:
        """The end of work a service running on all these days must reach: the latest of their ends of work.

        One reading for the offering form, the week plan and the engine's problem (whose work_end is one time)."""
        return max(self.work_end_on(day) for day in days)

    def __repr__(self) -> str:
        return f"<School {self.code} {self.name}>"


class Term(db.Model):
    """A school term (学期) with its first and last teaching day."""

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="term_dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    school: Mapped[School] = relationship(back_populates="terms")

    def __repr__(self) -> str:
        return f"<Term {self.name} {self.starts_on}..{self.ends_on}>"


class Holiday(db.Model):
    """A winter or summer vacation, or a public holiday, of a school's calendar."""

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="holiday_dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[HolidayKind] = mapped_column(enum_column(HolidayKind))
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    school: Mapped[School] = relationship(back_populates="holidays")

    def __repr__(self) -> str:
        return f"<Holiday {self.kind.value} {self.starts_on}..{self.ends_on}>"


class Grade(db.Model):
    """A grade (年级) of a school: 1–6 primary, 7–9 junior high."""

    __table_args__ = (
        UniqueConstraint("school_id", "number"),
        CheckConstraint("number BETWEEN 1 AND 9", name="grade_number_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    number: Mapped[int]

    school: Mapped[School] = relationship(back_populates="grades")
    classes: Mapped[list["SchoolClass"]] = relationship(
        back_populates="grade", order_by="SchoolClass.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Grade {self.number}>"


class SchoolClass(db.Model):
    """A class (班级) of a grade, with its class teacher (班主任)."""

    __tablename__ = "school_class"
    __table_args__ = (
        UniqueConstraint("grade_id", "number"),
        CheckConstraint("number >= 1", name="class_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id"), index=True)
    number: Mapped[int]
    class_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)

    school: Mapped[School] = relationship()
    grade: Mapped[Grade] = relationship(back_populates="classes")
    class_teacher: Mapped["User | None"] = relationship(back_populates="classes_led")  # noqa: F821
    students: Mapped[list["Student"]] = relationship(back_populates="school_class", order_by="Student.student_number")

    def __repr__(self) -> str:
        return f"<SchoolClass {self.grade.number}-{self.number}>"


class Student(db.Model):
    """A pupil: the least personal data the service needs (number, name, class)."""

    __table_args__ = (UniqueConstraint("school_id", "student_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    student_number: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    # The guardians' mobile numbers as the school has them (student import, student form), space separated. A
    # guardian whose proven mobile is one of them is confirmed at once on binding the child.
    guardian_mobiles: Mapped[str] = mapped_column(String(60), default="", server_default="")

    school: Mapped[School] = relationship()
    school_class: Mapped[SchoolClass] = relationship(back_populates="students")
    guardian_links: Mapped[list["GuardianLink"]] = relationship(  # noqa: F821
        back_populates="student", cascade="all, delete-orphan"
    )
    binding_codes: Mapped[list["BindingCode"]] = relationship(
        back_populates="student", cascade="all, delete-orphan"
    )

    @property
    def guardian_mobile_list(self) -> list[str]:
        return self.guardian_mobiles.split()

    def __repr__(self) -> str:
        return f"<Student {self.student_number}>"


class BindingCode(db.Model):
    """A code the school hands a family to bind one child at once: only its keyed hash is kept, it serves once and
    expires; a newer code for the child ends the earlier ones."""

    __tablename__ = "binding_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(TimestampColumn())
    used_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    student: Mapped[Student] = relationship(back_populates="binding_codes")

    def __repr__(self) -> str:
        return f"<BindingCode student={self.student_id}>"


def class_label(school_class: SchoolClass) -> str:
    """The class's name as people say it, in the current language: 三年级2班 / Grade 3 Class 2."""
    from flask_babel import gettext

    return gettext("Grade %(grade)s Class %(number)s", grade=school_class.grade.number, number=school_class.number)
