"""Staff accounts and profiles (teachers, retired teachers, volunteers). Services flush; the request commits."""

import logging
import secrets
import string
from dataclasses import dataclass
from datetime import date, time

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from app.accounts.models import Role, User
from app.extensions import db
from app.forms_common import in_locale
from app.importing import MAX_ROWS, DryRun, ImportFileError, Problem, read_table
from app.schools.models import School
from app.staff.models import StaffProfile, StaffType, StaffUnavailability, TeachingMinutes
from scheduling.policy import (
    ACTIVITIES,
    ACTIVITY_LABELS,
    NEW_LESSON,
    NON_SUBJECT_SUBJECTS,
    PROVIDER_TYPE,
    SCHOOL_DAY_WEEKDAYS,
    STAFF_TYPES,
    SUBJECT_TYPE_SUBJECTS,
    TEACHER_MAX_DAILY_MINUTES,
    WEEKDAY_LABELS,
)

logger = logging.getLogger(__name__)

# The subjects a teacher may teach: the policy's list (002 (二)3), subject-type ones first.
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
    return in_locale(ACTIVITY_LABELS.get(skill, (skill, skill)))


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
    user.set_password(password, by_administrator=True)
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


# --- Availability: unavailable windows and teaching minutes (issue 6) ---

# Teaching minutes are kept for school days only (the timetable is Monday–Friday).
TEACHING_WEEKDAYS = tuple(sorted(SCHOOL_DAY_WEEKDAYS))


def weekday_label(weekday: int) -> str:
    """A weekday's name (0 = Monday) in the current language."""
    return in_locale(WEEKDAY_LABELS[weekday])


def window_exists(profile: StaffProfile, *, weekday: int | None, on_date: date | None, starts_at: time,
                  ends_at: time) -> bool:
    """Whether the profile already has exactly this window."""
    return any(w.weekday == weekday and w.on_date == on_date and w.starts_at == starts_at and w.ends_at == ends_at
               for w in profile.unavailability)


def add_window(profile: StaffProfile, *, starts_at: time, ends_at: time, weekday: int | None = None,
               on_date: date | None = None, reason: str = "") -> StaffUnavailability:
    """Add a regular (weekday) or one-off (date) time the person cannot serve."""
    window = StaffUnavailability(weekday=weekday, on_date=on_date, starts_at=starts_at, ends_at=ends_at,
                                 reason=reason)
    profile.unavailability.append(window)
    db.session.flush()
    return window


def remove_window(profile: StaffProfile, window_id: int | None) -> bool:
    """Remove one of the profile's own windows; False when it is not theirs or already gone."""
    window = next((w for w in profile.unavailability if w.id == window_id), None)
    if window is None:
        return False
    profile.unavailability.remove(window)
    db.session.flush()
    return True


def windows_by_kind(profile: StaffProfile, today: date) -> tuple[list, list]:
    """(regular windows by weekday and time, one-off windows from today on by date and time)."""
    regular = sorted((w for w in profile.unavailability if w.weekday is not None),
                     key=lambda w: (w.weekday, w.starts_at))
    one_off = sorted((w for w in profile.unavailability if w.on_date is not None and w.on_date >= today),
                     key=lambda w: (w.on_date, w.starts_at))
    return regular, one_off


def teaching_minutes_of(profile: StaffProfile) -> dict[int, int]:
    """{weekday: minutes} as stored (weekdays without a row teach nothing counted)."""
    return {row.weekday: row.minutes for row in profile.teaching_minutes}


def set_teaching_minutes(profile: StaffProfile, minutes: dict[int, int | None]) -> None:
    """Set the minutes taught per weekday; None or 0 removes the weekday's row."""
    rows = {row.weekday: row for row in profile.teaching_minutes}
    for weekday, value in minutes.items():
        row = rows.get(weekday)
        if not value:
            if row is not None:
                profile.teaching_minutes.remove(row)
        elif row is None:
            profile.teaching_minutes.append(TeachingMinutes(weekday=weekday, minutes=value))
        else:
            row.minutes = value
    db.session.flush()


# --- Importing teaching minutes from the timetable (CSV / XLSX, dry run then confirm) ---
# Reuses app.importing for reading, decoding, the problem list and the pending rows between the steps.

TEACHING_IMPORT_KIND = "teaching_minutes"
MOBILE_HEADERS = ("手机号", "手机", "mobile")
WEEKDAY_HEADERS = ("星期", "weekday")
MINUTES_HEADERS = ("分钟", "课时分钟", "minutes")


def _weekday_codes() -> dict[str, int]:
    codes = {}
    for number, (chinese, english) in enumerate(WEEKDAY_LABELS):
        for name in (chinese, chinese.replace("周", "星期"), english, english[:3], str(number + 1)):
            codes[name.lower()] = number
    codes["周日"] = codes["星期日"] = codes["星期天"] = 6
    return codes


def parse_teaching_minutes(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(row number, {mobile, weekday, minutes, column}) for every filled cell, from a file in either layout:
    wide (手机号, 周一 … 周五: minutes in each weekday column) or long (手机号, 星期, 分钟)."""
    table = read_table(filename, data)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise ImportFileError(_l("The file is empty."))
    header = [cell.strip().lower() for cell in table[0]]
    mobile_col = next((i for i, cell in enumerate(header) if cell in MOBILE_HEADERS), None)
    weekday_col = next((i for i, cell in enumerate(header) if cell in WEEKDAY_HEADERS), None)
    minutes_col = next((i for i, cell in enumerate(header) if cell in MINUTES_HEADERS), None)
    codes = _weekday_codes()
    weekday_cols = {i: cell for i, cell in enumerate(table[0]) if cell.strip().lower() in codes
                    and not cell.strip().isdigit()}
    long_layout = weekday_col is not None and minutes_col is not None
    if mobile_col is None or not (long_layout or weekday_cols):
        raise ImportFileError(_l("The first row must name the columns: 手机号 (mobile) and 周一 … 周五, or 手机号, "
                                 "星期 (weekday) and 分钟 (minutes)."))
    entries: list[tuple[int, dict]] = []
    for number, row in enumerate(table[1:], start=2):
        if not any(row):
            continue

        def cell(index: int, row=row) -> str:
            return row[index] if index < len(row) else ""

        mobile = cell(mobile_col)
        if long_layout:
            entries.append((number, {"mobile": mobile, "weekday": cell(weekday_col), "minutes": cell(minutes_col),
                                     "column": table[0][minutes_col], "weekday_column": table[0][weekday_col]}))
            continue
        filled = [(index, name) for index, name in weekday_cols.items() if cell(index)]
        if not filled:
            entries.append((number, {"mobile": mobile, "weekday": "", "minutes": "", "column": table[0][mobile_col],
                                     "weekday_column": "周一 … 周五"}))
        for index, name in filled:
            entries.append((number, {"mobile": mobile, "weekday": name, "minutes": cell(index), "column": name,
                                     "weekday_column": name}))
    if not entries:
        raise ImportFileError(_l("The file has column names but no rows to import."))
    if len(entries) > MAX_ROWS:
        raise ImportFileError(_l("At most %(count)d rows at a time; please split the file.", count=MAX_ROWS))
    return entries


def check_teaching_minutes(school: School, entries: list[tuple[int, dict]]):
    """Check every entry against the school's staff: known mobile, a school weekday, whole minutes within the
    daily limit, each person and weekday once. Returns an importing.DryRun; writes nothing."""
    staff = {user.mobile: user for user in staff_of(school) if user.is_active_account}
    codes = _weekday_codes()
    problems: list[Problem] = []
    clean: list[dict] = []
    seen: dict[tuple[str, int], int] = {}
    for number, entry in entries:
        row_problems = []
        mobile = entry["mobile"]
        user = staff.get(mobile)
        if not mobile:
            row_problems.append(Problem(number, "mobile", str(_l("Missing value."))))
        elif user is None:
            row_problems.append(Problem(number, "mobile", str(_l("No active staff member of this school has this "
                                                                 "mobile number."))))
        weekday = codes.get(entry["weekday"].strip().lower()) if entry["weekday"] else None
        if weekday is None or weekday not in TEACHING_WEEKDAYS:
            row_problems.append(Problem(number, entry["weekday_column"], str(
                _l("Not a school day (use 周一 … 周五).") if entry["weekday"] else _l("Missing value."))))
        text = entry["minutes"].strip()
        minutes = int(text) if text.isdigit() else None
        if entry["weekday"] and (minutes is None or minutes > TEACHER_MAX_DAILY_MINUTES):
            row_problems.append(Problem(number, entry["column"], str(_l(
                "Minutes must be a whole number from 0 to %(max)d.", max=TEACHER_MAX_DAILY_MINUTES))))
        if user is not None and weekday is not None:
            key = (mobile, weekday)
            if key in seen:
                row_problems.append(Problem(number, entry["column"], str(
                    _l("Duplicate in the file (also in row %(row)d).", row=seen[key]))))
            seen.setdefault(key, number)
        if row_problems:
            problems.extend(row_problems)
        else:
            clean.append({"row": number, "user_id": user.id, "name": user.name, "mobile": mobile,
                          "weekday": weekday, "minutes": minutes})
    return DryRun(TEACHING_IMPORT_KIND, clean, problems)


def write_teaching_minutes(school: School, rows: list[dict]) -> int:
    """Write checked rows (flushes only); returns how many people's timetables changed."""
    users = {user.id: user for user in staff_of(school)}
    by_user: dict[int, dict[int, int]] = {}
    for row in rows:
        by_user.setdefault(row["user_id"], {})[row["weekday"]] = row["minutes"]
    for user_id, minutes in by_user.items():
        set_teaching_minutes(users[user_id].staff_profile, minutes)
    logger.info("school %s imported teaching minutes for %d staff", school.id, len(by_user))
    return len(by_user)


def teaching_minutes_template_csv() -> bytes:
    """A CSV template in the wide layout, UTF-8 with BOM so that Excel shows the Chinese names."""
    header = [MOBILE_HEADERS[0], *(WEEKDAY_LABELS[d][0] for d in TEACHING_WEEKDAYS)]
    return ("\ufeff" + ",".join(header) + "\r\n").encode("utf-8")
