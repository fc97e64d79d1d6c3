"""My week's pages: the person's week, the children of a session, the iCal feed, "I can't make it"; the
coordinator's absence notices, the replacement search (a roster job) and the roster's print and XLSX exports.
Thin: the read model is myweek.services, the notices app.rosters.absence."""

from datetime import date, timedelta

from flask import Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import params
from app.access import get_for_school_or_404, roles_required
from app.accounts.models import Role
from app.audit import services as audit
from app.enrolment import need_to_know
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import local_today
from app.myweek import bp
from app.myweek.forms import AbsenceForm, ReplaceForm
from app.myweek.services import (
    CALENDAR_PAST_DAYS,
    calendar_bytes,
    caps_of,
    current_term,
    kind_label,
    published_sessions,
    roster_settings,
    tally,
)
from app.rosters import absence, exports, jobs, words
from app.rosters import services as roster_services
from app.rosters.expected import expected_children
from app.rosters.models import PlannedSession, id_of, staff_key
from app.rosters.services import monday_of
from app.staff.models import StaffProfile, StaffType
from app.staff.services import STAFF_TYPE_LABELS, skill_label, weekday_label


def _own_profile() -> StaffProfile:
    profile = current_user.staff_profile
    if profile is None:
        abort(404)
    return profile


def _chosen_monday() -> date:
    """The Monday of the week asked for (?week=YYYY-MM-DD, any day of it), else this week's; 400 for no date."""
    return monday_of(params.date_arg("week") or local_today())


def _own_week():
    """The person's profile, the chosen week's Monday and their published sessions that week."""
    profile = _own_profile()
    monday = _chosen_monday()
    return profile, monday, published_sessions(profile, monday, monday + timedelta(days=6))


# --- Pages ---


@bp.route("/my-week")
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def index():
    profile, monday, sessions = _own_week()
    week_tally = tally(sessions, profile)
    term = current_term(profile, monday)
    term_tally = None
    if term is not None:
        term_tally = tally(published_sessions(profile, term.starts_on, min(term.ends_on, monday + timedelta(days=6))),
                           profile)
    weekly_cap, days_cap = caps_of(profile)
    settings = roster_settings(profile.school_id)
    return render_template(
        "myweek/index.html", profile=profile, monday=monday, sessions=sessions, week_tally=week_tally,
        term=term, term_tally=term_tally, weekly_cap=weekly_cap, days_cap=days_cap, settings=settings,
        previous_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
        kind_label=kind_label, skill_label=skill_label, action_form=ConfirmForm(), absence_form=AbsenceForm(),
        weekday_names=[weekday_label(day) for day in range(7)],
        feed_url=url_for("myweek.calendar_feed", token=profile.calendar_token, _external=True),
        absences=_absences_of(profile, [s.session_id for s in sessions]),
        days=[monday + timedelta(days=i) for i in range(7)])


def _absences_of(profile: StaffProfile, session_ids: list[int]) -> dict:
    return absence.absences_for(profile, session_ids)


@bp.route("/my-week/sessions/<int:session_id>/children")
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def session_children(session_id: int):
    """The children attending a session, their class, how they go home and their health notes: for the staff the
    roster assigns to it (need_to_know), anyone else gets a 404."""
    session = db.session.get(PlannedSession, session_id)
    if session is None or not need_to_know.is_assigned(current_user, session):
        abort(404)
    expected = expected_children(session)
    if any(a.health_notes for a in expected.children):
        audit.health_view("session_children", session.week.school_id, f"{session.on_date.isoformat()} #{session.id}: "
                          + ", ".join(f"#{a.student_id}" for a in expected.children if a.health_notes))
        db.session.commit()
    return render_template("myweek/session_children.html", session=session, expected=expected,
                           applications=expected.children, kind_label=kind_label,
                           skill_label=skill_label, weekday_names=[weekday_label(day) for day in range(7)])


# --- Personal iCal feed ---


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The secret feed: no login (calendar apps cannot log in); an unknown or revoked token is a 404."""
    profile = db.session.scalar(select(StaffProfile).filter_by(calendar_token=token)) if len(token) <= 64 else None
    if profile is None or not profile.user.is_active:  # closed, or a provider that may not work now
        abort(404)
    today = local_today()
    sessions = published_sessions(profile, today - timedelta(days=CALENDAR_PAST_DAYS), date.max - timedelta(days=7))
    response = Response(calendar_bytes(profile, sessions), mimetype="text/calendar")
    response.headers["Content-Disposition"] = "inline; filename=after-school.ics"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/my-week/calendar/revoke", methods=["POST"])
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def revoke_calendar():
    profile = _own_profile()
    if ConfirmForm().validate_on_submit():
        profile.revoke_calendar_link()
        db.session.commit()
        flash(_("The old calendar link no longer works. Subscribe again with the new link."), "success")
    return redirect(url_for("myweek.index"))


# --- "I can't make it" ---


def _published_session_or_404(profile: StaffProfile, session_id: int) -> PlannedSession:
    """A session the person serves in the latest published version of its week (anything else is a 404)."""
    session = db.session.get(PlannedSession, session_id)
    version = session.week.published if session is not None else None
    if version is None or not any(a["session"] == session.key and a["staff"] == staff_key(profile.id)
                                  for a in version.roster.get("assignments", [])):
        abort(404)
    return session


@bp.route("/my-week/sessions/<int:session_id>/absence", methods=["POST"])
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def flag_absence(session_id: int):
    profile = _own_profile()
    session = _published_session_or_404(profile, session_id)
    form = AbsenceForm()
    if session.on_date < local_today():
        flash(_("This session is over."), "error")
    elif form.validate_on_submit():
        flagged = absence.flag(profile, session, form.reason.data)
        subject = _("%(name)s cannot make it on %(date)s %(start)s–%(end)s", name=profile.user.name,
                    date=session.on_date.isoformat(), start=session.starts_at.strftime("%H:%M"),
                    end=session.ends_at.strftime("%H:%M"))
        absence.tell_coordinators(flagged, subject, url_for("myweek.absence_detail", absence_id=flagged.id))
        db.session.commit()
        flash(_("The coordinator has been told that you cannot make it."), "success")
    else:
        flash(_("Please give a reason."), "error")
    return redirect(url_for("myweek.index", week=session.on_date.isoformat()))


@bp.route("/my-week/sessions/<int:session_id>/absence/withdraw", methods=["POST"])
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def withdraw_absence(session_id: int):
    profile = _own_profile()
    session = _published_session_or_404(profile, session_id)
    if ConfirmForm().validate_on_submit() and absence.withdraw(profile, session):
        db.session.commit()
        flash(_("Your notice is withdrawn."), "info")
    return redirect(url_for("myweek.index", week=session.on_date.isoformat()))


@bp.route("/absences")
@roles_required(Role.SCHOOL_ADMIN)
def absences():
    return render_template("myweek/absences.html", absences=absence.open_absences(current_user.school_id),
                           kind_label=kind_label, skill_label=skill_label)


@bp.route("/absences/<int:absence_id>")
@roles_required(Role.SCHOOL_ADMIN)
def absence_detail(absence_id: int):
    """Who could step in directly (checked against the rules, no solve), and the engine's replacement search: its
    progress while the roster jobs' runner works on it, then what it found. Nothing is solved here."""
    flagged = get_for_school_or_404(absence.SessionAbsence, absence_id)
    is_open = flagged.status is absence.AbsenceStatus.OPEN
    search = absence.latest_search(flagged) if is_open else None
    if search is not None and jobs.fail_stale(search.id):
        db.session.refresh(search)
    return render_template("myweek/absence.html", absence=flagged, form=ReplaceForm(), search_form=ConfirmForm(),
                           direct=absence.replacements(flagged) if is_open else None, search=search,
                           engine=absence.engine_choice(flagged, search) if search is not None else None,
                           warning=jobs.queued_warning(search) if search is not None else None,
                           kind_label=kind_label, skill_label=skill_label)


@bp.route("/absences/<int:absence_id>/search", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def search_replacement(absence_id: int):
    """Start the engine's re-plan of the week around the absence: a roster job like every other solve."""
    flagged = get_for_school_or_404(absence.SessionAbsence, absence_id)
    if flagged.status is absence.AbsenceStatus.OPEN and ConfirmForm().validate_on_submit():
        search = absence.start_search(flagged, current_user)
        db.session.commit()
        jobs.dispatch(search.id)
    return redirect(url_for("myweek.absence_detail", absence_id=flagged.id))


@bp.route("/absences/<int:absence_id>/search.json")
@roles_required(Role.SCHOOL_ADMIN)
def search_status(absence_id: int):
    """The search's progress for the page's poll (the roster jobs' script); 404 before one was started."""
    flagged = get_for_school_or_404(absence.SessionAbsence, absence_id)
    search = absence.latest_search(flagged)
    if search is None:
        abort(404)
    if jobs.fail_stale(search.id):
        db.session.refresh(search)
    return jsonify(id=search.id, status=search.status.value, status_label=words.job_status_label(search.status),
                   warning=jobs.queued_warning(search), progress=search.progress or {}, error=search.error,
                   finished=search.finished, url=url_for("myweek.absence_detail", absence_id=flagged.id))


@bp.route("/absences/<int:absence_id>/replace", methods=["POST"])
@roles_required(Role.SCHOOL_ADMIN)
def replace_absent(absence_id: int):
    flagged = get_for_school_or_404(absence.SessionAbsence, absence_id)
    form = ReplaceForm()
    if flagged.status is not absence.AbsenceStatus.OPEN:
        flash(_("This notice is already dealt with."), "info")
        return redirect(url_for("myweek.absences"))
    if not form.validate_on_submit():
        flash(_("Nobody was chosen: reload the page and choose who steps in."), "error")
        return redirect(url_for("myweek.absence_detail", absence_id=flagged.id))
    try:
        profile = db.session.get(StaffProfile, id_of(form.staff.data))
    except (ValueError, IndexError):
        profile = None
    allowed = profile is not None and (profile.school_id == current_user.school_id or (
        profile.staff_type is StaffType.PROVIDER and profile.user.effective_county_id == current_user.school.county_id))
    if not allowed:
        abort(404)
    if not roster_services.may_work(profile, flagged.session.on_date):
        flash(_("%(name)s may not work on that date: the provider is not vetted for it. Choose someone else.",
                name=profile.user.name), "error")
        return redirect(url_for("myweek.absence_detail", absence_id=flagged.id))
    absence.replace(flagged, profile.id)
    db.session.commit()
    flash(_("%(name)s now takes the session in the working roster. Publish the roster to tell everyone.",
            name=profile.user.name), "success")
    return redirect(url_for("myweek.absences"))


# --- Exports: XLSX and print-friendly pages ---


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.route("/my-week/export.xlsx")
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def export_week():
    _profile, monday, sessions = _own_week()
    audit.export("my_week_xlsx", monday.isoformat())
    db.session.commit()
    return _xlsx(exports.my_week_xlsx(sessions, kind_label, skill_label), f"my-week-{monday.isoformat()}.xlsx")


@bp.route("/exports/roster")
@roles_required(Role.SCHOOL_ADMIN)
def print_roster():
    monday = _chosen_monday()
    week = exports.school_week(current_user.school_id, monday)
    rows = exports.roster_rows(week)
    workload = exports.workload_rows(current_user.school_id, monday, tally, published_sessions)
    return render_template("myweek/print_roster.html", monday=monday, rows=rows, workload=workload,
                           version=week.published if week else None, kind_label=kind_label, skill_label=skill_label,
                           type_labels=STAFF_TYPE_LABELS, previous_week=monday - timedelta(days=7),
                           next_week=monday + timedelta(days=7))


@bp.route("/exports/roster.xlsx")
@roles_required(Role.SCHOOL_ADMIN)
def export_roster():
    monday = _chosen_monday()
    week = exports.school_week(current_user.school_id, monday)
    version = week.published.number if week and week.published else None
    data = exports.roster_xlsx(exports.roster_rows(week), kind_label, skill_label, version)
    audit.export("roster_xlsx", monday.isoformat())
    db.session.commit()
    return _xlsx(data, f"roster-{monday.isoformat()}.xlsx")


@bp.route("/exports/workload.xlsx")
@roles_required(Role.SCHOOL_ADMIN)
def export_workload():
    monday = _chosen_monday()
    rows = exports.workload_rows(current_user.school_id, monday, tally, published_sessions)
    audit.export("workload_xlsx", monday.isoformat())
    db.session.commit()
    return _xlsx(exports.workload_xlsx(rows, STAFF_TYPE_LABELS), f"workload-{monday.isoformat()}.xlsx")
