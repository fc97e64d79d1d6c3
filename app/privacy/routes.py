"""Privacy pages: a guardian withdraws separate consent for a child's health notes, downloads their data, asks
for deletion."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.access import roles_required
from app.accounts.models import Role
from app.audit import services as audit
from app.enrolment import need_to_know
from app.enrolment.models import Application
from app.extensions import db
from app.privacy import bp, deletion, export, services
from app.privacy.forms import AcceptNoticeForm, DeleteForm, PublishNoticeForm

guardian_only = roles_required(Role.GUARDIAN)


def family_application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not need_to_know.is_family(current_user, application):
        abort(404)
    return application


@bp.route("/consent/<int:application_id>/withdraw", methods=["POST"])
@guardian_only
def withdraw_health_consent(application_id: int):
    """Withdraw one separate consent (the form's `field`: health notes by default, or the family's situation)."""
    application = family_application_or_404(application_id)
    field = request.form.get("field", services.HEALTH_NOTES)
    if field not in services.SENSITIVE_FIELDS:
        abort(404)
    if services.withdraw_consent(application, field):
        audit.security("consent_withdrawn", subject=f"application {application.id} {field}")
        db.session.commit()
        if field == services.HEALTH_NOTES:
            flash(_("Consent withdrawn: the health notes for %(name)s have been erased. The staff no longer see "
                    "them.", name=application.student.name), "success")
        else:
            flash(_("Consent withdrawn: what you told the school about your family's situation for %(name)s has been "
                    "erased, and a hardship request not yet decided is withdrawn. The child no longer counts in those "
                    "priority groups.", name=application.student.name), "success")
    else:
        flash(_("There was no consent to withdraw."), "info")
    return redirect(url_for("enrolment.application", application_id=application.id))


@bp.route("/my-data")
@guardian_only
def my_data():
    data = export.my_data(current_user)
    return render_template("privacy/my_data.html", data=data)


@bp.route("/my-data.json")
@guardian_only
def my_data_json():
    audit.export("my_data_json", "guardian's own data")
    db.session.commit()
    return Response(export.my_data_json(current_user), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=my-data.json"})


@bp.route("/my-data.xlsx")
@guardian_only
def my_data_xlsx():
    audit.export("my_data_xlsx", "guardian's own data")
    db.session.commit()
    return Response(export.my_data_xlsx(current_user), mimetype=export.XLSX_MIMETYPE,
                    headers={"Content-Disposition": "attachment; filename=my-data.xlsx"})


@bp.route("/delete", methods=["GET", "POST"])
@guardian_only
def delete_account():
    """The reasons first (what is erased, what the school keeps anonymised and why); then the password again."""
    form = DeleteForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("The password is not right."))
        else:
            audit.security("account_erased", subject=f"user {current_user.id}")  # before the links go
            deletion.erase_guardian(current_user)
            db.session.commit()
            logout_user()
            flash(_("Your account is closed and your family's data erased; fee records the school must keep no "
                    "longer carry personal details."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("privacy/delete.html", form=form, plan=deletion.plan(current_user))


# --- The privacy notice ---

# A guardian who has not accepted the current notice reads it before applying (their data rights stay open).
GATED_BLUEPRINTS = {"enrolment"}
OPEN_ENDPOINTS = {"enrolment.inbox"}


@bp.before_app_request
def notice_first():
    endpoint = request.endpoint or ""
    if (not current_user.is_authenticated or current_user.role is not Role.GUARDIAN
            or endpoint.split(".")[0] not in GATED_BLUEPRINTS or endpoint in OPEN_ENDPOINTS):
        return None
    if services.has_accepted_current(current_user):
        return None
    flash(_("Please read the privacy notice and accept it before applying."), "info")
    return redirect(url_for("privacy.notice", next=request.full_path if request.method == "GET" else None))


@bp.route("/notice")
def notice():
    accepted = (current_user.is_authenticated and current_user.role is Role.GUARDIAN
                and services.has_accepted_current(current_user))
    return render_template("privacy/notice.html", notice=services.current_notice(),
                           versions=services.notice_versions(), form=AcceptNoticeForm(), accepted=accepted)


@bp.route("/notice/accept", methods=["POST"])
@guardian_only
def accept_notice():
    form = AcceptNoticeForm()
    if form.validate_on_submit():
        acceptance = services.accept_current(current_user)
        db.session.commit()
        flash(_("Thank you: you accepted version %(v)d of the privacy notice.", v=acceptance.notice_version),
              "success")
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.dashboard")
    return redirect(target)


@bp.route("/notice/publish", methods=["GET", "POST"])
@roles_required(Role.COUNTY_OFFICER)
def publish_notice():
    form = PublishNoticeForm()
    if request.method == "GET":
        form.body.data = services.current_notice().body
    if form.validate_on_submit():
        notice = services.publish_notice(form.body.data, current_user)
        db.session.commit()
        flash(_("Version %(v)d of the privacy notice is published; guardians accept it before applying again.",
                v=notice.version), "success")
        return redirect(url_for("privacy.notice"))
    return render_template("privacy/publish_notice.html", form=form, notice=services.current_notice())
