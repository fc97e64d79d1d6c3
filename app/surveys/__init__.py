"""The county's end-of-term quality survey (满意度调查): guardians answer once per child per term, staff their own
questionnaire; results per school, activity and provider (routes.py holds the pages, results.py the figures).
Importing a part of the package (its models, its results) does not load the pages, so other domains (the provider
evaluation) may read the figures without an import circle."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
