"""Notifications: every message to a person goes to their inbox and through the channels they chose."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/messages")

from app.notifications import routes  # noqa: E402,F401
