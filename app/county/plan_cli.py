"""`flask county plan`: a county's coverage plan for a week, run here and now (the same run as the web's job)."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.schools.models import County


@click.command("plan")
@click.option("--county", "county_code", required=True, help="The county's code.")
@click.option("--week", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="A date in the week.")
@click.option("--time-limit", type=float, default=None, help="Seconds per solve (default COUNTY_PLAN_TIME_LIMIT).")
def plan_command(county_code: str, day, time_limit: float | None) -> None:
    """Plan every school of a county for one week and print the gaps (nothing is stored in the schools' weeks)."""
    from app.county import plan
    from app.county.plan_report import report

    county = db.session.scalar(select(County).filter_by(code=county_code))
    if county is None:
        raise click.BadParameter(f"no county {county_code}", param_hint="--county")
    started = plan.enqueue(county, day.date(), None, time_limit=time_limit)
    db.session.commit()
    plan.run_plan(started.id)
    found = db.session.get(plan.CountyPlan, started.id)
    if found.error:
        raise click.ClickException(found.error)
    with current_app.test_request_context():  # the report's words read the locale
        found_report = report(found)
    totals = found_report.totals
    click.echo(f"Plan {found.id}, week of {found.monday}: {totals['schools']} schools, {totals['staffed']} of "
               f"{totals['sessions']} sessions staffed, {totals['unstaffed']} not, {totals['extra']} extra people "
               f"would close the gaps; {found.progress.get('elapsed')} s with {found.progress.get('processes')} "
               "processes.")
    for gap in found_report.gaps:
        click.echo(f"  {gap.school}: {gap.need}, {gap.sessions} sessions ({gap.when}) → {gap.extra}"
                   f"{'' if gap.closed else ' (not all closed)'}")


def register(app: Flask) -> None:
    """Add `plan` to the app's `flask county` group (made here when no other part made it first)."""
    group = app.cli.commands.get("county")
    if group is None:
        group = AppGroup("county", help="The county's view: coverage plans and figures.")
        app.cli.add_command(group)
    group.add_command(plan_command)
