"""Flask CLI commands."""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the project's commands to the app."""

    @app.cli.command("demo")
    @click.option("--reset", is_flag=True, help="Delete the existing demo county first.")
    @click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="Build the demo's term, windows and draws around this day (YYYY-MM-DD) instead of today.")
    def demo(reset: bool, today) -> None:
        """Load the demo county, two schools and a login for every role, its dates around today."""
        from app.demo import DemoRefused, load_demo

        try:
            load_demo(reset=reset, today=today.date() if today else None)
        except DemoRefused as refused:
            raise click.ClickException(str(refused)) from None

    @app.cli.command("add-finance-officer")
    @click.option("--county", "county_code", required=True, help="The county's code.")
    @click.option("--school", "school_code", required=True, help="The school's code within the county.")
    @click.option("--mobile", required=True, help="The login: an 11-digit mobile number.")
    @click.option("--name", required=True)
    @click.password_option(help="Asked for when not given.")
    def add_finance_officer(county_code: str, school_code: str, mobile: str, name: str, password: str) -> None:
        """Create a school's finance officer (fees, payments, hardship waivers; school pages stay closed)."""
        from app.accounts.forms import PASSWORD_MIN_LENGTH
        from app.accounts.models import User
        from app.accounts.services import create_finance_officer
        from app.extensions import db
        from app.schools.models import County, School

        school = db.session.scalar(db.select(School).join(County).filter(County.code == county_code,
                                                                         School.code == school_code))
        if school is None:
            raise click.BadParameter(f"no school {school_code} in county {county_code}", param_hint="--school")
        if not (len(mobile) == 11 and mobile.isdigit()):
            raise click.BadParameter("an 11-digit mobile number", param_hint="--mobile")
        if db.session.scalar(db.select(User.id).filter_by(mobile=mobile)) is not None:
            raise click.BadParameter("this mobile number already has an account", param_hint="--mobile")
        if len(password) < PASSWORD_MIN_LENGTH:
            raise click.BadParameter(f"at least {PASSWORD_MIN_LENGTH} characters", param_hint="--password")
        user = create_finance_officer(school, name, mobile, password)
        db.session.commit()
        click.echo(f"Finance officer {user.name} ({user.mobile}) created for {school.name}; "
                   "they choose their own password when they first log in.")
