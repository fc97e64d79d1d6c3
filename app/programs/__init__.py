"""Programs: the after-school and holiday-care offerings a school publishes, their activities, notice and agreement."""

from flask import Blueprint

bp = Blueprint("programs", __name__, url_prefix="/programs")

from app.programs import routes  # noqa: E402,F401
