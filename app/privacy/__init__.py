"""Personal information (PIPL): the privacy notice, separate consent for sensitive fields, a guardian's own data."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

from app.privacy import routes  # noqa: E402,F401
