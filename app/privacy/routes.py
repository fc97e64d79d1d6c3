"""Privacy pages: a guardian withdraws separate consent for a child's health notes, downloads their data, asks
for deletion."""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.access import roles_required
from app.accounts.models import Role
from app.enrolment import need_to_know
from app.enrolment.models import Application
from app.extensions import db
from app.privacy import bp, deletion, export, services
from app.privacy.forms import DeleteForm

guardian_only = roles_required(Role.GUARDIAN)


def family_application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not need_to_know.is_family(current_user, application):
        abort(404)
    return application


@bp.route("/consent/<int:application_id>/withdraw", methods=["POST"])
@guardian_only
def withdraw_health_consent(application_id: int):
    application = family_application_or_404(application_id)
    if services.withdraw_health_consent(application):
        db.session.commit()
        flash(_("Consent withdrawn: the health notes for %(name)s have been erased. The staff no longer see them.",
                name=application.student.name), "success")
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
    return Response(export.my_data_json(current_user), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=my-data.json"})


@bp.route("/my-data.xlsx")
@guardian_only
def my_data_xlsx():
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
            deletion.erase_guardian(current_user)
            db.session.commit()
            logout_user()
            flash(_("Your account is closed and your family's data erased; fee records the school must keep no "
                    "longer carry personal details."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("privacy/delete.html", form=form, plan=deletion.plan(current_user))
