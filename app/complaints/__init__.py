"""The complaints channel (投诉渠道): families file about a school's service, the school answers by a deadline, the
county takes what stays unanswered; and the county's public transparency page. Pages: routes.py (complaints) and
public_routes.py (the public page, its own blueprint); register_blueprints imports them, so importing the
models does not load the pages."""

from flask import Blueprint

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
