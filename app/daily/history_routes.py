"""A child's day for the family, the class's day for the class teacher, monthly attendance exports."""

from flask import abort

from app.daily import bp


@bp.route("/children/<int:student_id>/days")
def child_days(student_id: int):
    abort(404)  # being built


@bp.route("/classes/<int:class_id>/day")
def class_day(class_id: int):
    abort(404)  # being built
