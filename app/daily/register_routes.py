"""The school day's registers, advance absences, alerts and the afternoon board (see app/daily/__init__.py)."""

from flask import abort

from app.daily import bp


@bp.route("/")
def today():
    abort(404)  # the sessions I run today: being built


@bp.route("/sessions/<int:session_id>/register")
def register(session_id: int):
    abort(404)  # being built


@bp.route("/children/<int:student_id>/absences")
def absences(student_id: int):
    abort(404)  # the guardian's 请假: being built


@bp.route("/board")
def board():
    abort(404)  # the coordinator's afternoon board: being built
