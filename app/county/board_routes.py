"""The county board's pages: the county (officer), a school (the county's officer, or that school's principal),
a class; each table also as XLSX. And ``flask county refresh``."""

from datetime import date

import click
from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app import params
from app.access import can_see_school, roles_required
from app.accounts.models import Role
from app.county import board, bp, charts, export, facts
from app.extensions import db
from app.models_base import local_today
from app.programs.services import activity_label
from app.rosters.exports import XLSX_MIMETYPE
from app.schools.models import County, School, SchoolClass, class_label
from scheduling import policy

TERM_NAME_MAX = 60  # Term.name's length


def _period(scope, today: date) -> tuple[list[board.TermSpan], board.Period]:
    """The terms of the scope and the period asked for (?term=<name>, ?week=<any day of it>); 404 with no term."""
    term_name = (request.args.get("term") or "")[:TERM_NAME_MAX]
    terms = board.terms_of(scope)
    period = board.choose_period(terms, today, term_name=term_name, week_day=params.date_arg("week"))
    if period is None:
        abort(404)
    return terms, period


def _school_or_404(school_id: int) -> School:
    """The county officer's school of their county, or the principal's own school; else 404."""
    school = db.session.get(School, school_id)
    if school is None or not can_see_school(school.id, school.county_id):
        abort(404)
    return school


def _class_or_404(class_id: int) -> SchoolClass:
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or not can_see_school(school_class.school_id, school_class.school.county_id):
        abort(404)
    return school_class


def _charts(rows: list[board.Row], points: list[board.TrendPoint]) -> dict:
    participation, participation_height = charts.bars([(r.name, r.participation) for r in rows])
    coverage, coverage_height = charts.bars([(r.name, r.coverage) for r in rows])
    lines, ticks = charts.trend_lines([p.term for p in points], [
        (_("Participation"), [p.participation for p in points]), (_("School days covered"),
                                                                   [p.coverage for p in points])])
    return {"participation": participation, "participation_height": participation_height, "coverage": coverage,
            "coverage_height": coverage_height, "lines": lines, "ticks": ticks, "width": charts.CHART_WIDTH,
            "trend_height": charts.TREND_HEIGHT, "bar_height": charts.BAR_HEIGHT, "label_height": charts.LABEL_HEIGHT}


def _xlsx(content: bytes, name: str) -> Response:
    return Response(content, mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _county_board(county: County, today: date):
    scope = board.county_scope(county.id)
    terms, period = _period(scope, today)
    rows, total = board.county_rows(county, period, today)
    return scope, terms, period, rows, total


@bp.route("/board")
@roles_required(Role.COUNTY_OFFICER)
def board_index():
    today = local_today()
    county = current_user.county
    scope, terms, period, rows, total = _county_board(county, today)
    points = board.trend(scope, terms, today, total.students)
    return render_template(
        "county/board.html", county=county, terms=terms, period=period, rows=rows, total=total, today=today,
        providers=board.providers_of(scope, period, today), points=points, chart=_charts(rows, points),
        refreshed_at=board.refreshed_at(scope), activity_label=activity_label, cap=policy.TEACHER_MAX_WEEKLY_MINUTES,
        min_minutes=policy.MIN_DAILY_MINUTES, voices=board.voices(county.id, period.term.name))


@bp.route("/board.xlsx")
@roles_required(Role.COUNTY_OFFICER)
def board_xlsx():
    today = local_today()
    county = current_user.county
    scope, terms, period, rows, total = _county_board(county, today)
    table = request.args.get("table", "schools")
    name = f"county-{county.code}-{table}.xlsx"
    if table == "schools":
        return _xlsx(export.rows_xlsx(period.term.name, _("School"), [*rows, total]), name)
    if table == "providers":
        return _xlsx(export.providers_xlsx(period.term.name, board.providers_of(scope, period, today),
                                           activity_label), name)
    if table == "trend":
        return _xlsx(export.trend_xlsx(county.name, board.trend(scope, terms, today, total.students)), name)
    if table == "voices":
        return _xlsx(export.voices_xlsx(period.term.name, board.voices(county.id, period.term.name)), name)
    abort(404)


@bp.route("/board/schools/<int:school_id>")
@roles_required(Role.COUNTY_OFFICER, principal=True)
def board_school(school_id: int):
    today = local_today()
    school = _school_or_404(school_id)
    scope = board.school_scope(school.id)
    terms, period = _period(scope, today)
    rows, line = board.school_rows(school, period, today)
    points = board.trend(scope, terms, today, line.students)
    return render_template(
        "county/board_school.html", school=school, terms=terms, period=period, rows=rows, total=line, today=today,
        providers=board.providers_of(scope, period, today), points=points, chart=_charts(rows, points),
        refreshed_at=board.refreshed_at(scope), activity_label=activity_label, cap=policy.TEACHER_MAX_WEEKLY_MINUTES,
        min_minutes=policy.MIN_DAILY_MINUTES, voices=board.voices(school.county_id, period.term.name, school.id))


@bp.route("/board/schools/<int:school_id>.xlsx")
@roles_required(Role.COUNTY_OFFICER, principal=True)
def board_school_xlsx(school_id: int):
    today = local_today()
    school = _school_or_404(school_id)
    scope = board.school_scope(school.id)
    terms, period = _period(scope, today)
    table = request.args.get("table", "classes")
    name = f"school-{school.code}-{table}.xlsx"
    if table == "classes":
        rows, line = board.school_rows(school, period, today)
        return _xlsx(export.rows_xlsx(period.term.name, _("Class"), [*rows, line]), name)
    if table == "providers":
        return _xlsx(export.providers_xlsx(period.term.name, board.providers_of(scope, period, today),
                                           activity_label), name)
    if table == "trend":
        _rows, line = board.school_rows(school, period, today)
        return _xlsx(export.trend_xlsx(school.name, board.trend(scope, terms, today, line.students)), name)
    if table == "voices":
        return _xlsx(export.voices_xlsx(period.term.name, board.voices(school.county_id, period.term.name, school.id)),
                     name)
    abort(404)


@bp.route("/board/classes/<int:class_id>")
@roles_required(Role.COUNTY_OFFICER, principal=True)
def board_class(class_id: int):
    today = local_today()
    school_class = _class_or_404(class_id)
    school = school_class.school
    terms, period = _period(board.school_scope(school.id), today)
    rows, _line = board.school_rows(school, period, today)
    row = next(r for r in rows if r.id == school_class.id)
    return render_template(
        "county/board_class.html", school=school, school_class=school_class, label=class_label(school_class),
        terms=terms, period=period, row=row, days=board.class_days(school_class, period, today), today=today)


@bp.route("/board/classes/<int:class_id>.xlsx")
@roles_required(Role.COUNTY_OFFICER, principal=True)
def board_class_xlsx(class_id: int):
    today = local_today()
    school_class = _class_or_404(class_id)
    _terms, period = _period(board.school_scope(school_class.school_id), today)
    return _xlsx(export.days_xlsx(period.term.name, board.class_days(school_class, period, today)),
                 f"class-{school_class.id}-days.xlsx")


@bp.cli.command("refresh")
@click.option("--county", "county_code", help="Only this county (its code); default every county.")
def refresh_command(county_code: str | None) -> None:
    """Work out the county board's facts again from the published rosters (after calendar or offering changes)."""
    counties = db.session.scalars(db.select(County).order_by(County.code)
                                  .where(County.code == county_code if county_code else True)).all()
    if county_code and not counties:
        raise click.ClickException(f"No county with the code {county_code}.")
    for county in counties:
        count = facts.refresh_county(county)
        click.echo(f"{county.code} {county.name}: {count} schools refreshed")
    db.session.commit()
