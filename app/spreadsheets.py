"""Spreadsheets the site writes: text in an export never runs as a formula.

Every XLSX export appends its rows through `append_row` (OWASP, CSV injection: a cell that starts with = + - @,
a tab or a carriage return is data, never a formula). Imports are read by app.importing.read_table.
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

# The characters a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """True for text a spreadsheet would take as a formula; numbers, dates and other text are not."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def append_row(sheet: Worksheet, values: list) -> None:
    """Append a row; text that looks like a formula is stored as text with Excel's quote prefix (what typing
    '=… gives: shown as written, never evaluated, no visible apostrophe). Numbers stay numbers."""
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if formula_like(value):
            cell.value = value
            cell.data_type = "s"
            cell.quotePrefix = True



def add_table(workbook: Workbook, title: str, header: list[str], rows: list[list], *, first: bool = False,
              widest: int = 40) -> Worksheet:
    """A sheet (the workbook's first, or a new one) holding a table: a bold, frozen header, the rows through
    append_row, columns as wide as their text (at most `widest`)."""
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(widest, max(8, width * 1.6))
    sheet.freeze_panes = "A2"
    return sheet


def table_workbook(title: str, header: list[str], rows: list[list]) -> bytes:
    """One table as an XLSX file."""
    workbook = Workbook()
    add_table(workbook, title, header, rows, first=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
