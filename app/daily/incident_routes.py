"""The school day's incident pages and emergency contacts (see app/daily/__init__.py)."""

from flask import abort

from app.daily import bp


@bp.route("/sessions/<int:session_id>/incidents/new")
def new_incident(session_id: int):
    abort(404)  # being built


@bp.route("/sessions/<int:session_id>/contacts")
def contacts(session_id: int):
    abort(404)  # being built
