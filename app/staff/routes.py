"""Staff pages: the school's list of staff, adding and editing them, exemption, deactivation; a teacher's own
participation."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import importing
from app.access import get_for_school_or_404, roles_required
from app.accounts.models import Role, User
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import local_today
from app.schools.forms import ImportConfirmForm, ImportForm
from app.staff import bp, services
from app.staff.forms import (
    ExemptForm,
    OneOffWindowForm,
    ParticipationForm,
    RegularWindowForm,
    StaffForm,
    TeachingMinutesForm,
    WindowDeleteForm,
)
from app.staff.models import StaffProfile, StaffType
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
                           action_form=ConfirmForm())


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
                           member=member, exempt_form=form, action_form=ConfirmForm())


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def deactivate(user_id: int):
    member = _staff_member_or_404(user_id)
    if ConfirmForm().validate_on_submit():
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


# --- Availability: unavailable times and teaching minutes (the person themselves, or the school for them) ---


def _availability(profile: StaffProfile, *, member: User | None, page_url: str):
    """Show and handle the three forms of an availability page; which one was sent is told by its submit button."""
    regular = RegularWindowForm(prefix="regular", profile=profile)
    one_off = OneOffWindowForm(prefix="oneoff", profile=profile)
    teaching_allowed = profile.staff_type is not StaffType.PROVIDER
    teaching = TeachingMinutesForm(prefix="teaching", minutes=services.teaching_minutes_of(profile))
    if request.method == "POST":
        if regular.submit.data and regular.validate_on_submit():
            services.add_window(profile, weekday=regular.weekday.data, starts_at=regular.starts_at.data,
                                ends_at=regular.ends_at.data, reason=regular.reason.data or "")
            db.session.commit()
            flash(_("Regular unavailable time added."), "success")
            return redirect(page_url)
        if one_off.submit.data and one_off.validate_on_submit():
            services.add_window(profile, on_date=one_off.on_date.data, starts_at=one_off.starts_at.data,
                                ends_at=one_off.ends_at.data, reason=one_off.reason.data or "")
            db.session.commit()
            flash(_("Unavailable time added."), "success")
            return redirect(page_url)
        if teaching_allowed and teaching.submit.data and teaching.validate_on_submit():
            services.set_teaching_minutes(profile, teaching.minutes())
            db.session.commit()
            flash(_("Teaching minutes saved."), "success")
            return redirect(page_url)
    regular_windows, one_off_windows = services.windows_by_kind(profile, local_today())
    return render_template("staff/availability.html", profile=profile, member=member, regular=regular,
                           one_off=one_off, teaching=teaching if teaching_allowed else None,
                           regular_windows=regular_windows, one_off_windows=one_off_windows,
                           weekday_label=services.weekday_label)


def _remove_window(profile: StaffProfile) -> None:
    form = WindowDeleteForm()
    if form.validate_on_submit() and services.remove_window(profile, form.window_id.data):
        db.session.commit()
        flash(_("Unavailable time removed."), "info")
    else:
        flash(_("That time was already removed."), "info")


def _own_profile() -> StaffProfile:
    profile = current_user.staff_profile
    if profile is None:
        abort(404)
    return profile


@bp.route("/me/availability", methods=["GET", "POST"])
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def my_availability():
    return _availability(_own_profile(), member=None, page_url=url_for("staff.my_availability"))


@bp.route("/me/availability/remove", methods=["POST"])
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def remove_my_window():
    _remove_window(_own_profile())
    return redirect(url_for("staff.my_availability"))


@bp.route("/<int:user_id>/availability", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def availability(user_id: int):
    member = _staff_member_or_404(user_id)
    return _availability(member.staff_profile, member=member,
                         page_url=url_for("staff.availability", user_id=member.id))


@bp.route("/<int:user_id>/availability/remove", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def remove_window(user_id: int):
    member = _staff_member_or_404(user_id)
    _remove_window(member.staff_profile)
    return redirect(url_for("staff.availability", user_id=member.id))


# --- Teaching minutes from the timetable: upload (dry run), then confirm ---


@bp.route("/teaching-minutes/import")
@roles_required(Role.SCHOOL_ADMIN)
def import_teaching_minutes():
    return render_template("staff/teaching_import.html", form=ImportForm())


@bp.route("/teaching-minutes/template.csv")
@roles_required(Role.SCHOOL_ADMIN)
def teaching_minutes_template():
    return Response(services.teaching_minutes_template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=teaching-minutes-template.csv"})


@bp.route("/teaching-minutes/import", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def upload_teaching_minutes():
    """The dry run: every cell checked, nothing written; a clean file is kept on the server for confirming."""
    school = current_user.school
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("staff/teaching_import.html", form=form)
    upload = form.file.data
    try:
        entries = services.parse_teaching_minutes(upload.filename, upload.read())
    except importing.ImportFileError as error:
        return render_template("staff/teaching_import_report.html", file_error=error.message, result=None)
    result = services.check_teaching_minutes(school, entries)
    confirm_form = None
    if result.ok:
        token = importing.keep_pending(services.TEACHING_IMPORT_KIND, school, current_user.id, entries)
        confirm_form = ImportConfirmForm(formdata=None, token=token)
    return render_template("staff/teaching_import_report.html", file_error=None, result=result,
                           confirm_form=confirm_form, weekday_label=services.weekday_label)


@bp.route("/teaching-minutes/confirm", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def confirm_teaching_minutes():
    """Write a checked file after checking it again (staff may have changed meanwhile): all rows or none."""
    school = current_user.school
    form = ImportConfirmForm()
    entries = None
    if form.validate_on_submit():
        entries = importing.load_pending(form.token.data, kind=services.TEACHING_IMPORT_KIND, school=school,
                                         user_id=current_user.id)
    if entries is None:
        flash(_("This upload has expired or was already imported. Please upload the file again."), "error")
        return redirect(url_for("staff.import_teaching_minutes"))
    result = services.check_teaching_minutes(school, entries)
    importing.forget_pending(form.token.data)
    if not result.ok:
        return render_template("staff/teaching_import_report.html", file_error=None, result=result,
                               confirm_form=None, weekday_label=services.weekday_label)
    count = services.write_teaching_minutes(school, result.rows)
    db.session.commit()
    flash(_("Teaching minutes saved for %(count)d staff members.", count=count), "success")
    return redirect(url_for("staff.index"))
