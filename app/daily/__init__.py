"""The school day: registers (点名), advance absences (请假), missing-child alerts, pickup hand-over, incidents and
the coordinator's afternoon board. Pages live in one module per part (app/daily/routes.py gathers them); the rules
they share are in access.py and day.py. Importing a part of the package (its models, for instance) does not load the
pages, so other domains may read the day's records without an import circle."""

from flask import Blueprint

bp = Blueprint("daily", __name__, url_prefix="/day")
