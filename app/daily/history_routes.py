"""A child's day for the family, the class's day for the class teacher, monthly attendance exports."""

from flask import Response, abort, render_template, request

from app.access import chosen_school_or_404, roles_required, schools_to_choose
from app.accounts.models import Role
from app.daily import attendance_export, bp, history, words
from app.daily.access import child_of_guardian_or_404
from app.models_base import local_today
from app.params import bounded_int, date_arg, month_arg
from app.rosters.exports import XLSX_MIMETYPE


@bp.route("/children/<int:student_id>/days")
@roles_required(Role.GUARDIAN)
def child_days(student_id: int):
    student = child_of_guardian_or_404(student_id)
    today = local_today()
    day = date_arg("date") or today
    month = month_arg("month") or day.replace(day=1)
    return render_template("daily/child_days.html", student=student, today=today, shown=history.child_day(student, day),
                           month=month, history=history.child_month(student, month),
                           months=history.months_around(month, today))


@bp.route("/classes/<int:class_id>/day")
@roles_required(Role.SCHOOL_ADMIN, class_teacher=True)
def class_day(class_id: int):
    school_class = history.class_to_see_or_404(class_id)
    day = date_arg("date") or local_today()
    return render_template("daily/class_day.html", school_class=school_class, day=day, today=local_today(),
                           children=history.class_day(school_class, day),
                           school_day=history.is_school_day(school_class.school_id, day))


@bp.route("/attendance")
@roles_required(Role.SCHOOL_ADMIN, Role.COUNTY_OFFICER)
def attendance():
    school = chosen_school_or_404(request.args.get("school_id", type=bounded_int))
    return render_template("daily/attendance.html", school=school,
                           schools=schools_to_choose(),
                           months=attendance_export.months_of(school, local_today()))


@bp.route("/attendance.xlsx")
@roles_required(Role.SCHOOL_ADMIN, Role.COUNTY_OFFICER)
def attendance_xlsx():
    school = chosen_school_or_404(request.args.get("school_id", type=bounded_int))
    if school is None:
        abort(404)
    month = month_arg("month") or local_today().replace(day=1)
    by = request.args.get("by", "class")
    if by not in attendance_export.GROUPINGS:
        abort(400)
    content = attendance_export.workbook(school, month, by)
    name = f"attendance-{school.code}-{month:%Y-%m}-{by}.xlsx"
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.app_template_global()
def history_mark_word(mark) -> str:
    return words.mark_label(mark.status) if mark is not None else ""


@bp.app_template_global()
def history_sign_out_word(sign_out) -> str:
    return str(history.METHOD_WORDS[sign_out.method])

