"""User accounts, roles and the guardian-to-student link."""

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts import passwords
from app.extensions import db
from app.models_base import TimestampColumn, enum_column, local_today, utcnow


class Role(enum.Enum):
    """What an account may do. A class teacher is a teacher who leads a class."""

    GUARDIAN = "guardian"
    TEACHER = "teacher"
    SCHOOL_ADMIN = "school_admin"
    PROVIDER_STAFF = "provider_staff"
    COUNTY_OFFICER = "county_officer"
    FINANCE = "finance"  # a school's finance officer: fees, payments and hardship waivers, nothing else


class AdminTitle(enum.Enum):
    PRINCIPAL = "principal"
    COORDINATOR = "coordinator"


class Relationship(enum.Enum):
    FATHER = "father"
    MOTHER = "mother"
    GRANDPARENT = "grandparent"
    OTHER = "other"


def new_session_token() -> str:
    """A fresh random token; changing it ends every session of the account."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """An account. Guardians register themselves; schools create staff; the county creates officers."""

    __table_args__ = (
        CheckConstraint(
            "(role IN ('teacher', 'school_admin', 'finance') AND school_id IS NOT NULL)"
            " OR role NOT IN ('teacher', 'school_admin', 'finance')",
            name="school_staff_have_school",
        ),
        CheckConstraint(
            "(role = 'provider_staff' AND provider_id IS NOT NULL) OR role <> 'provider_staff'",
            name="provider_staff_have_provider",
        ),
        CheckConstraint(
            "(role = 'county_officer' AND county_id IS NOT NULL) OR role <> 'county_officer'",
            name="officers_have_county",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    admin_title: Mapped[AdminTitle | None] = mapped_column(enum_column(AdminTitle))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Set when an administrator chose the password (staff created by the school, the CLI): changed at first login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Part of the login cookie: rotating it on logout or password change ends copied sessions.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    school: Mapped["School | None"] = relationship()  # noqa: F821
    county: Mapped["County | None"] = relationship()  # noqa: F821
    provider: Mapped["Provider | None"] = relationship(back_populates="staff_users")  # noqa: F821
    classes_led: Mapped[list["SchoolClass"]] = relationship(back_populates="class_teacher")  # noqa: F821
    guardian_links: Mapped[list["GuardianLink"]] = relationship(
        back_populates="guardian", cascade="all, delete-orphan", foreign_keys="GuardianLink.guardian_id"
    )
    staff_profile: Mapped["StaffProfile | None"] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    # Flask-Login: the id carries the session token, so a rotated token logs the cookie out.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        """Flask-Login: the account is open and, for provider staff, the provider may work today."""
        if not self.is_active_account:
            return False
        if self.role is Role.PROVIDER_STAFF:
            return self.provider is not None and self.provider.is_vetted_on(local_today())
        return True

    def set_password(self, password: str, *, by_administrator: bool = False) -> None:
        """Hash the new password and end every existing session; one an administrator set must be changed."""
        self.password_hash = passwords.hash_password(password)
        self.must_change_password = by_administrator
        self.rotate_session_token()

    def check_password(self, password: str) -> bool:
        """Whether the password is right; an outdated hash is replaced by a current one (the session stays)."""
        if not passwords.verify_password(self.password_hash, password):
            return False
        if passwords.needs_rehash(self.password_hash):
            self.password_hash = passwords.hash_password(password)
        return True

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_class_teacher(self) -> bool:
        return self.role is Role.TEACHER and bool(self.classes_led)

    @property
    def is_principal(self) -> bool:
        """A school administrator titled principal (校长); a coordinator (教务) is not one."""
        return self.role is Role.SCHOOL_ADMIN and self.admin_title is AdminTitle.PRINCIPAL

    @property
    def effective_county_id(self) -> int | None:
        """The county whose data this account may see (its own, or its school's or provider's)."""
        if self.county_id is not None:
            return self.county_id
        if self.school is not None:
            return self.school.county_id
        if self.provider is not None:
            return self.provider.county_id
        return None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class CodePurpose(enum.Enum):
    """What a one-time code proves the number for."""

    REGISTER = "register"
    RESET_PASSWORD = "reset_password"
    CHANGE_MOBILE = "change_mobile"
    COMPLAINT = "complaint"  # someone without an account files or follows a complaint (app/complaints)


class OneTimeCode(db.Model):
    """A code sent by SMS to prove that someone holds a mobile number: only its keyed hash is kept, it lives a few
    minutes and dies after a few wrong tries (ONE_TIME_CODE_LIFETIME, ONE_TIME_CODE_TRIES).

    A registration keeps the name and the chosen password's hash here until the code is entered; a change of mobile
    keeps the account that moves.
    """

    __table_args__ = (CheckConstraint("tries >= 0", name="tries_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    purpose: Mapped[CodePurpose] = mapped_column(enum_column(CodePurpose))
    code_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(50))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    tries: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(TimestampColumn())
    used_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OneTimeCode {self.id} {self.purpose.value}>"


class GuardianLink(db.Model):
    """A guardian bound to a child; a class teacher or administrator verifies the link."""

    __table_args__ = (UniqueConstraint("guardian_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    relationship_kind: Mapped[Relationship] = mapped_column(enum_column(Relationship))
    verified: Mapped[bool] = mapped_column(default=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(TimestampColumn())
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)

    guardian: Mapped[User] = relationship(back_populates="guardian_links", foreign_keys=[guardian_id])
    student: Mapped["Student"] = relationship(back_populates="guardian_links")  # noqa: F821
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    def __repr__(self) -> str:
        return f"<GuardianLink {self.guardian_id}->{self.student_id}>"
