"""The school day: registers (点名), advance absences (请假), missing-child alerts, pickup hand-over, incidents and
the coordinator's afternoon board. Routes live in one module per part; the rules they share are in access.py."""

from flask import Blueprint

bp = Blueprint("daily", __name__, url_prefix="/day")

from app.daily import history_routes, incident_routes, pickup_routes, register_routes  # noqa: E402,F401
