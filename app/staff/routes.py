"""Staff pages."""

from flask import render_template

from app.access import roles_required
from app.accounts.models import Role
from app.staff import bp


@bp.route("/")
@roles_required(Role.SCHOOL_ADMIN)
def index():
    return render_template("schools/classes.html")


@bp.route("/me")
@roles_required(Role.TEACHER)
def my_profile():
    return render_template("schools/classes.html")
