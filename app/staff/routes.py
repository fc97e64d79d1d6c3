"""Staff pages: the school's list of staff, adding and editing them, exemption, deactivation; a teacher's own
participation."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import get_for_school_or_404, roles_required
from app.accounts.models import Role, User
from app.extensions import db
from app.schools.forms import ActionForm
from app.staff import bp, services
from app.staff.forms import ExemptForm, ParticipationForm, StaffForm
from app.staff.models import StaffType
from app.staff.services import STAFF_TYPE_LABELS
from scheduling.policy import TEACHER_MAX_DAYS, TEACHER_MAX_WEEKLY_MINUTES


def _staff_member_or_404(user_id: int) -> User:
    """A staff account of the current school (another school's, or a non-staff account, is a 404)."""
    user = get_for_school_or_404(User, user_id)
    if user.role is not Role.TEACHER or user.staff_profile is None:
        abort(404)
    return user


@bp.route("/")
@roles_required(Role.SCHOOL_ADMIN)
def index():
    return render_template("staff/index.html", staff=services.staff_of(current_user.school),
                           type_labels=STAFF_TYPE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def new():
    form = StaffForm()
    if form.validate_on_submit():
        password = form.password.data or services.generate_password()
        user = services.create_staff(
            current_user.school, name=form.name.data, mobile=form.mobile.data, staff_type=form.staff_type.data,
            password=password, subjects=form.subjects.data, skills=form.skills.data,
            max_weekly_minutes=form.max_weekly_minutes.data, max_days=form.max_days.data)
        db.session.commit()
        flash(_("Account created for %(name)s.", name=user.name), "success")
        if form.password.data:
            return redirect(url_for("staff.index"))
        # A generated password is shown in this response only, once; it is never stored in clear.
        credentials = [services.Credential(user.name, user.mobile, password)]
        return render_template("staff/credentials.html", credentials=credentials)
    return render_template("staff/form.html", form=form, member=None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def edit(user_id: int):
    member = _staff_member_or_404(user_id)
    profile = member.staff_profile
    form = StaffForm(user=member, obj=profile, name=member.name, mobile=member.mobile)
    if not form.is_submitted():
        form.staff_type.data = profile.staff_type.value
    if form.validate_on_submit():
        services.update_staff(member, name=form.name.data, mobile=form.mobile.data, staff_type=form.staff_type.data,
                              subjects=form.subjects.data, skills=form.skills.data,
                              max_weekly_minutes=form.max_weekly_minutes.data, max_days=form.max_days.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("staff.index"))
    exempt_form = ExemptForm(formdata=None, exempt=profile.exempt, reason=profile.exempt_reason)
    return render_template("staff/form.html", form=form, member=member, exempt_form=exempt_form,
                           action_form=ActionForm())


@bp.route("/<int:user_id>/exempt", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def exempt(user_id: int):
    member = _staff_member_or_404(user_id)
    form = ExemptForm()
    if form.validate_on_submit():
        services.set_exempt(member.staff_profile, form.exempt.data, form.reason.data or "")
        db.session.commit()
        flash(_("Exemption saved."), "success")
        return redirect(url_for("staff.edit", user_id=member.id))
    return render_template("staff/form.html", form=StaffForm(user=member, formdata=None, obj=member.staff_profile,
                                                             name=member.name, mobile=member.mobile,
                                                             staff_type=member.staff_profile.staff_type.value),
                           member=member, exempt_form=form, action_form=ActionForm())


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def deactivate(user_id: int):
    member = _staff_member_or_404(user_id)
    if ActionForm().validate_on_submit():
        services.deactivate(member)
        db.session.commit()
        flash(_("The account of %(name)s is deactivated: it can no longer log in.", name=member.name), "info")
    return redirect(url_for("staff.index"))


@bp.route("/me", methods=["GET", "POST"])
@roles_required(Role.TEACHER)
def my_profile():
    profile = current_user.staff_profile
    if profile is None:
        abort(404)
    in_service = profile.staff_type is StaffType.TEACHER
    form = ParticipationForm(obj=profile, exempt=profile.exempt, in_service=in_service)
    if form.validate_on_submit():
        limits = {} if in_service else {"max_weekly_minutes": form.max_weekly_minutes.data,
                                        "max_days": form.max_days.data}
        services.update_participation(profile, opted_in=form.opted_in.data, skills=form.skills.data, **limits)
        db.session.commit()
        flash(_("You take part in after-school service this term.") if profile.opted_in
              else _("You do not take part in after-school service this term."), "success")
        return redirect(url_for("staff.my_profile"))
    return render_template("staff/my_profile.html", form=form, profile=profile, type_labels=STAFF_TYPE_LABELS,
                           teacher_max_minutes=TEACHER_MAX_WEEKLY_MINUTES, teacher_max_days=TEACHER_MAX_DAYS)
