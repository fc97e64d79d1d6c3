"""Schools: see routes.py for the pages."""

from flask import Blueprint

bp = Blueprint("schools", __name__, url_prefix="/schools")

from app.schools import routes  # noqa: E402,F401
