"""Running the site: liveness (/healthz), readiness (/readyz), Prometheus metrics (/metrics), per-request logs.

The processes a site runs are in the Procfile (README: Production); this package is what their operators watch.
"""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from app.ops import routes  # noqa: E402,F401
