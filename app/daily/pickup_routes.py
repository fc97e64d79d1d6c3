"""The school day's pickup pages (see app/daily/__init__.py). Endpoints named here are linked from other pages."""

from flask import abort

from app.daily import bp


@bp.route("/sessions/<int:session_id>/pickup")
def handover(session_id: int):
    abort(404)  # the hand-over list: being built


@bp.route("/children/<int:student_id>/pickup")
def pickup_adults(student_id: int):
    abort(404)  # the guardian's collecting adults and codes: being built
