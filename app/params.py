"""Request parameters every route reads the same way: ids within the database's integer range, dates within the
years the site handles. Out of range is a missing page (404) or a bad request (400), never a server error."""

from datetime import date

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every primary key
# Days the site works with: school years, and a week's Monday or Sunday a few days either side stays a date.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a whole number up to MAX_ID; anything larger matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register(app: Flask) -> None:
    """Make `<int:...>` the bounded id converter; call before any blueprint adds its rules."""
    app.url_map.converters["int"] = IdConverter


def bounded_int(text: str) -> int:
    """An id or page number from a query string (`request.args.get(name, type=bounded_int)`): ValueError when it
    is not a whole number within 0..MAX_ID, so the argument counts as absent."""
    if not text.isdigit() or len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
        raise ValueError(f"not a whole number up to {MAX_ID}: {text[:20]!r}")
    return int(text)


def date_arg(name: str) -> date | None:
    """A YYYY-MM-DD query argument: None when absent or empty; 400 when it is not a date between EARLIEST_DATE
    and LATEST_DATE."""
    text = request.args.get(name, "")
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        abort(400)
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        abort(400)
    return value


def month_arg(name: str) -> date | None:
    """A YYYY-MM query argument, as the month's first day: None when absent or empty; 400 when it is not a month
    between EARLIEST_DATE and LATEST_DATE."""
    text = request.args.get(name, "")
    if not text:
        return None
    try:
        year, month = (int(part) for part in text.split("-"))
        value = date(year, month, 1)
    except ValueError:
        abort(400)
    if len(text) != 7 or not EARLIEST_DATE <= value <= LATEST_DATE:
        abort(400)
    return value
