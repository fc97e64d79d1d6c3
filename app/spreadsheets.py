"""Spreadsheets the site writes: text in an export never runs as a formula.

Every XLSX export appends its rows through `append_row` (OWASP, CSV injection: a cell that starts with = + - @,
a tab or a carriage return is data, never a formula). Imports are read by app.schools.importing.read_table.
"""

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

