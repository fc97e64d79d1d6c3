"""The school day's words, one place for every page, message and export that names a register mark."""

from flask_babel import lazy_gettext as _l

from app.daily.models import Mark

MARK_LABELS = {
    Mark.PRESENT: _l("Present"),
    Mark.ABSENT: _l("Absent"),
    Mark.LATE: _l("Late"),
    Mark.LEFT_EARLY: _l("Left early"),
}


def mark_label(status) -> str:
    """A register mark (a Mark or its value) in the reader's words; "" for none."""
    if not status:
        return ""
    return str(MARK_LABELS[Mark(status) if isinstance(status, str) else status])
