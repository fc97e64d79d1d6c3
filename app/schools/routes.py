"""School pages: classes, students, settings; the class teacher's class; guardians binding a child."""

from flask import render_template
from flask_login import current_user

from app.access import roles_required
from app.accounts.models import Role
from app.schools import bp


@bp.route("/classes")
@roles_required(Role.SCHOOL_ADMIN)
def classes():
    return render_template("schools/classes.html", school=current_user.school)


@bp.route("/students")
@roles_required(Role.SCHOOL_ADMIN)
def students():
    return render_template("schools/classes.html", school=current_user.school)


@bp.route("/settings")
@roles_required(Role.SCHOOL_ADMIN)
def settings():
    return render_template("schools/classes.html", school=current_user.school)


@bp.route("/my-class")
@roles_required(Role.TEACHER)
def my_class():
    return render_template("schools/classes.html", school=current_user.school)


@bp.route("/county")
@roles_required(Role.COUNTY_OFFICER)
def county_schools():
    return render_template("schools/classes.html", school=None)


@bp.route("/bind-child")
@roles_required(Role.GUARDIAN)
def bind_child():
    return render_template("schools/classes.html", school=None)
