"""Provider whitelist pages."""

from flask import render_template

from app.access import roles_required
from app.accounts.models import Role
from app.providers import bp


@bp.route("/")
@roles_required(Role.COUNTY_OFFICER)
def index():
    return render_template("schools/classes.html")


@bp.route("/whitelist/<int:county_id>")
def public_whitelist(county_id: int):
    return render_template("schools/classes.html")
