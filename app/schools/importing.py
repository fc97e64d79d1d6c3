"""Importing students and staff from CSV or XLSX: read, check every row (dry run), keep the clean rows, write them.

Between the dry run and the confirmation the parsed rows are kept on the server, in
`<instance>/imports/<token>.json` together with the school, the user and the kind of import. The
browser only carries the random token, so it cannot change what gets written; the confirmation
loads the file only for the same user and school, checks the rows again against the database
(someone may have added a student in between) and writes all of them or none.
"""

import csv
import io
import json
import logging
import re
import secrets
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.forms import MOBILE_PATTERN
from app.extensions import db
from app.schools import services
from app.schools.models import School, Student
from app.staff import services as staff_services
from scheduling.policy import ACTIVITY_LABELS, subject_named

logger = logging.getLogger(__name__)

KINDS = ("students", "staff")
MAX_ROWS = 3000
# The size of a sheet the reader accepts, checked against what the file declares before any row is read and again
# while streaming (a file may lie): a few thousand rows, a hundred columns, a workbook that unpacks to 20 MB. A 5 KB
# workbook whose one cell sits at XFD1048576 would otherwise be read as 17 billion empty cells.
MAX_SHEET_ROWS = 5000
MAX_SHEET_COLUMNS = 100
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_SHARED_TEXTS = 100_000  # distinct texts in the workbook (a full sheet of distinct names needs 15,000)
PENDING_LIFETIME_SECONDS = 3600
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
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

COLUMN_LABELS = {
    "student_number": _l("Student number"), "name": _l("Name"), "grade": _l("Grade"), "class": _l("Class"),
    "guardian_mobiles": _l("Guardians' mobile numbers"),
    "mobile": _l("Mobile number"), "type": _l("Type"), "subjects": _l("Subjects"), "skills": _l("Skills"),
    "file": _l("File"),
}

CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, empty, unknown encoding, missing columns)."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One bad cell: the spreadsheet row number (header is row 1), the column key, and why."""

    row: int
    column: str
    reason: str

    @property
    def column_label(self) -> str:
        return str(COLUMN_LABELS.get(self.column, self.column))


@dataclass
class DryRun:
    """The outcome of checking a file: the clean rows, or the problems (then nothing may be written)."""

    kind: str
    rows: list[dict]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


# --- Reading the file ---


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 3 and 13800000000 as floats
    return str(value).strip()


def decode_csv(data: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM) first, then GB18030 (what Chinese Excel saves)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_l("The file's text encoding is not recognised. Save it as CSV UTF-8 or as .xlsx."))


def _too_large() -> ImportFileError:
    return ImportFileError(_l(
        "The sheet is larger than %(rows)d rows or %(columns)d columns. Delete the empty rows and columns below and "
        "to the right of the table, or split the file.", rows=MAX_SHEET_ROWS, columns=MAX_SHEET_COLUMNS))


def _bounded_table(rows) -> list[list[str]]:
    """The rows as text cells, trailing empty cells dropped; refused as soon as the sheet passes the limits."""
    table = []
    for row in rows:
        if len(table) == MAX_SHEET_ROWS:
            raise _too_large()
        cells = [_cell_text(cell) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_SHEET_COLUMNS:
            raise _too_large()
        table.append(cells)
    return table


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Refuse XML entities, a worksheet row of more than MAX_SHEET_COLUMNS cells, or more than MAX_SHARED_TEXTS
    texts, counted by a parse that keeps nothing: openpyxl holds a whole row and every shared text in memory, and a
    few KB can hold a row of millions of cells."""

    def forbid_entities(*_args) -> None:
        raise ImportFileError(_l("The file could not be read as an Excel workbook (.xlsx)."))

    cells = texts = 0

    def count(tag: str, _attributes) -> None:
        nonlocal cells, texts
        local = tag.rpartition(":")[2]
        if local == "row":
            cells = 0
        elif local == "c":
            cells += 1
            if cells > MAX_SHEET_COLUMNS:
                raise _too_large()
        elif local == "si":
            texts += 1
            if texts > MAX_SHARED_TEXTS:
                raise ImportFileError(_l(
                    "The workbook holds more than %(count)d different texts. Copy only the table into a new "
                    "workbook, or save it as CSV.", count=MAX_SHARED_TEXTS))

    for name in archive.namelist():
        if not name.endswith((".xml", ".rels")):
            continue
        parser = expat.ParserCreate()
        parser.StartElementHandler = count
        parser.EntityDeclHandler = forbid_entities
        with archive.open(name) as stream:
            parser.ParseFile(stream)


def _read_xlsx(data: bytes) -> list[list[str]]:
    """The first sheet of a workbook, streamed (read-only mode; defusedxml parses when installed), after checking
    what the workbook unpacks to and the size the sheet declares."""
    import openpyxl
    from defusedxml import DefusedXmlException
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = _l("The file could not be read as an Excel workbook (.xlsx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Each member is decompressed only up to the size it declares, so the declared sizes bound the reading.
            if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportFileError(_l(
                    "The workbook unpacks to more than %(megabytes)d MB. Copy only the table into a new workbook, or "
                    "save it as CSV.", megabytes=MAX_UNPACKED_BYTES // (1024 * 1024)))
            _check_parts(archive)
    except (zipfile.BadZipFile, expat.ExpatError, OSError) as error:
        raise ImportFileError(unreadable) from error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know; the data is fine
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                if (sheet.max_row or 0) > MAX_SHEET_ROWS or (sheet.max_column or 0) > MAX_SHEET_COLUMNS:
                    raise _too_large()
                # Bounds one past the limits, whatever the file declares: a row or column there means too large.
                return _bounded_table(sheet.iter_rows(max_row=MAX_SHEET_ROWS + 1, max_col=MAX_SHEET_COLUMNS + 1,
                                                      values_only=True))
            finally:
                workbook.close()
    except (zipfile.BadZipFile, InvalidFileException, DefusedXmlException, SyntaxError, KeyError, IndexError,
            ValueError, TypeError, OSError) as error:  # SyntaxError: xml.etree's ParseError
        raise ImportFileError(unreadable) from error


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """All rows of the first sheet of an .xlsx, or of a .csv, as text cells (within MAX_SHEET_ROWS and
    MAX_SHEET_COLUMNS, else ImportFileError)."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(_l("Please upload a .csv or .xlsx file."))
    if not data.strip():
        raise ImportFileError(_l("The file is empty."))
    if suffix == ".csv":
        text = decode_csv(data)
        try:
            return _bounded_table(csv.reader(io.StringIO(text)))
        except csv.Error as error:
            raise ImportFileError(_l("The CSV file could not be read.")) from error
    return _read_xlsx(data)


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


# --- Keeping clean rows between the two steps ---


def _pending_dir() -> Path:
    path = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_pending(kind: str, school: School, user_id: int, rows: list[tuple[int, dict]]) -> str:
    """Store the parsed rows of a clean file on the server; return the token that names them."""
    _forget_stale()
    token = secrets.token_urlsafe(24)
    payload = {"kind": kind, "school_id": school.id, "user_id": user_id, "created": time.time(),
               "rows": [[number, row] for number, row in rows]}
    (_pending_dir() / f"{token}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return token


def load_pending(token: str, *, kind: str, school: School, user_id: int) -> list[tuple[int, dict]] | None:
    """The rows stored under a token, only for the same kind, school and user, and not expired."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    path = _pending_dir() / f"{token}.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (payload.get("kind") != kind or payload.get("school_id") != school.id or payload.get("user_id") != user_id
            or time.time() - payload.get("created", 0) > PENDING_LIFETIME_SECONDS):
        return None
    return [(number, row) for number, row in payload["rows"]]


def forget_pending(token: str) -> None:
    """Remove the stored rows once written (or abandoned)."""
    if TOKEN_PATTERN.match(token or ""):
        (_pending_dir() / f"{token}.json").unlink(missing_ok=True)


def _forget_stale() -> None:
    cutoff = time.time() - PENDING_LIFETIME_SECONDS
    for path in _pending_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


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
