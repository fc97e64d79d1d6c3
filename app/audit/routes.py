"""The log page: the principal sees their school's records, the county officer their county's."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import roles_required
from app.accounts.models import Role
from app.audit import retention, services
from app.audit.forms import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, RetentionForm
from app.audit.models import KINDS
from app.extensions import db
from app.params import date_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/log")
@roles_required(Role.COUNTY_OFFICER, principal=True)
def log():
    """Who saw health notes, who exported what, and security events; filter by kind and dates."""
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    since, until = date_arg("since"), date_arg("until")
    entries = services.entries_for(current_user, kind=kind, since=since, until=until)
    form = None
    if current_user.school_id is not None:
        form = RetentionForm(days=retention.retention_days(current_user.school_id))
    return render_template("audit/log.html", entries=entries, kind=kind, since=since, until=until,
                           kind_labels=services.KIND_LABELS, event_labels=services.EVENT_LABELS, form=form)


@bp.route("/retention", methods=["POST"])
@roles_required(principal=True)
def set_retention():
    """The school's period after which past offerings' health notes, pickup people, priority groups and draw
    tickets are removed (by `flask enrolment run-due`)."""
    form = RetentionForm()
    if form.validate_on_submit():
        retention.set_retention_days(current_user.school_id, form.days.data)
        db.session.commit()
        flash(_("Saved: past offerings' personal details are removed %(days)d days after they end.",
                days=form.days.data), "success")
    else:
        flash(_("Choose between %(low)d and %(high)d days.", low=MIN_RETENTION_DAYS, high=MAX_RETENTION_DAYS), "error")
    return redirect(url_for("audit.log"))
