"""Messages that leave the site (SMS today): one interface every domain sends through, and the development outbox."""

from flask import Blueprint

bp = Blueprint("messaging", __name__, url_prefix="/dev")

from app.messaging import routes  # noqa: E402,F401
