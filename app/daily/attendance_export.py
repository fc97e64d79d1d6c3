"""Monthly attendance as XLSX, for the school's administrators and the county: per class (children × school days)
or per activity (one sheet per session series: children × the series' dates), each with totals. Read from the
register marks and advance absences as recorded (history.days_of); every row goes through append_row.

A day's word for a child: on leave (请假) when an advance absence covers it and the child was not marked present;
otherwise the day's marks read absent only when every session was missed, late or left early when one was,
attended otherwise; an empty cell: nothing recorded.
"""

import io
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from app.daily.history import ChildDay, SessionLine, days_of, month_days, school_sessions
from app.daily.models import Mark
from app.extensions import db
from app.schools.models import School, Student, class_label
from app.spreadsheets import append_row

GROUPINGS = ("class", "activity")
ATTENDED, MISSED, LATE, LEFT_EARLY, ON_LEAVE = "attended", "missed", "late", "left_early", "on_leave"
DAY_WORDS = {ATTENDED: _l("attended"), MISSED: _l("missed"), LATE: _l("came late"), LEFT_EARLY: _l("went early"),
             ON_LEAVE: _l("on leave")}
MARK_DAY = {Mark.PRESENT: ATTENDED, Mark.ABSENT: MISSED, Mark.LATE: LATE, Mark.LEFT_EARLY: LEFT_EARLY}
MONTHS_OFFERED = 12  # the attendance page lists this many months back


# --- Who may export which school ---------------------------------------------------------------------------------


def months_of(school: School | None, today: date) -> list[date]:
    """The months offered for download: this month and the MONTHS_OFFERED - 1 before it."""
    if school is None:
        return []
    months = [today.replace(day=1)]
    while len(months) < MONTHS_OFFERED:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


# --- A day's word ------------------------------------------------------------------------------------------------


def day_word(record: ChildDay | None, lines: list[SessionLine] | None = None) -> str | None:
    """The code of a child's day (see the module text), from all its sessions or the lines given."""
    if record is None:
        return None
    marks = [line.mark.status for line in (record.sessions if lines is None else lines) if line.mark is not None]
    if record.absences and Mark.PRESENT not in marks and Mark.LATE not in marks:
        return ON_LEAVE
    if not marks:
        return None
    if all(m is Mark.ABSENT for m in marks):
        return MISSED
    for mark in (Mark.LATE, Mark.LEFT_EARLY):
        if mark in marks:
            return MARK_DAY[mark]
    return ATTENDED


def _totals(words: list[str | None]) -> list[int]:
    return [sum(1 for w in words if w == code) for code in DAY_WORDS]


# --- The workbook ------------------------------------------------------------------------------------------------


def _sheet(workbook: Workbook, title: str, used: set[str]):
    """A new sheet named after a class or series (the workbook's first one for the first name), unique, ≤ 31."""
    name = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "-"
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    sheet = workbook.active if not used else workbook.create_sheet()
    used.add(name)
    sheet.title = name
    return sheet


def _write(sheet, header: list, rows: list[list]) -> None:
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 12


def workbook(school: School, month: date, by: str) -> bytes:
    """The school's attendance for a month, by class or by activity (GROUPINGS), as XLSX bytes."""
    days = month_days(month)
    sessions = school_sessions(school.id, days[0], days[-1])
    school_days = sorted({s.on_date for s in sessions})
    students = list(db.session.scalars(select(Student).filter_by(school_id=school.id)
                                       .order_by(Student.class_id, Student.student_number)))
    records = days_of(students, days[0], days[-1], with_expected=False)
    words = {code: str(word) for code, word in DAY_WORDS.items()}
    totals_header = [str(w) for w in DAY_WORDS.values()]
    book = Workbook()
    used: set[str] = set()
    if by == "class":
        classes: dict[int, list[Student]] = {}
        for student in students:
            classes.setdefault(student.class_id, []).append(student)
        ordered = sorted(classes.values(), key=lambda group: (group[0].school_class.grade.number,
                                                               group[0].school_class.number))
        for group in ordered:
            sheet = _sheet(book, class_label(group[0].school_class), used)
            rows = []
            for student in group:
                codes = [day_word(records.get((student.id, d))) for d in school_days]
                rows.append([student.student_number, student.name, *[words.get(c, "") for c in codes],
                             *_totals(codes)])
            _write(sheet, [_("Student number"), _("Name"), *[d.strftime("%m-%d") for d in school_days],
                           *totals_header], rows)
    else:
        series: dict[str, list] = {}
        for session in sessions:
            series.setdefault(session.series or session.activity, []).append(session)
        for name, own in sorted(series.items()):
            dates = sorted({s.on_date for s in own})
            ids = {s.id for s in own}
            sheet = _sheet(book, name, used)
            rows = []
            for student in students:
                lines_by_day = {}
                for d in dates:
                    record = records.get((student.id, d))
                    lines = [line for line in (record.sessions if record else []) if line.session.id in ids]
                    lines_by_day[d] = (record, lines)
                if not any(lines for _record, lines in lines_by_day.values()):
                    continue  # not in this activity this month
                codes = [day_word(record, lines) if lines else None for record, lines in lines_by_day.values()]
                rows.append([student.student_number, student.name, *[words.get(c, "") for c in codes],
                             *_totals(codes)])
            _write(sheet, [_("Student number"), _("Name"), *[d.strftime("%m-%d") for d in dates], *totals_header],
                   rows)
    if not used:
        _write(book.active, [_("No register was taken this month.")], [])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
