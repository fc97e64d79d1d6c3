"""The board's tables as XLSX, one workbook per table, the columns as the page heads them (app.spreadsheets:
no text becomes a formula)."""

from flask_babel import gettext as _

from app.spreadsheets import table_workbook


def _share(value: float | None):
    return None if value is None else round(value * 100, 1)


def rows_xlsx(title: str, first_column: str, rows) -> bytes:
    """A board table (schools of a county, or classes of a school) with its total line last."""
    header = [first_column, _("Students"), _("Applied for"), _("Placed"), _("Participation %"), _("Service days"),
              _("Days covered"), _("Covered %"), _("Service hours delivered"), _("of which on the register"),
              _("Staff taking part"), _("Teachers' weekly minutes: median"), _("90th percentile"), _("Largest"),
              _("Teachers above their cap"), _("Compensatory rest owed (minutes)"), _("Subsidy owed (yuan)"),
              _("Fees charged (yuan)"), _("Waived (yuan)"), _("Refunded (yuan)")]
    lines = [[r.name, r.students, r.applied, r.placed, _share(r.participation), r.service_days, r.covered_days,
              _share(r.coverage), r.hours, r.register_hours, r.opted_in, r.load.median, r.load.p90, r.load.largest,
              r.load.over_cap, r.rest_minutes, r.subsidy_cents / 100, r.charged_cents / 100, r.waived_cents / 100,
              r.refunded_cents / 100] for r in rows]
    return table_workbook(title, header, lines)


def providers_xlsx(title: str, lines, activity_label) -> bytes:
    """Provider sessions by provider and category."""
    header = [_("Provider"), _("Category"), _("Sessions"), _("Hours")]
    return table_workbook(title, header, [[p.provider, activity_label(p.activity), p.sessions, p.hours] for p in lines])


def trend_xlsx(title: str, points) -> bytes:
    """The trend across terms."""
    header = [_("Term"), _("Placed"), _("Participation %"), _("Service days"), _("Days covered"), _("Covered %"),
              _("Service hours delivered")]
    return table_workbook(title, header, [[p.term, p.placed, _share(p.participation), p.service_days, p.covered_days,
                                      _share(p.coverage), p.hours] for p in points])


def days_xlsx(title: str, days) -> bytes:
    """A class's school days, covered or not."""
    header = [_("Date"), _("Service day"), _("Covered"), _("After-school minutes planned")]
    return table_workbook(title, header, [[d.on_date, _("yes") if d.service_day else _("declared exception day"),
                                      _("yes") if d.covered else _("no"), d.minutes] for d in days])


def voices_xlsx(title: str, voices) -> bytes:
    """Families' satisfaction and complaints by school."""
    header = [_("School"), _("Families' satisfaction (of 5)"), _("Answers"), _("Complaints"), _("Not yet answered"),
              _("Past the school's day")]
    return table_workbook(title, header, [
        [v.name, None if v.satisfaction is None else round(v.satisfaction, 2), v.answers, v.complaints, v.open,
         v.overdue] for v in voices])
