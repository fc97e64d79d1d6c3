"""School pages: classes, students, settings and calendar, imports; the class teacher's class; guardians binding a
child; the county's view of its schools."""

from collections.abc import Callable
from functools import wraps

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app import params
from app.access import get_for_county_or_404, get_for_school_or_404, roles_required
from app.accounts.models import GuardianLink, Relationship, Role
from app.extensions import db, limiter
from app.forms_common import ConfirmForm
from app.importing import ImportFileError, forget_pending, keep_pending, load_pending
from app.models_base import local_time
from app.schools import bp, importing, services
from app.schools.forms import (
    HOLIDAY_KIND_LABELS,
    RELATIONSHIP_LABELS,
    BindChildForm,
    ClassForm,
    ClassTeacherForm,
    HolidayForm,
    ImportConfirmForm,
    ImportForm,
    SettingsForm,
    StudentForm,
    TermForm,
)
from app.schools.models import Holiday, HolidayKind, School, SchoolClass, Student, Term
from app.staff.services import STAFF_TYPE_LABELS

# --- Classes ---


@bp.route("/classes", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def classes():
    school = current_user.school
    form = ClassForm(school=school)
    if form.validate_on_submit():
        services.add_class(school, form.grade.data, form.number.data)
        db.session.commit()
        flash(_("Class added."), "success")
        return redirect(url_for("schools.classes"))
    teachers = services.teachers_of(school)
    teacher_forms = {c.id: ClassTeacherForm(teachers=teachers, teacher=c.class_teacher_id or 0, formdata=None)
                     for c in services.classes_of(school)}
    return render_template("schools/classes.html", school=school, form=form, classes=services.classes_of(school),
                           counts=services.student_counts(school), teacher_forms=teacher_forms)


@bp.route("/classes/<int:class_id>/teacher", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def class_teacher(class_id: int):
    school_class = get_for_school_or_404(SchoolClass, class_id)
    teachers = services.teachers_of(current_user.school)
    form = ClassTeacherForm(teachers=teachers)
    if form.validate_on_submit():
        chosen = next((t for t in teachers if t.id == form.teacher.data), None)
        services.set_class_teacher(school_class, chosen)
        db.session.commit()
        flash(_("Class teacher saved."), "success")
    else:
        flash(_("Please choose a teacher of this school."), "error")
    return redirect(url_for("schools.classes"))


# --- Students ---


@bp.route("/students")
@roles_required(Role.SCHOOL_ADMIN)
def students():
    school = current_user.school
    class_id = request.args.get("class_id", type=params.bounded_int)
    query = request.args.get("q", "").strip()[:50]
    page_number = request.args.get("page", 1, type=params.bounded_int)
    page = services.search_students(school, class_id=class_id, query=query, page=page_number)
    return render_template("schools/students.html", school=school, page=page, classes=services.classes_of(school),
                           class_id=class_id, query=query)


@bp.route("/students/new", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def add_student():
    school = current_user.school
    form = StudentForm(school=school, class_id=request.args.get("class_id", type=params.bounded_int))
    if not form.class_id.choices:
        flash(_("Add a class first."), "info")
        return redirect(url_for("schools.classes"))
    if form.validate_on_submit():
        school_class = get_for_school_or_404(SchoolClass, form.class_id.data)
        services.add_student(school_class, form.student_number.data, form.name.data, form.mobiles)
        db.session.commit()
        flash(_("Student %(name)s added.", name=form.name.data), "success")
        return redirect(url_for("schools.students", class_id=school_class.id))
    return render_template("schools/student_form.html", form=form, student=None)


@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def edit_student(student_id: int):
    student = get_for_school_or_404(Student, student_id)
    form = StudentForm(school=current_user.school, student=student, obj=student)
    if form.validate_on_submit():
        school_class = get_for_school_or_404(SchoolClass, form.class_id.data)
        services.update_student(student, school_class, form.student_number.data, form.name.data, form.mobiles)
        db.session.commit()
        flash(_("Student saved."), "success")
        return redirect(url_for("schools.students", class_id=school_class.id))
    return render_template("schools/student_form.html", form=form, student=student, delete_form=ConfirmForm())


@bp.route("/students/<int:student_id>/delete", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def delete_student(student_id: int):
    student = get_for_school_or_404(Student, student_id)
    if ConfirmForm().validate_on_submit():
        name = student.name
        services.delete_student(student)
        db.session.commit()
        flash(_("Student %(name)s deleted.", name=name), "success")
    return redirect(url_for("schools.students"))


# --- Settings and calendar ---


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def settings():
    school = current_user.school
    form = SettingsForm(obj=school)
    if form.validate_on_submit():
        services.update_settings(school, name=form.name.data, address=form.address.data or "",
                                 work_end_winter=form.work_end_winter.data, work_end_summer=form.work_end_summer.data,
                                 summer_starts=form.summer_starts.data, winter_starts=form.winter_starts.data)
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("schools.settings"))
    return render_template("schools/settings.html", school=school, form=form, delete_form=ConfirmForm(),
                           holiday_labels=HOLIDAY_KIND_LABELS)


@bp.route("/terms/new", methods=["GET", "POST"], defaults={"term_id": None}, endpoint="new_term")
@bp.route("/terms/<int:term_id>", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def edit_term(term_id: int | None):
    school = current_user.school
    term = get_for_school_or_404(Term, term_id) if term_id is not None else None
    form = TermForm(school=school, term=term, obj=term)
    if form.validate_on_submit():
        services.save_term(school, term, name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data)
        db.session.commit()
        flash(_("Term saved."), "success")
        return redirect(url_for("schools.settings"))
    return render_template("schools/dates_form.html", form=form, title=_("Term"))


@bp.route("/holidays/new", methods=["GET", "POST"], defaults={"holiday_id": None}, endpoint="new_holiday")
@bp.route("/holidays/<int:holiday_id>", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_ADMIN)
def edit_holiday(holiday_id: int | None):
    school = current_user.school
    holiday = get_for_school_or_404(Holiday, holiday_id) if holiday_id is not None else None
    form = HolidayForm(obj=holiday)
    if holiday is not None and request.method == "GET":
        form.kind.data = holiday.kind.value
    if form.validate_on_submit():
        services.save_holiday(school, holiday, kind=HolidayKind(form.kind.data), name=form.name.data,
                              starts_on=form.starts_on.data, ends_on=form.ends_on.data)
        db.session.commit()
        flash(_("Holiday saved."), "success")
        return redirect(url_for("schools.settings"))
    return render_template("schools/dates_form.html", form=form, title=_("Holiday"))


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def delete_term(term_id: int):
    return _delete_calendar_entry(get_for_school_or_404(Term, term_id), _("Term deleted."))


@bp.route("/holidays/<int:holiday_id>/delete", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def delete_holiday(holiday_id: int):
    return _delete_calendar_entry(get_for_school_or_404(Holiday, holiday_id), _("Holiday deleted."))


def _delete_calendar_entry(entry: Term | Holiday, message: str):
    if ConfirmForm().validate_on_submit():
        services.delete_calendar_entry(entry)
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("schools.settings"))


# --- Import ---


def _import_kind_or_404(kind: str) -> str:
    if kind not in importing.KINDS:
        abort(404)
    return kind


@bp.route("/import")
@roles_required(Role.SCHOOL_ADMIN)
def import_data():
    return render_template("schools/import.html", forms={kind: ImportForm(prefix=kind) for kind in importing.KINDS})


@bp.route("/import/<kind>/template.csv")
@roles_required(Role.SCHOOL_ADMIN)
def import_template(kind: str):
    _import_kind_or_404(kind)
    return Response(importing.template_csv(kind), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={kind}-template.csv"})


@bp.route("/import/<kind>", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def import_upload(kind: str):
    """The dry run: read and check every row, write nothing; a clean file is kept on the server for confirming."""
    _import_kind_or_404(kind)
    school = current_user.school
    form = ImportForm(prefix=kind)
    if not form.validate_on_submit():
        forms = {k: (form if k == kind else ImportForm(prefix=k, formdata=None)) for k in importing.KINDS}
        return render_template("schools/import.html", forms=forms)
    upload = form.file.data
    try:
        rows = importing.parse(kind, upload.filename, upload.read())
    except ImportFileError as error:
        return render_template("schools/import_report.html", kind=kind, file_error=error.message, result=None)
    result = importing.CHECKS[kind](school, rows)
    confirm_form = None
    if result.ok:
        confirm_form = ImportConfirmForm(formdata=None,
                                         token=keep_pending(kind, school, current_user.id, rows))
    return render_template("schools/import_report.html", kind=kind, file_error=None, result=result,
                           confirm_form=confirm_form, staff_type_labels=STAFF_TYPE_LABELS)


@bp.route("/import/<kind>/confirm", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def import_confirm(kind: str):
    """Write a checked file: all rows in one transaction, after checking them again."""
    _import_kind_or_404(kind)
    school = current_user.school
    form = ImportConfirmForm()
    rows = None
    if form.validate_on_submit():
        rows = load_pending(form.token.data, kind=kind, school=school, user_id=current_user.id)
    if rows is None:
        flash(_("This upload has expired or was already imported. Please upload the file again."), "error")
        return redirect(url_for("schools.import_data"))
    result = importing.CHECKS[kind](school, rows)
    if not result.ok:
        forget_pending(form.token.data)
        return render_template("schools/import_report.html", kind=kind, file_error=None, result=result,
                               confirm_form=None, staff_type_labels=STAFF_TYPE_LABELS)
    credentials = importing.write_rows(result, school)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone changed the same records meanwhile; nothing was imported. Please upload the file again."),
              "error")
        return redirect(url_for("schools.import_data"))
    forget_pending(form.token.data)
    flash(_("%(count)d rows imported.", count=len(result.rows)), "success")
    if kind == "staff":
        # The generated passwords exist only in this response: shown once, never stored in clear.
        return render_template("staff/credentials.html", credentials=credentials)
    return redirect(url_for("schools.students"))


# --- The class teacher's class ---


def class_teacher_required(view: Callable) -> Callable:
    """A teacher who leads at least one class; other teachers get 403."""

    @wraps(view)
    @roles_required(Role.TEACHER)
    def wrapped(*args, **kwargs):
        if not current_user.is_class_teacher:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _link_of_my_class_or_404(link_id: int) -> GuardianLink:
    link = db.session.get(GuardianLink, link_id)
    if link is None:
        abort(404)
    student = get_for_school_or_404(Student, link.student_id)
    if student.school_class.class_teacher_id != current_user.id:
        abort(404)
    return link


@bp.route("/my-class")
@class_teacher_required
def my_class():
    led = sorted(current_user.classes_led, key=lambda c: (c.grade.number, c.number))
    return render_template("schools/my_class.html", classes=led, links=services.links_of_classes(led),
                           action_form=ConfirmForm(), relationship_labels=RELATIONSHIP_LABELS)


@bp.route("/links/<int:link_id>/verify", methods=["POST"])
@class_teacher_required
def verify_link(link_id: int):
    link = _link_of_my_class_or_404(link_id)
    if ConfirmForm().validate_on_submit():
        services.verify_link(link, current_user)
        db.session.commit()
        flash(_("%(guardian)s is confirmed as a guardian of %(student)s.", guardian=link.guardian.name,
                student=link.student.name), "success")
    return redirect(url_for("schools.my_class"))


@bp.route("/links/<int:link_id>/reject", methods=["POST"])
@class_teacher_required
def reject_link(link_id: int):
    link = _link_of_my_class_or_404(link_id)
    if link.verified:  # a confirmed guardian is not rejected; the guardian may unbind the child themselves
        flash(_("%(guardian)s is already confirmed as a guardian of %(student)s.", guardian=link.guardian.name,
                student=link.student.name), "error")
    elif ConfirmForm().validate_on_submit():
        guardian, student = link.guardian.name, link.student.name
        services.reject_link(link, current_user)
        db.session.commit()
        flash(_("The link of %(guardian)s to %(student)s was rejected.", guardian=guardian, student=student), "info")
    return redirect(url_for("schools.my_class"))


# --- Guardians binding a child ---

BINDING_CODE_RATE_LIMIT = "10 per hour"


@bp.route("/students/<int:student_id>/binding-code", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN, class_teacher=True)
def binding_code(student_id: int):
    """Make a new binding code for the child and show it once, to print or copy for the family."""
    student = get_for_school_or_404(Student, student_id)
    if current_user.role != Role.SCHOOL_ADMIN and student.school_class.class_teacher_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("schools.my_class" if current_user.role == Role.TEACHER else "schools.students"))
    code, record = services.issue_binding_code(student, current_user)
    db.session.commit()
    response = Response(render_template("schools/binding_code.html", student=student, code=code,
                                        expires_on=local_time(record.expires_at).date()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _guardian_key() -> str:
    return f"guardian:{current_user.get_id()}"


def _no_binding_code() -> bool:
    return not services.normalise_binding_code(request.form.get("binding_code", ""))


@bp.route("/bind-child", methods=["GET", "POST"])
@roles_required(Role.GUARDIAN)
@limiter.limit("30 per hour", methods=["POST"], error_message="too many attempts to bind a child")
# Entering binding codes: few tries per account, so that codes cannot be guessed from one login.
@limiter.limit(BINDING_CODE_RATE_LIMIT, key_func=_guardian_key, methods=["POST"], exempt_when=_no_binding_code,
               error_message="too many binding codes entered")
def bind_child():
    form = BindChildForm(guardian=current_user, schools=services.schools_for_binding())
    if form.validate_on_submit():
        link = services.bind_child(current_user, form.student, Relationship(form.relationship.data), code=form.code)
        db.session.commit()
        if form.code is not None:
            flash(_("%(name)s is bound with the school's binding code.", name=form.student.name), "success")
        elif link.verified:
            flash(_("%(name)s is bound: your mobile number is one the school has for the child.",
                    name=form.student.name), "success")
        else:
            flash(_("Request sent: %(name)s is waiting for the class teacher to confirm.", name=form.student.name),
                  "success")
        return redirect(url_for("schools.bind_child"))
    return render_template("schools/bind_child.html", form=form, links=current_user.guardian_links,
                           relationship_labels=RELATIONSHIP_LABELS)


@bp.route("/children/<int:link_id>/unbind", methods=["POST"])
@roles_required(Role.GUARDIAN)
def unbind_child(link_id: int):
    link = db.session.get(GuardianLink, link_id)
    if link is None or link.guardian_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        name = link.student.name
        services.unbind_child(link)
        db.session.commit()
        flash(_("%(name)s is no longer bound to your account.", name=name), "info")
    return redirect(url_for("schools.bind_child"))


# --- County ---


@bp.route("/county")
@roles_required(Role.COUNTY_OFFICER)
def county_schools():
    county = current_user.county
    return render_template("schools/county_schools.html", county=county,
                           figures=services.school_figures(list(county.schools)))


@bp.route("/county/<int:school_id>")
@roles_required(Role.COUNTY_OFFICER)
def county_school(school_id: int):
    school = get_for_county_or_404(School, school_id)
    (figures,) = services.school_figures([school])
    return render_template("schools/county_school.html", school=school, figures=figures,
                           classes=services.classes_of(school), counts=services.student_counts(school))
