"""Staff accounts and profiles (teachers, retired teachers, volunteers). Services flush; the request commits."""

import logging
import secrets
import string
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from app.accounts.models import Role, User
from app.extensions import db
from app.schools.models import School
from app.staff.models import StaffProfile, StaffType
from scheduling.policy import ACTIVITIES, ACTIVITY_LABELS, NEW_LESSON, PROVIDER_TYPE, STAFF_TYPES, SUBJECT_TYPE_SUBJECTS

logger = logging.getLogger(__name__)

# Non-subject teaching subjects (002 (二)3: 体育, 艺术 = 音乐 + 美术, 综合实践活动, 劳动, 信息技术; 科学 in primary).
# The policy module lists only the subject-type ones; this is the one place for the others.
NON_SUBJECT_SUBJECTS = ("体育", "音乐", "美术", "科学", "信息技术", "劳动", "综合实践活动")
SUBJECTS = (*sorted(SUBJECT_TYPE_SUBJECTS), *NON_SUBJECT_SUBJECTS)

# What a school's own staff can lead: every activity except the one that is never allowed (001 §9).
SKILLS = tuple(activity for activity in ACTIVITIES if activity != NEW_LESSON)

# Staff a school keeps itself; provider staff belong to a provider and are managed by the county.
SCHOOL_STAFF_TYPES = tuple(kind for kind in STAFF_TYPES if kind != PROVIDER_TYPE)
STAFF_TYPE_LABELS = {
    "teacher": _l("Teacher"),
    "retired_teacher": _l("Retired teacher"),
    "volunteer": _l("Volunteer"),
    "provider": _l("Provider staff"),
}

GENERATED_PASSWORD_LENGTH = 10
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


@dataclass(frozen=True)
class Credential:
    """A new login and its generated password, shown to the administrator once."""

    name: str
    mobile: str
    password: str


def skill_label(skill: str) -> str:
    """An activity's name in the current language (policy labels are Chinese / English)."""
    chinese, english = ACTIVITY_LABELS.get(skill, (skill, skill))
    return chinese if str(get_locale()).startswith("zh") else english


def skill_choices() -> list[SelectChoice]:
    """Form choices for every skill a school's staff may hold."""
    return [SelectChoice(skill, skill_label(skill)) for skill in SKILLS]


def generate_password() -> str:
    """A random initial password without look-alike characters, shown to the administrator once."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))


def mobile_taken(mobile: str, *, except_user_id: int | None = None) -> bool:
    """Whether any account already logs in with this mobile number."""
    statement = db.select(User.id).filter_by(mobile=mobile)
    if except_user_id is not None:
        statement = statement.where(User.id != except_user_id)
    return db.session.scalar(statement) is not None


def staff_of(school: School) -> list[User]:
    """The school's staff accounts (with a profile), active first, by name."""
    return list(db.session.scalars(
        db.select(User).join(StaffProfile, StaffProfile.user_id == User.id)
        .where(User.school_id == school.id, User.role == Role.TEACHER)
        .order_by(User.is_active_account.desc(), User.name)
    ))


def create_staff(school: School, *, name: str, mobile: str, staff_type: str, password: str,
                 subjects: list[str], skills: list[str], max_weekly_minutes: int | None = None,
                 max_days: int | None = None) -> User:
    """Create a staff account (role teacher) with its profile; they opt in themselves later."""
    user = User(name=name, mobile=mobile, role=Role.TEACHER, school=school)
    user.set_password(password)
    user.staff_profile = StaffProfile(
        school_id=school.id, staff_type=StaffType(staff_type), subjects=list(subjects), skills=list(skills),
        opted_in=False, max_weekly_minutes=max_weekly_minutes if staff_type != "teacher" else None,
        max_days=max_days if staff_type != "teacher" else None,
    )
    db.session.add(user)
    db.session.flush()
    logger.info("school %s created staff account %s", school.id, user.id)
    return user


def update_staff(user: User, *, name: str, mobile: str, staff_type: str, subjects: list[str], skills: list[str],
                 max_weekly_minutes: int | None, max_days: int | None) -> None:
    """Change a staff member's account and profile (not their opt-in: that is theirs to choose)."""
    profile = user.staff_profile
    if user.mobile != mobile:
        user.rotate_session_token()  # the login changed: sessions under the old one end
    user.name = name
    user.mobile = mobile
    profile.staff_type = StaffType(staff_type)
    profile.subjects = list(subjects)
    profile.skills = list(skills)
    # In-service teachers follow the policy caps; others state their own.
    profile.max_weekly_minutes = max_weekly_minutes if staff_type != "teacher" else None
    profile.max_days = max_days if staff_type != "teacher" else None
    db.session.flush()


def set_exempt(profile: StaffProfile, exempt: bool, reason: str) -> None:
    """Excuse a staff member from after-school duty (with a reason), or lift it; exempt staff are not opted in."""
    profile.exempt = exempt
    profile.exempt_reason = reason if exempt else ""
    if exempt:
        profile.opted_in = False
    db.session.flush()


def deactivate(user: User) -> None:
    """Close a staff account: it can no longer log in, its sessions end, and it leads no class."""
    user.is_active_account = False
    user.rotate_session_token()
    for school_class in list(user.classes_led):
        school_class.class_teacher = None
    if user.staff_profile is not None:
        user.staff_profile.opted_in = False
    db.session.flush()
    logger.info("staff account %s deactivated", user.id)


def update_participation(profile: StaffProfile, *, opted_in: bool, skills: list[str],
                         max_weekly_minutes: int | None = None, max_days: int | None = None) -> None:
    """A staff member's own choice: take part or not, what they can lead, and (if not in service) how much."""
    profile.opted_in = opted_in and not profile.exempt
    profile.skills = list(skills)
    if profile.staff_type is not StaffType.TEACHER:
        profile.max_weekly_minutes = max_weekly_minutes
        profile.max_days = max_days
    db.session.flush()
