"""The log page: the principal sees their school's records, the county officer their county's."""

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.access import roles_required
from app.accounts.models import Role
from app.audit import services
from app.audit.models import KINDS

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/log")
@roles_required(Role.COUNTY_OFFICER, principal=True)
def log():
    """Who saw health notes, who exported what, and security events; filter by kind and dates."""
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    since, until = _day("since"), _day("until")
    entries = services.entries_for(current_user, kind=kind, since=since, until=until)
    return render_template("audit/log.html", entries=entries, kind=kind, since=since, until=until,
                           kind_labels=services.KIND_LABELS, event_labels=services.EVENT_LABELS)
