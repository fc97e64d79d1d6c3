"""The school day's registers, advance absences, alerts and the afternoon board (see app/daily/__init__.py).

Routes load through access.py (another school's session is a 404, an own-school one not yours a 403), call one
service in register.py or alerts.py, and commit once."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import roles_required
from app.accounts.models import Role
from app.daily import access, alerts, bp, register, words
from app.daily.models import AdvanceAbsence, Alert, Mark
from app.daily.register_forms import AbsenceForm, ResolveForm
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import local_time, local_today, utcnow
from app.schools.models import SchoolClass
from scheduling.policy import ADVANCE_ABSENCE_MAX_DAYS

STAFF_ROLES = (Role.TEACHER, Role.PROVIDER_STAFF, Role.SCHOOL_ADMIN)


def _wants_json() -> bool:
    return "application/json" in request.headers.get("Accept", "")


@bp.app_template_global()
def mark_label(status) -> str:
    """A register mark (a Mark or its value) in the reader's words; "" for none."""
    return words.mark_label(status)


@bp.app_template_global()
def alert_kind_label(kind) -> str:
    return str(alerts.KIND_LABELS[kind])


# --- Today and the register ----------------------------------------------------------------------


@bp.route("/")
@roles_required(*STAFF_ROLES)
def today():
    day = local_today()
    sessions = access.sessions_to_run(current_user, day)
    figures = register.session_figures(sessions, day)
    page = render_template("daily/today.html", day=day, figures=figures, leads_class=current_user.is_class_teacher)
    db.session.commit()  # settings_for may have created the school's settings (after rendering: nothing reloads)
    return page


@bp.route("/sessions/<int:session_id>/register", endpoint="register")
@roles_required(*STAFF_ROLES)
def register_page(session_id: int):
    session = access.session_to_run_or_404(session_id)
    rows = register.register_rows(session)
    [figures] = register.session_figures([session], session.on_date)
    page = render_template("daily/register.html", session=session, groups=register.by_class(rows), figures=figures,
                           marks=list(Mark), opens=session.on_date <= local_today(), local_time=local_time)
    db.session.commit()  # after rendering: a commit expires every row the page would read again one by one
    return page


@bp.route("/sessions/<int:session_id>/register/<int:student_id>", methods=["POST"])
@roles_required(*STAFF_ROLES)
def mark(session_id: int, student_id: int):
    session = access.session_to_run_or_404(session_id)
    back = url_for("daily.register", session_id=session.id, _anchor=f"child-{student_id}")
    try:
        status = Mark(request.form.get("status", ""))
    except ValueError:
        if _wants_json():
            return jsonify(error=_("Choose present, absent, late or left early.")), 400
        flash(_("Choose present, absent, late or left early."), "error")
        return redirect(back, 303)
    try:
        current, changed = register.mark(session, student_id, status, current_user)
    except register.MarkRefused as refused:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=str(refused)), 409
        flash(str(refused), "error")
        return redirect(back, 303)
    db.session.commit()
    if _wants_json():
        return jsonify(register.mark_json(current, changed))
    return redirect(back, 303)


# --- Advance absences ----------------------------------------------------------------------------


@bp.route("/children/<int:student_id>/absences", methods=["GET", "POST"])
@roles_required(Role.GUARDIAN)
def absences(student_id: int):
    student = access.child_of_guardian_or_404(student_id)
    form = AbsenceForm(overlapping=lambda first, last: register.overlapping(student, first, last))
    if form.validate_on_submit():
        register.report_absence(student, form.starts_on.data, form.last_day, form.reason.data, current_user)
        db.session.commit()
        flash(_("Absence reported: the class teacher and the staff on the sessions will see it."), "success")
        return redirect(url_for("daily.absences", student_id=student.id), 303)
    if request.method == "GET":
        form.starts_on.data = local_today()
    return render_template("daily/absences.html", student=student, form=form, absences=register.absences_of(student),
                           may_cancel=register.may_cancel, dates_text=register.dates_text, cancel_form=ConfirmForm(),
                           max_days=ADVANCE_ABSENCE_MAX_DAYS)


@bp.route("/children/<int:student_id>/absences/<int:absence_id>/cancel", methods=["POST"])
@roles_required(Role.GUARDIAN)
def cancel_absence(student_id: int, absence_id: int):
    student = access.child_of_guardian_or_404(student_id)
    absence = db.session.get(AdvanceAbsence, absence_id)
    if absence is None or absence.student_id != student.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        if register.may_cancel(absence):
            register.cancel_absence(absence)
            db.session.commit()
            flash(_("Absence cancelled: the child is expected again."), "success")
        else:
            flash(_("This absence is over and stays on the record."), "error")
    return redirect(url_for("daily.absences", student_id=student.id), 303)


@bp.route("/absences")
@roles_required(Role.SCHOOL_ADMIN, class_teacher=True)
def class_absences():
    if current_user.role is Role.SCHOOL_ADMIN:
        classes = list(db.session.scalars(select(SchoolClass).filter_by(school_id=current_user.school_id)))
    else:
        classes = list(current_user.classes_led)
    return render_template("daily/absences_class.html", absences=register.class_absences(classes, local_today()),
                           dates_text=register.dates_text)


# --- The afternoon board -------------------------------------------------------------------------


def _board(now=None):
    day = local_today()
    alerts.check_due(now, school_id=current_user.school_id)
    sessions = access.sessions_to_run(current_user, day)
    figures = register.session_figures(sessions, day, now)
    open_alerts = alerts.open_alerts(current_user.school_id)
    return day, figures, open_alerts, alerts.now_settled(open_alerts)


@bp.route("/board")
@roles_required(Role.SCHOOL_ADMIN)
def board():
    day, figures, open_alerts, present = _board()
    page = render_template("daily/board.html", day=day, figures=figures, alerts=open_alerts, settled=present,
                           resolve_form=ResolveForm())
    db.session.commit()  # alerts the clock made due (after rendering: nothing reloads)
    return page


@bp.route("/board.json")
@roles_required(Role.SCHOOL_ADMIN)
def board_json():
    day, figures, open_alerts, present = _board()
    db.session.commit()
    return jsonify(register.board_json(figures, open_alerts, present, utcnow()))


@bp.route("/alerts/<int:alert_id>/resolve", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def resolve_alert(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.school_id != current_user.school_id:
        abort(404)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            alerts.resolve(alert, current_user, form.note.data)
        except alerts.AlreadyResolved:
            flash(_("Someone resolved this alert already."), "warning")
        else:
            db.session.commit()
            flash(_("Alert resolved."), "success")
    else:
        flash(_("Say what happened to resolve the alert."), "error")
    return redirect(url_for("daily.board", _anchor=f"alert-{alert.id}"), 303)
