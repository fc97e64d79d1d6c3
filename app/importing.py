"""Reading an uploaded table (CSV or XLSX) and keeping its checked rows between the dry run and the confirmation.

Every import of the site (students, staff, teaching minutes) reads its file with `read_table`, reports bad cells as
`Problem`s in a `DryRun`, and keeps the clean rows on the server between the two steps: in
`<instance>/imports/<token>.json` together with the school, the user and the kind of import. The
browser only carries the random token, so it cannot change what gets written; the confirmation
loads the file only for the same user and school, checks the rows again against the database
(someone may have added a student in between) and writes all of them or none.
"""

import csv
import io
import json
import re
import secrets
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.parsers import expat

from flask import current_app
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:  # a school's pending rows; the reader itself knows no school
    from app.schools.models import School

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
COLUMN_LABELS = {
    "student_number": _l("Student number"), "name": _l("Name"), "grade": _l("Grade"), "class": _l("Class"),
    "guardian_mobiles": _l("Guardians' mobile numbers"),
    "mobile": _l("Mobile number"), "type": _l("Type"), "subjects": _l("Subjects"), "skills": _l("Skills"),
    "file": _l("File"),
}

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


# --- Keeping clean rows between the two steps ---


def _pending_dir() -> Path:
    path = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_pending(kind: str, school: "School", user_id: int, rows: list[tuple[int, dict]]) -> str:
    """Store the parsed rows of a clean file on the server; return the token that names them."""
    _forget_stale()
    token = secrets.token_urlsafe(24)
    payload = {"kind": kind, "school_id": school.id, "user_id": user_id, "created": time.time(),
               "rows": [[number, row] for number, row in rows]}
    (_pending_dir() / f"{token}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return token


def load_pending(token: str, *, kind: str, school: "School", user_id: int) -> list[tuple[int, dict]] | None:
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
