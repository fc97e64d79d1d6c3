"""Rosters pages (the coordinator's side): templates, settings, plan the week, generate, adjust, publish."""

from datetime import timedelta

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import params
from app.access import chosen_school_or_404, get_for_school_or_404, roles_required, schools_to_choose
from app.accounts.models import Role
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import local_today
from app.rosters import bp, coverage, jobs, services, words
from app.rosters.expected import expected_by_session
from app.rosters.forms import (
    OpenWeekForm,
    PinForm,
    PublishForm,
    SessionForm,
    SettingsForm,
    SwapForm,
    TemplateForm,
    WhatIfForm,
)
from app.rosters.models import (
    Assignment,
    PlannedSession,
    RosterJob,
    RosterJobKind,
    RosterVersion,
    SessionTemplate,
    Week,
    staff_key,
)
from app.schools.models import SchoolClass
from app.staff.models import StaffProfile

admin_only = roles_required(Role.SCHOOL_ADMIN)
words.register(bp)  # job statuses and rule codes in the user's words, for every template


def _week_child_or_404(model, object_id: int):
    """A session, assignment or job, 404 unless its week belongs to the user's school."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    week_id = obj.session.week_id if isinstance(obj, Assignment) else obj.week_id
    get_for_school_or_404(Week, week_id)
    return obj


def _classes(ids: list[int]) -> list[SchoolClass]:
    return list(db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_(ids or [0]), SchoolClass.school_id == current_user.school_id)))


# --- Start: weeks, templates, settings ---------------------------------------------------------


@bp.route("/")
@admin_only
def index():
    school = current_user.school
    weeks = db.session.scalars(select(Week).filter_by(school_id=school.id).order_by(Week.monday.desc())).all()
    templates = db.session.scalars(
        select(SessionTemplate).filter_by(school_id=school.id).order_by(SessionTemplate.id)).all()
    form = OpenWeekForm(data={"day": local_today() + timedelta(days=7)})
    return render_template("rosters/index.html", weeks=weeks, templates=templates, form=form,
                           session_shape=services.session_shape)


@bp.route("/weeks", methods=["POST"])
@admin_only
def open_week():
    form = OpenWeekForm()
    if not form.validate_on_submit():
        flash(_("Choose a date."), "error")
        return redirect(url_for("rosters.index"))
    week = services.open_week(current_user.school, form.day.data)
    db.session.commit()
    return redirect(url_for("rosters.week", week_id=week.id))


def _fill_template(template: SessionTemplate, form: TemplateForm) -> None:
    for name in ("series", "starts_at", "ends_at", "kind", "activity", "room", "weekdays", "typed_enrolled",
                 "staff_needed"):
        setattr(template, name, getattr(form, name).data)
    template.subject = form.subject.data or ""
    template.classes = _classes(form.classes.data)


@bp.route("/templates/new", methods=["GET", "POST"])
@admin_only
def new_template():
    form = TemplateForm(school=current_user.school)
    if form.validate_on_submit():
        template = SessionTemplate(school_id=current_user.school_id)
        _fill_template(template, form)
        db.session.add(template)
        db.session.commit()
        flash(_("Template saved."), "success")
        return redirect(url_for("rosters.index"))
    return render_template("rosters/template_form.html", form=form, template=None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_template(template_id: int):
    template = get_for_school_or_404(SessionTemplate, template_id)
    form = TemplateForm(school=current_user.school, obj=None if request.method == "POST" else template)
    if request.method == "GET":
        form.classes.data = [c.id for c in template.classes]
        form.subject.data = template.subject
    if form.validate_on_submit():
        _fill_template(template, form)
        db.session.commit()
        flash(_("Template saved."), "success")
        return redirect(url_for("rosters.index"))
    return render_template("rosters/template_form.html", form=form, template=template)


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@admin_only
def delete_template(template_id: int):
    template = get_for_school_or_404(SessionTemplate, template_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(template)
        db.session.commit()
        flash(_("Template deleted. Weeks already planned keep their sessions."), "success")
    return redirect(url_for("rosters.index"))


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    record = services.settings_for(current_user.school)
    form = SettingsForm()
    if request.method == "GET":
        form.default_ratio.data = record.default_ratio
        form.ratio_evening_study.data = record.ratios.get("evening_study")
        form.ratio_holiday_care.data = record.ratios.get("holiday_care")
        form.subsidy_yuan_per_hour.data = record.subsidy_cents_per_hour // 100
        form.rest_threshold_minutes.data = record.rest_threshold_minutes
        form.rest_earned_minutes.data = record.rest_earned_minutes
        form.register_alert_minutes.data = record.register_alert_minutes
        form.pickup_grace_minutes.data = record.pickup_grace_minutes
    if form.validate_on_submit():
        record.default_ratio = form.default_ratio.data
        record.ratios = {k: v for k, v in (("evening_study", form.ratio_evening_study.data),
                                           ("holiday_care", form.ratio_holiday_care.data)) if v}
        record.subsidy_cents_per_hour = form.subsidy_yuan_per_hour.data * 100
        record.rest_threshold_minutes = form.rest_threshold_minutes.data
        record.rest_earned_minutes = form.rest_earned_minutes.data
        record.register_alert_minutes = form.register_alert_minutes.data
        record.pickup_grace_minutes = form.pickup_grace_minutes.data
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("rosters.index"))
    db.session.commit()  # the defaults row, when created just now
    return render_template("rosters/settings.html", form=form)


# --- Every school day covered (the principal and coordinators: own school; the county: its schools) -------------


@bp.route("/coverage")
@roles_required(Role.SCHOOL_ADMIN, Role.COUNTY_OFFICER)
def coverage_gaps():
    school = chosen_school_or_404(request.args.get("school_id", type=params.bounded_int))
    if school is None:
        return render_template("rosters/coverage.html", school=None, schools=schools_to_choose())
    period = coverage.period_of(school, request.args.get("term", type=params.bounded_int), params.date_arg("week"),
                                local_today())
    gaps = coverage.coverage_gaps(school, period.first, period.last)
    classes = {c.id: c for c in db.session.scalars(select(SchoolClass).filter_by(school_id=school.id))}
    return render_template("rosters/coverage.html", school=school, schools=schools_to_choose(),
                           period=period, gaps=gaps, classes=classes,
                           offerings=services.declared_offerings(school, period.first, period.last))


# --- Plan the week -----------------------------------------------------------------------------


@bp.route("/weeks/<int:week_id>")
@admin_only
def week(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    return render_template("rosters/week.html", week=week, problems=services.plan_problems(week),
                           expected=expected_by_session(s.id for s in week.sessions), confirm_form=ConfirmForm())


@bp.route("/weeks/<int:week_id>/sessions/generate", methods=["POST"])
@admin_only
def generate_sessions(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    if ConfirmForm().validate_on_submit():
        kept = services.days_with_records(week)
        made, skipped = services.generate_sessions(week)
        db.session.commit()
        flash(_("%(made)s sessions planned from the templates; %(skipped)s days skipped (not school days).",
                made=made, skipped=skipped), "success")
        if kept:
            flash(_("Sessions of %(days)s were kept as they were: their registers, sign-outs or incidents are "
                    "already recorded. Change those days' sessions one by one.",
                    days="、".join(d.isoformat() for d in kept)), "warning")
    return redirect(url_for("rosters.week", week_id=week.id))


@bp.route("/weeks/<int:week_id>/sessions/new", methods=["GET", "POST"])
@admin_only
def new_session(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    form = SessionForm(school=week.school, week=week)
    if request.method == "GET":
        form.on_date.data = week.monday
    if form.validate_on_submit():
        session = PlannedSession(on_date=form.on_date.data, starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                                 kind=form.kind.data, activity=form.activity.data, subject=form.subject.data or "",
                                 room=form.room.data or "", series=form.series.data, enrolled=form.enrolled.data,
                                 staff_needed=form.staff_needed.data, classes=_classes(form.classes.data))
        week.sessions.append(session)
        db.session.commit()
        flash(_("Session added."), "success")
        return redirect(url_for("rosters.week", week_id=week.id))
    return render_template("rosters/session_form.html", form=form, week=week)


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@admin_only
def delete_session(session_id: int):
    session = _week_child_or_404(PlannedSession, session_id)
    week_id = session.week_id
    if ConfirmForm().validate_on_submit():
        db.session.delete(session)
        db.session.commit()
        flash(_("Session removed."), "success")
    return redirect(url_for("rosters.week", week_id=week_id))


# --- Generate, explain, adjust, publish --------------------------------------------------------


def _people_choices(week: Week) -> list[tuple[int, str]]:
    return [(p.id, p.user.name) for p in services.roster_staff(week.school, week.monday)]


@bp.route("/weeks/<int:week_id>/roster")
@admin_only
def roster(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    working = services.working_roster(week) if week.sessions else None
    people = _people_choices(week)
    pin_form = PinForm()
    pin_form.session_id.choices = [(s.id, f"{s.on_date} {s.starts_at:%H:%M} {s.series}") for s in week.sessions]
    pin_form.profile_id.choices = people
    swap_form = SwapForm()
    choices = [(a.id, f"{a.profile.user.name} · {s.on_date} {s.starts_at:%H:%M} {s.series}")
               for s in week.sessions for a in s.assignments]
    swap_form.first.choices = swap_form.second.choices = choices
    whatif_form = WhatIfForm(people=[(staff_key(pid), name) for pid, name in people])
    latest_job = next((j for j in reversed(week.jobs) if j.kind is RosterJobKind.GENERATE), None)
    # Before the first run only the promised leaders are in: every session is "short", which says nothing yet.
    generated = week.solved_roster is not None or week.published is not None
    return render_template(
        "rosters/roster.html", week=week, working=working, loads=services.teacher_loads(week), generated=generated,
        unstaffed={u["session"]: u for u in (working or {}).get("unstaffed", [])} if generated else {},
        pin_form=pin_form, swap_form=swap_form, whatif_form=whatif_form, confirm_form=ConfirmForm(),
        publish_form=PublishForm(data={"seen": week.published.number if week.published else 0}),
        job=latest_job, grid=services.grid(week),
    )


def _start_job(week: Week, kind: RosterJobKind, changes: dict | None = None) -> RosterJob:
    job = jobs.enqueue(week, current_user, kind=kind, changes=changes)
    db.session.commit()
    jobs.dispatch(job.id)
    return job


@bp.route("/weeks/<int:week_id>/solve", methods=["POST"])
@admin_only
def solve(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("rosters.roster", week_id=week.id))
    if not week.sessions:
        flash(_("Plan the week's sessions first."), "error")
        return redirect(url_for("rosters.week", week_id=week.id))
    job = _start_job(week, RosterJobKind.GENERATE)
    return redirect(url_for("rosters.job", job_id=job.id))


@bp.route("/weeks/<int:week_id>/whatif", methods=["POST"])
@admin_only
def whatif(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    form = WhatIfForm(people=[(staff_key(pid), name) for pid, name in _people_choices(week)])
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("rosters.roster", week_id=week.id))
    job = _start_job(week, RosterJobKind.WHATIF, form.changes())
    return redirect(url_for("rosters.job", job_id=job.id))


@bp.route("/jobs/<int:job_id>")
@admin_only
def job(job_id: int):
    job = _week_child_or_404(RosterJob, job_id)
    if jobs.fail_stale(job.id):
        db.session.refresh(job)
    names = {p["id"]: p["name"] for p in (job.problem or {}).get("staff", [])}
    sessions = {s["id"]: s for s in (job.problem or {}).get("sessions", [])}
    extra_names = [names.get(key, key) for key in (job.changes or {}).get("extra_days", {})]
    return render_template("rosters/job.html", job=job, week=job.week, names=names, sessions=sessions,
                           extra_names=extra_names, warning=jobs.queued_warning(job))


@bp.route("/jobs/<int:job_id>.json")
@admin_only
def job_status(job_id: int):
    job = _week_child_or_404(RosterJob, job_id)
    if jobs.fail_stale(job.id):
        db.session.refresh(job)
    return jsonify(id=job.id, kind=job.kind.value, status=job.status.value,
                   status_label=words.job_status_label(job.status), warning=jobs.queued_warning(job),
                   progress=job.progress or {}, error=job.error, finished=job.finished,
                   url=url_for("rosters.roster", week_id=job.week_id) if job.kind is RosterJobKind.GENERATE
                   else url_for("rosters.job", job_id=job.id))


def _apply_change(change, done: str) -> None:
    """Make one roster change: commit and say so, or roll back and say which rule refused it."""
    try:
        change()
        db.session.commit()
        flash(done, "success")
    except services.ChangeRefused as error:
        db.session.rollback()
        flash(_("Not changed:") + " " + " ".join(error.reasons), "error")


@bp.route("/weeks/<int:week_id>/pin", methods=["POST"])
@admin_only
def pin(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    form = PinForm()
    form.session_id.choices = [(s.id, "") for s in week.sessions]
    form.profile_id.choices = _people_choices(week)
    if form.validate_on_submit():
        session = next(s for s in week.sessions if s.id == form.session_id.data)
        person = db.session.get(StaffProfile, form.profile_id.data)
        _apply_change(lambda: services.pin(week, session, person),
                      _("Pinned: every re-solve keeps this person in this session."))
    return redirect(url_for("rosters.roster", week_id=week.id))


@bp.route("/assignments/<int:assignment_id>/unpin", methods=["POST"])
@admin_only
def unpin(assignment_id: int):
    assignment = _week_child_or_404(Assignment, assignment_id)
    week_id = assignment.session.week_id
    if ConfirmForm().validate_on_submit():
        _apply_change(lambda: services.unpin(assignment), _("Unpinned: the next solve may move this person."))
    return redirect(url_for("rosters.roster", week_id=week_id))


@bp.route("/weeks/<int:week_id>/swap", methods=["POST"])
@admin_only
def swap(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    form = SwapForm()
    ids = [a.id for s in week.sessions for a in s.assignments]
    form.first.choices = form.second.choices = [(i, "") for i in ids]
    if form.validate_on_submit():
        first, second = (db.session.get(Assignment, i) for i in (form.first.data, form.second.data))
        _apply_change(lambda: services.swap(week, first, second), _("Swapped (both are now pinned)."))
    else:
        flash(_("Choose two assignments of this week."), "error")
    return redirect(url_for("rosters.roster", week_id=week.id))


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
@admin_only
def remove(assignment_id: int):
    assignment = _week_child_or_404(Assignment, assignment_id)
    week = assignment.session.week
    if ConfirmForm().validate_on_submit():
        _apply_change(lambda: services.remove(week, assignment), _("Removed from the session."))
    return redirect(url_for("rosters.roster", week_id=week.id))


@bp.route("/weeks/<int:week_id>/publish", methods=["POST"])
@admin_only
def publish(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Reload the page and publish again."), "error")
        return redirect(url_for("rosters.roster", week_id=week.id))
    try:
        version = services.publish(week, current_user, seen_number=int(form.seen.data), note=form.note.data or "")
        db.session.commit()
    except services.ChangeRefused as refused:
        db.session.rollback()
        for reason in refused.reasons:
            flash(reason, "error")
        return redirect(url_for("rosters.roster", week_id=week.id))
    except services.PublishConflict:
        db.session.rollback()
        flash(_("Someone else published this week a moment ago. Your working roster is kept: look at the "
                "latest version, then publish again."), "error")
        return render_template("rosters/conflict.html", week=week), 409
    flash(_("Version %(n)s published; the people whose sessions changed have been told.", n=version.number),
          "success")
    return redirect(url_for("rosters.version", week_id=week.id, number=version.number))


def _version_or_404(week: Week, number: int) -> RosterVersion:
    version = db.session.scalar(select(RosterVersion).filter_by(week_id=week.id, number=number))
    if version is None:
        abort(404)
    return version


@bp.route("/weeks/<int:week_id>/versions/<int:number>")
@admin_only
def version(week_id: int, number: int):
    week = get_for_school_or_404(Week, week_id)
    version = _version_or_404(week, number)
    return render_template("rosters/version.html", week=week, version=version)


@bp.route("/weeks/<int:week_id>/diff")
@admin_only
def diff(week_id: int):
    week = get_for_school_or_404(Week, week_id)
    if not week.versions:
        abort(404)
    new_n = request.args.get("b", type=params.bounded_int) or week.versions[-1].number
    old_n = request.args.get("a", type=params.bounded_int) or max(0, new_n - 1)
    new = _version_or_404(week, new_n)
    old = _version_or_404(week, old_n) if old_n else None
    changes = services.version_diff(old, new)
    names = {**(old.roster.get("staff", {}) if old else {}), **new.roster.get("staff", {})}
    return render_template("rosters/diff.html", week=week, old=old, new=new, changes=changes, names=names)
