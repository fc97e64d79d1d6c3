"""Providers: see routes.py for the pages."""

from flask import Blueprint

bp = Blueprint("providers", __name__, url_prefix="/providers")

from app.providers import routes  # noqa: E402,F401
