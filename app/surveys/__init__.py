"""The county's end-of-term quality survey (满意度调查): guardians answer once per child per term, staff their own
questionnaire; results per school, activity and provider (see routes.py for the pages, results.py for the figures)."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

from app.surveys import routes  # noqa: E402,F401
