"""Importing students and staff from CSV or XLSX: check every row (dry run), then write the clean rows.

The file is read, the problems reported and the clean rows kept between the two steps by app.importing.
"""

import csv
import io
import logging
import re

from flask_babel import lazy_gettext as _l

from app.accounts.forms import MOBILE_PATTERN
from app.extensions import db
from app.importing import MAX_ROWS, DryRun, ImportFileError, Problem, read_table
from app.schools import services
from app.schools.models import School, Student
from app.staff import services as staff_services
from scheduling.policy import ACTIVITY_LABELS, subject_named

logger = logging.getLogger(__name__)

KINDS = ("students", "staff")
LIST_SEPARATORS = re.compile(r"[、;；]")

# Column keys, the headers people write for them (Chinese first: the templates use those), and their sizes.
COLUMNS = {
    "students": {"student_number": ("学号",), "name": ("姓名",), "grade": ("年级",), "class": ("班级",),
                 "guardian_mobiles": ("家长手机号", "家长手机", "监护人手机号")},
    "staff": {"name": ("姓名",), "mobile": ("手机号", "手机"), "type": ("类型",), "subjects": ("学科",),
              "skills": ("技能",)},
}
REQUIRED = {"students": ("student_number", "name", "grade", "class"), "staff": ("name", "mobile", "type")}
MAX_LENGTHS = {"student_number": 30, "name": 50}

CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _header_map(kind: str, header: list[str]) -> dict[str, int]:
    names = {}
    for key, chinese in COLUMNS[kind].items():
        for alias in (*chinese, key):
            names[alias.lower()] = key
    positions = {}
    for index, cell in enumerate(header):
        key = names.get(cell.strip().lower())
        if key and key not in positions:
            positions[key] = index
    missing = [key for key in REQUIRED[kind] if key not in positions]
    if missing:
        wanted = "、".join(f"{COLUMNS[kind][key][0]} ({key})" for key in missing)
        raise ImportFileError(_l("The first row must name the columns; missing: %(columns)s.", columns=wanted))
    return positions


def parse(kind: str, filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(row number, {column key: text}) for every non-blank data row."""
    table = read_table(filename, data)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise ImportFileError(_l("The file is empty."))
    positions = _header_map(kind, table[0])
    rows = []
    for number, row in enumerate(table[1:], start=2):
        if not any(row):
            continue
        rows.append((number, {key: (row[i] if i < len(row) else "") for key, i in positions.items()}))
    if not rows:
        raise ImportFileError(_l("The file has column names but no rows to import."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_l("At most %(count)d rows at a time; please split the file.", count=MAX_ROWS))
    return rows


# --- Checking rows ---


def _number(text: str, suffix: str) -> int | None:
    """3, "3", "三", "三年级", "3班" → 3; anything else → None."""
    text = text.strip().removesuffix(suffix).strip()
    if text.isdigit():
        return int(text)
    return CHINESE_NUMERALS.get(text)


def _common_checks(number: int, row: dict, kind: str) -> list[Problem]:
    problems = []
    for key in REQUIRED[kind]:
        if not row.get(key):
            problems.append(Problem(number, key, str(_l("Missing value."))))
    for key, limit in MAX_LENGTHS.items():
        if len(row.get(key, "")) > limit:
            problems.append(Problem(number, key, str(_l("Longer than %(max)d characters.", max=limit))))
    return problems


def check_students(school: School, rows: list[tuple[int, dict]]) -> DryRun:
    """Check student rows against the school: grades of its type, existing classes, numbers not yet taken."""
    problems: list[Problem] = []
    clean: list[dict] = []
    seen: dict[str, int] = {}
    existing = set(db.session.scalars(db.select(Student.student_number).filter_by(school_id=school.id)))
    grades = services.grades_for(school)
    classes = {(c.grade.number, c.number): c for c in services.classes_of(school)}
    for number, row in rows:
        row_problems = _common_checks(number, row, "students")
        student_number = row["student_number"]
        if student_number:
            if student_number in seen:
                row_problems.append(Problem(number, "student_number", str(
                    _l("Duplicate in the file (also in row %(row)d).", row=seen[student_number]))))
            else:
                seen[student_number] = number
            if student_number in existing:
                row_problems.append(Problem(number, "student_number", str(
                    _l("A student with this number already exists."))))
        grade = _number(row["grade"], "年级") if row["grade"] else None
        class_number = _number(row["class"], "班") if row["class"] else None
        if row["grade"] and grade not in grades:
            row_problems.append(Problem(number, "grade", str(_l(
                "Grade %(value)s is not taught at this school (grades %(first)d–%(last)d).",
                value=row["grade"], first=grades[0], last=grades[-1]))))
        elif row["class"] and grade is not None and (grade, class_number) not in classes:
            row_problems.append(Problem(number, "class", str(_l(
                "Unknown class %(value)s in grade %(grade)d: add the class first.", value=row["class"], grade=grade))))
        mobiles, bad = services.split_guardian_mobiles(row.get("guardian_mobiles", ""))
        if bad:
            row_problems.append(Problem(number, "guardian_mobiles", str(_l(
                "Not a mobile number (11 digits starting with 1): %(value)s", value=" ".join(bad)))))
        elif len(mobiles) > services.MAX_GUARDIAN_MOBILES:
            row_problems.append(Problem(number, "guardian_mobiles", str(_l(
                "At most %(count)d numbers.", count=services.MAX_GUARDIAN_MOBILES))))
        if row_problems:
            problems.extend(row_problems)
        else:
            clean.append({"row": number, "student_number": student_number, "name": row["name"],
                          "class_id": classes[(grade, class_number)].id, "guardian_mobiles": mobiles})
    return DryRun("students", clean, problems)


def _skill_codes() -> dict[str, str]:
    codes = {}
    for skill in staff_services.SKILLS:
        chinese, english = ACTIVITY_LABELS.get(skill, (skill, skill))
        for name in (skill, chinese, english):
            codes[name.lower()] = skill
    return codes


def _type_codes() -> dict[str, str]:
    chinese = {"teacher": "教师", "retired_teacher": "退休教师", "volunteer": "志愿者"}
    codes = {}
    for kind in staff_services.SCHOOL_STAFF_TYPES:
        codes[kind] = kind
        codes[chinese.get(kind, kind)] = kind
    return codes


def _split(text: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]


def check_staff(school: School, rows: list[tuple[int, dict]]) -> DryRun:
    """Check staff rows: mobile format and uniqueness (in the file and in every account), type, subjects, skills."""
    problems: list[Problem] = []
    clean: list[dict] = []
    seen: dict[str, int] = {}
    skill_codes, type_codes = _skill_codes(), _type_codes()
    for number, row in rows:
        row_problems = _common_checks(number, row, "staff")
        mobile = row["mobile"]
        if mobile:
            if not re.match(MOBILE_PATTERN, mobile):
                row_problems.append(Problem(number, "mobile", str(
                    _l("Not a mobile number (11 digits starting with 1)."))))
            elif mobile in seen:
                row_problems.append(Problem(number, "mobile", str(
                    _l("Duplicate in the file (also in row %(row)d).", row=seen[mobile]))))
            elif staff_services.mobile_taken(mobile):
                row_problems.append(Problem(number, "mobile", str(
                    _l("An account with this mobile number already exists."))))
            seen.setdefault(mobile, number)
        staff_type = type_codes.get(row["type"].strip().lower()) if row["type"] else None
        if row["type"] and staff_type is None:
            row_problems.append(Problem(number, "type", str(_l(
                "Unknown type %(value)s (use teacher, retired_teacher or volunteer).", value=row["type"]))))
        subjects = []
        for written in _split(row.get("subjects", "")):
            subject = subject_named(written)  # another name of a listed subject (英语: 外语) reads as that subject
            if not subject:
                row_problems.append(Problem(number, "subjects", str(_l(
                    "Unknown subject %(value)s: choose from %(names)s.", value=written,
                    names="、".join(staff_services.SUBJECTS)))))
            elif subject not in subjects:
                subjects.append(subject)
        skills = []
        for skill in _split(row.get("skills", "")):
            code = skill_codes.get(skill.lower())
            if code is None:
                row_problems.append(Problem(number, "skills", str(_l("Unknown skill %(value)s.", value=skill))))
            elif code not in skills:
                skills.append(code)
        if row_problems:
            problems.extend(row_problems)
        else:
            clean.append({"row": number, "name": row["name"], "mobile": mobile, "staff_type": staff_type,
                          "subjects": subjects, "skills": skills})
    return DryRun("staff", clean, problems)


CHECKS = {"students": check_students, "staff": check_staff}


def dry_run(kind: str, school: School, filename: str, data: bytes) -> DryRun:
    """Read and check a file; writes nothing. Raises ImportFileError when the file itself is unusable."""
    return CHECKS[kind](school, parse(kind, filename, data))


# --- Writing ---


def write_rows(result: DryRun, school: School) -> list[staff_services.Credential]:
    """Write every clean row (flushes only; the request commits all of them at once)."""
    credentials = []
    if result.kind == "students":
        classes = {c.id: c for c in services.classes_of(school)}
        for row in result.rows:
            services.add_student(classes[row["class_id"]], row["student_number"], row["name"],
                                 row.get("guardian_mobiles", []))
    else:
        for row in result.rows:
            password = staff_services.generate_password()
            staff_services.create_staff(school, name=row["name"], mobile=row["mobile"], staff_type=row["staff_type"],
                                        password=password, subjects=row["subjects"], skills=row["skills"])
            credentials.append(staff_services.Credential(row["name"], row["mobile"], password))
    logger.info("school %s imported %d %s rows", school.id, len(result.rows), result.kind)
    return credentials


def template_csv(kind: str) -> bytes:
    """A CSV with the header row, UTF-8 with BOM so that Excel shows the Chinese names."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([names[0] for names in COLUMNS[kind].values()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
