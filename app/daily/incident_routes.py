"""The school day's incident pages and emergency contacts (see app/daily/incidents.py for who sees what)."""

from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import roles_required
from app.accounts.models import Role
from app.audit import services as audit
from app.daily import access, bp, incidents
from app.daily.models import IncidentCategory
from app.daily.pickup_forms import CATEGORY_LABELS, AcknowledgeForm, EmptyForm, IncidentForm
from app.extensions import db
from app.models_base import local_time, school_zone
from app.rosters.expected import expected_children


@bp.route("/sessions/<int:session_id>/incidents/new", methods=["GET", "POST"])
@login_required
def new_incident(session_id: int):
    """Record an incident of one of the session's children; the family is told at once."""
    session = access.session_to_run_or_404(session_id)
    children = expected_children(session).children
    form = IncidentForm(children=children)
    if not form.is_submitted():
        form.occurred_at.data = datetime.now(school_zone()).time().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        application = next(a for a in children if a.student_id == form.student_id.data)
        incident = incidents.record_incident(
            session, application, category=IncidentCategory(form.category.data), at=form.occurred_at.data,
            what_happened=form.what_happened.data, action_taken=form.action_taken.data,
            internal_note=form.internal_note.data, by=current_user)
        db.session.commit()
        flash(_("Recorded. The family has been told."), "success")
        return redirect(url_for("daily.incident", incident_id=incident.id))
    return render_template("daily/incident_new.html", session=session, form=form)


@bp.route("/incidents/<int:incident_id>")
@login_required
def incident(incident_id: int):
    """The record: everything for the school's side, without the internal note for the family."""
    item, full = incidents.incident_to_see_or_404(incident_id)
    is_family = not full
    return render_template(
        "daily/incident.html", incident=item, full=full, is_family=is_family, labels=CATEGORY_LABELS,
        local_time=local_time, ack_form=AcknowledgeForm(), action_form=EmptyForm(),
        may_countersign=access.is_school_admin_of(current_user, item.school_id),
        messages=incidents.messages_about(item) if full else [])


@bp.route("/incidents/<int:incident_id>/acknowledge", methods=["POST"])
@roles_required(Role.GUARDIAN)
def acknowledge_incident(incident_id: int):
    """The family has read the record (once)."""
    item, _full = incidents.incident_to_see_or_404(incident_id)
    form = AcknowledgeForm()
    if form.validate_on_submit():
        if incidents.acknowledge(item, current_user, form.comment.data or ""):
            db.session.commit()
            flash(_("Thank you: the school sees that you have read it."), "success")
        else:
            flash(_("Already acknowledged: nothing changed."), "warning")
    return redirect(url_for("daily.incident", incident_id=item.id))


@bp.route("/incidents/<int:incident_id>/countersign", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def countersign_incident(incident_id: int):
    """The coordinator countersigns the record (once)."""
    item, _full = incidents.incident_to_see_or_404(incident_id)
    if EmptyForm().validate_on_submit():
        if incidents.countersign(item, current_user):
            db.session.commit()
            flash(_("Countersigned."), "success")
        else:
            flash(_("Already countersigned: nothing changed."), "warning")
    return redirect(url_for("daily.incident", incident_id=item.id))


@bp.route("/incidents")
@roles_required(Role.GUARDIAN, Role.SCHOOL_ADMIN)
def incident_list():
    """The school's incidents for its administrators; a guardian's children's incidents for the guardian."""
    return render_template("daily/incident_list.html", incidents=incidents.incidents_for(current_user),
                           labels=CATEGORY_LABELS, local_time=local_time)


@bp.route("/sessions/<int:session_id>/contacts")
@login_required
def contacts(session_id: int):
    """Guardians' and class teachers' phone numbers as tap-to-call links: for the people running the session, on
    its day only; every view is logged."""
    session = access.session_to_run_or_404(session_id)
    if not access.may_see_emergency_contacts(current_user, session):
        audit.security("access_denied", subject=f"contacts of session #{session.id} on another day")
        db.session.commit()
        return render_template("daily/contacts_closed.html", session=session), 403
    rows = incidents.emergency_contacts(session)
    incidents.contacts_log(session, rows)
    db.session.commit()
    from app.schools.forms import RELATIONSHIP_LABELS

    return render_template("daily/contacts.html", session=session, rows=rows, relationship_labels=RELATIONSHIP_LABELS)
