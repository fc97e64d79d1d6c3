"""The school day's pickup pages: the family's collecting adults and their codes, and the hand-over at the end of a
session (see app/daily/pickup.py for the rules)."""

import io

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import roles_required
from app.accounts.models import Role
from app.daily import access, bp, codes, pickup
from app.daily.pickup_forms import EmptyForm, PickupAdultForm
from app.extensions import db
from app.models_base import local_time, local_today
from app.params import bounded_int
from scheduling.policy import PICKUP_CODE_TRIES_PER_DAY

# --- The family's page ---------------------------------------------------------------------------------------------


def _adult_or_404(student, adult_id: int):
    adult = pickup.adult_of_child(student, adult_id)
    if adult is None:
        abort(404)
    return adult


@bp.route("/children/<int:student_id>/pickup", methods=["GET", "POST"])
@roles_required(Role.GUARDIAN)
def pickup_adults(student_id: int):
    """The adults who may collect the child, each with today's code (big, and as a QR code); add one."""
    student = access.child_of_guardian_or_404(student_id)
    form = PickupAdultForm()
    if form.validate_on_submit():
        adult = pickup.add_adult(student, name=form.name.data, relation=form.relation.data, mobile=form.mobile.data,
                                 by=current_user)
        db.session.commit()
        flash(_("%(name)s may now collect %(child)s with their own code.", name=adult.name, child=student.name),
              "success")
        return redirect(url_for("daily.pickup_adults", student_id=student.id))
    pickup.list_guardians([student])
    db.session.commit()
    day = local_today()
    adults = pickup.adults_of([student.id])[student.id]
    guardians = pickup.guardian_mobiles(student)
    return render_template("daily/pickup_adults.html", student=student, form=form, action_form=EmptyForm(),
                           adults=[(a, codes.code_for(a, day), a.mobile in guardians) for a in adults], day=day,
                           signed_out=pickup.signed_out_today(student, day), local_time=local_time)


@bp.route("/children/<int:student_id>/pickup/<int:adult_id>/remove", methods=["POST"])
@roles_required(Role.GUARDIAN)
def remove_pickup_adult(student_id: int, adult_id: int):
    """The adult may no longer collect the child (a guardian's own entry stays)."""
    student = access.child_of_guardian_or_404(student_id)
    adult = _adult_or_404(student, adult_id)
    if EmptyForm().validate_on_submit():
        if pickup.is_guardian_entry(adult):
            flash(_("A guardian always may collect their child: their entry stays (give it a new code instead)."),
                  "error")
        else:
            pickup.remove_adult(adult)
            db.session.commit()
            flash(_("%(name)s was removed: their codes no longer work.", name=adult.name), "success")
    return redirect(url_for("daily.pickup_adults", student_id=student.id))


@bp.route("/children/<int:student_id>/pickup/<int:adult_id>/new-code", methods=["POST"])
@roles_required(Role.GUARDIAN)
def renew_pickup_code(student_id: int, adult_id: int):
    """A new code for the adult: the old one stops working at once."""
    student = access.child_of_guardian_or_404(student_id)
    adult = _adult_or_404(student, adult_id)
    if EmptyForm().validate_on_submit():
        pickup.renew_code(adult)
        db.session.commit()
        flash(_("%(name)s has a new code: the old one no longer works.", name=adult.name), "success")
    return redirect(url_for("daily.pickup_adults", student_id=student.id) + f"#adult-{adult.id}")


@bp.route("/children/<int:student_id>/pickup/<int:adult_id>/qr.svg")
@roles_required(Role.GUARDIAN)
def pickup_qr(student_id: int, adult_id: int):
    """Today's code of the adult as a QR code (SVG), never cached."""
    import segno

    student = access.child_of_guardian_or_404(student_id)
    adult = _adult_or_404(student, adult_id)
    svg = io.BytesIO()
    segno.make(codes.code_for(adult, local_today()), error="m").save(svg, kind="svg", scale=8, border=2,
                                                                       xmldecl=False, svgclass="qr")
    response = make_response(svg.getvalue())
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The hand-over -------------------------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/pickup")
@login_required
def handover(session_id: int):
    """The children whose day ends at this session, each to sign out by code, listed adult or walking alone."""
    session = access.session_to_run_or_404(session_id)
    listing = pickup.handover(session)
    page = render_template("daily/handover.html", session=session, handover=listing, form=EmptyForm(),
                           tries=PICKUP_CODE_TRIES_PER_DAY, local_time=local_time)
    db.session.commit()  # guardians listed as collecting adults on the way (after rendering: nothing reloads)
    return page


@bp.route("/sessions/<int:session_id>/pickup/<int:student_id>/check-id")
@login_required
def confirm_adult(session_id: int, student_id: int):
    """The ID check before signing a child out to a listed adult: the adult's name, relation and mobile to compare."""
    session = access.session_to_run_or_404(session_id)
    application = pickup.application_in(session, student_id)
    if application is None:
        abort(404)
    adult = pickup.adult_of_child(application.student, request.args.get("adult_id", type=bounded_int) or 0)
    if adult is None:
        flash(_("Choose one of the adults the family listed."), "error")
        return redirect(url_for("daily.handover", session_id=session.id) + f"#child-{student_id}")
    return render_template("daily/handover_check_id.html", session=session, student=application.student,
                           adult=adult, form=EmptyForm())


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/sessions/<int:session_id>/pickup/<int:student_id>", methods=["POST"])
@login_required
def sign_out(session_id: int, student_id: int):
    """Sign a child out (contract: method code|adult|alone; JSON with Accept: application/json; idempotent)."""
    session = access.session_to_run_or_404(session_id)
    back = url_for("daily.handover", session_id=session.id) + f"#child-{student_id}"
    if not EmptyForm().validate_on_submit():
        abort(400)
    outcome = pickup.sign_out(session, student_id, method=request.form.get("method", ""), staff=current_user,
                              code=request.form.get("code", "")[:20],
                              adult_id=request.form.get("adult_id", type=bounded_int))
    db.session.commit()  # a wrong code is counted even though the answer refuses
    if _wants_json():
        if outcome.error:
            body = {"error": outcome.error}
            if outcome.tries_left is not None:
                body["tries_left"] = outcome.tries_left
            return jsonify(body), outcome.status
        record = outcome.sign_out
        body = {"student_id": student_id, "signed_out": True, "adult_name": record.adult_name,
                "method": record.method.value, "at": local_time(record.signed_out_at).strftime("%H:%M")}
        if outcome.already:
            body["already"] = True
        return jsonify(body), 200
    if outcome.error:
        if outcome.tries_left:
            flash(_("%(reason)s %(left)d tries left today.", reason=outcome.error, left=outcome.tries_left), "error")
        else:
            flash(outcome.error, "error")
    elif outcome.already:
        flash(_("Already signed out: nothing changed."), "warning")
    else:
        flash(_("Signed out."), "success")
    return redirect(back, code=303)
