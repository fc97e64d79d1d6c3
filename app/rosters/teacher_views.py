"""The teacher's and provider staff's side of the roster: "My week", the personal iCal feed, "I can't make it".

Everything here reads the latest *published* roster version of each week (``Week.published``), never the
coordinator's working assignments: what a teacher sees is what the school has published. Provider staff see only
their own sessions (at any school of their county that rostered them); teachers see their own school's.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app import params
from app.access import get_for_school_or_404, roles_required
from app.accounts.models import Role
from app.audit import services as audit
from app.enrolment import need_to_know
from app.extensions import db
from app.models_base import local_today
from app.rosters import absence, exports
from app.rosters import services as roster_services
from app.rosters.expected import expected_by_session, expected_children
from app.rosters.models import PlannedSession, RosterSettings, Week, id_of, staff_key
from app.schools.forms import ActionForm
from app.schools.models import School, Term
from app.staff.models import StaffProfile, StaffType
from app.staff.services import STAFF_TYPE_LABELS, skill_label, weekday_label
from scheduling import policy
from scheduling.policy import EVENING_KIND, KIND_LABELS

bp = Blueprint("myweek", __name__)

SCHOOL_TIMEZONE = "Asia/Shanghai"  # the schools' time zone (config BABEL_DEFAULT_TIMEZONE); times are local
CALENDAR_PAST_DAYS = 28  # the iCal feed lists sessions from four weeks back on


# --- Reading the published rosters ---


@dataclass(frozen=True)
class MySession:
    """One published session of the person, as the published snapshot describes it."""

    key: str  # the engine's session id, "s-<PlannedSession.id>"
    school_id: int
    school_name: str
    on_date: date
    starts_at: time
    ends_at: time
    kind: str
    activity: str
    subject: str
    room: str
    series: str
    classes: tuple[str, ...]
    enrolled: int | None
    version: int

    @property
    def session_id(self) -> int:
        return id_of(self.key)

    @property
    def minutes(self) -> int:
        return (self.ends_at.hour * 60 + self.ends_at.minute) - (self.starts_at.hour * 60 + self.starts_at.minute)


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks_query(profile: StaffProfile):
    """Weeks that may hold this person's sessions: their school's, or (provider staff) any school's."""
    statement = select(Week).order_by(Week.monday, Week.id)
    if profile.staff_type is not StaffType.PROVIDER:
        statement = statement.where(Week.school_id == profile.school_id)
    return statement


def published_sessions(profile: StaffProfile, first: date, last: date) -> list[MySession]:
    """The person's sessions in the latest published version of every week between two dates (inclusive)."""
    weeks = db.session.scalars(_weeks_query(profile).where(Week.monday >= monday_of(first), Week.monday <= last))
    found: list[MySession] = []
    for week in weeks:
        version = week.published
        if version is None:
            continue
        entries = version.assignments_of(profile.id)
        enrolled = _enrolled({id_of(e["session"]) for e in entries})
        for entry in entries:
            if "date" not in entry:
                continue
            on_date = date.fromisoformat(entry["date"])
            if not first <= on_date <= last:
                continue
            found.append(MySession(
                key=entry["session"], school_id=week.school_id, school_name=week.school.name, on_date=on_date,
                starts_at=_hhmm(entry["start"]), ends_at=_hhmm(entry["end"]), kind=entry.get("kind", ""),
                activity=entry.get("activity", ""), subject=entry.get("subject") or "", room=entry.get("room") or "",
                series=entry.get("series") or "", classes=tuple(entry.get("classes") or ()),
                enrolled=enrolled.get(id_of(entry["session"])), version=version.number))
    return sorted(found, key=lambda s: (s.on_date, s.starts_at, s.key))


def _enrolled(session_ids: set[int]) -> dict[int, int]:
    """Children expected per session (expected.expected_children: the one source of that figure)."""
    return {session_id: found.count for session_id, found in expected_by_session(session_ids).items()}


# --- Caps, compensatory rest and subsidy ---


def caps_of(profile: StaffProfile) -> tuple[int | None, int | None]:
    """(weekly minutes, days) the person serves at most: their own, else the policy's for in-service teachers,
    else no limit (ROSTER_FORMAT.md: TEACHER_WEEKLY_LIMIT, TEACHER_DAYS_LIMIT)."""
    kind = profile.staff_type.value
    return policy.weekly_minutes_cap(kind, profile.max_weekly_minutes), policy.days_cap(kind, profile.max_days)


def roster_settings(school_id: int | None) -> RosterSettings:
    """The school's roster settings (subsidy rate, rest rule); unsaved defaults when the school has none yet.
    Read-only: nothing is added to the session."""
    settings = db.session.scalar(select(RosterSettings).filter_by(school_id=school_id)) if school_id else None
    if settings is not None:
        return settings
    return RosterSettings(school_id=school_id, ratios={}, default_ratio=policy.CHILDREN_PER_STAFF,
                          subsidy_cents_per_hour=policy.SUBSIDY_CENTS_PER_HOUR,
                          rest_threshold_minutes=policy.REST_THRESHOLD_MINUTES,
                          rest_earned_minutes=policy.REST_EARNED_MINUTES)


def extra_duty_minutes(session: MySession, work_end: time) -> int:
    """Minutes that earn compensatory rest (调休): all of an evening self-study session, and any other session's
    minutes after the local end of work (over-time)."""
    if session.kind == EVENING_KIND:
        return session.minutes
    if session.ends_at <= work_end:
        return 0
    start = max(session.starts_at, work_end)
    return (session.ends_at.hour * 60 + session.ends_at.minute) - (start.hour * 60 + start.minute)


@dataclass(frozen=True)
class Tally:
    """What a list of sessions adds up to for one person."""

    minutes: int
    days: int
    extra_duty_minutes: int
    rest_minutes: int
    subsidy_cents: int
    sessions: int


def tally(sessions: list[MySession], profile: StaffProfile, *, settings: dict | None = None) -> Tally:
    """Minutes, days, rest earned (every `rest_threshold_minutes` of extra duty earns `rest_earned_minutes`) and
    subsidy (service hours × the school's hourly rate; provider staff are paid by their provider). `settings`:
    the schools' roster settings already read ({school id: RosterSettings}), for callers adding up many people."""
    minutes = sum(s.minutes for s in sessions)
    schools = {s.school_id: db.session.get(School, s.school_id) for s in sessions}
    known = settings or {}
    settings = {school_id: known.get(school_id) or roster_settings(school_id) for school_id in schools}
    extra = sum(extra_duty_minutes(s, schools[s.school_id].work_end_on(s.on_date)) for s in sessions)
    rule = settings.get(profile.school_id) or known.get(profile.school_id) or roster_settings(profile.school_id)
    rest = (extra // rule.rest_threshold_minutes) * rule.rest_earned_minutes if rule.rest_threshold_minutes else 0
    subsidy = 0
    if profile.staff_type is not StaffType.PROVIDER:
        subsidy = round(sum(s.minutes * settings[s.school_id].subsidy_cents_per_hour for s in sessions) / 60)
    return Tally(minutes=minutes, days=len({s.on_date for s in sessions}), extra_duty_minutes=extra,
                 rest_minutes=rest, subsidy_cents=subsidy, sessions=len(sessions))


def current_term(profile: StaffProfile, day: date) -> Term | None:
    """The school term a date falls in (provider staff serve several schools: no term)."""
    if profile.school_id is None:
        return None
    return db.session.scalar(select(Term).where(Term.school_id == profile.school_id, Term.starts_on <= day,
                                                Term.ends_on >= day).order_by(Term.starts_on))


def kind_label(kind: str) -> str:
    from flask_babel import get_locale

    chinese, english = KIND_LABELS.get(kind, (kind, kind))
    return chinese if str(get_locale()).startswith("zh") else english


def _own_profile() -> StaffProfile:
    profile = current_user.staff_profile
    if profile is None:
        abort(404)
    return profile


def _chosen_monday() -> date:
    """The Monday of the week asked for (?week=YYYY-MM-DD, any day of it), else this week's; 400 for no date."""
    return monday_of(params.date_arg("week") or local_today())


# --- Pages ---


@bp.route("/my-week")
@roles_required(Role.TEACHER, Role.PROVIDER_STAFF)
def index():
    profile = _own_profile()
    monday = _chosen_monday()
    sessions = published_sessions(profile, monday, monday + timedelta(days=6))
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
        kind_label=kind_label, skill_label=skill_label, action_form=ActionForm(), absence_form=AbsenceForm(),
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


def calendar_bytes(profile: StaffProfile, sessions: list[MySession]) -> bytes:
    """An iCalendar document with one event per published session, in the schools' time zone."""
    from icalendar import Calendar, Event

    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", SCHOOL_TIMEZONE))
    calendar = Calendar()
    calendar.add("prodid", "-//After-school service//My week//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("After-school service: %(name)s", name=profile.user.name))
    calendar.add("x-wr-timezone", str(zone))
    stamp = datetime.now(ZoneInfo("UTC"))
    for session in sessions:
        event = Event()
        event.add("uid", f"{session.key}.{staff_key(profile.id)}@after-school-service")
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.combine(session.on_date, session.starts_at, tzinfo=zone))
        event.add("dtend", datetime.combine(session.on_date, session.ends_at, tzinfo=zone))
        title = session.series or skill_label(session.activity)
        event.add("summary", f"{kind_label(session.kind)}: {title}")
        if session.room:
            event.add("location", session.room)
        details = [skill_label(session.activity), "、".join(session.classes), session.school_name]
        event.add("description", " · ".join(part for part in details if part))
        event.add("sequence", session.version)
        calendar.add_component(event)
    if sessions:  # the VTIMEZONE the events' TZID names (RFC 5545), its rules covering the sessions' dates
        days = [session.on_date for session in sessions]
        calendar.add_missing_timezones(first_date=min(days) - timedelta(days=1),
                                       last_date=max(days) + timedelta(days=366))
    return calendar.to_ical()


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
    if ActionForm().validate_on_submit():
        profile.revoke_calendar_link()
        db.session.commit()
        flash(_("The old calendar link no longer works. Subscribe again with the new link."), "success")
    return redirect(url_for("myweek.index"))


# --- "I can't make it" ---


class AbsenceForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=200, message=_l("At most %(max)d characters."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value])


class ReplaceForm(FlaskForm):
    staff = HiddenField(validators=[DataRequired()])


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
    if ActionForm().validate_on_submit() and absence.withdraw(profile, session):
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
    flagged = get_for_school_or_404(absence.SessionAbsence, absence_id)
    re_solve = request.args.get("engine") == "1"  # the re-solve takes seconds: only when asked for
    options = absence.replacements(flagged, re_solve=re_solve) if flagged.status is absence.AbsenceStatus.OPEN \
        else None
    return render_template("myweek/absence.html", absence=flagged, options=options, form=ReplaceForm(),
                           kind_label=kind_label, skill_label=skill_label)


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
    profile = _own_profile()
    monday = _chosen_monday()
    sessions = published_sessions(profile, monday, monday + timedelta(days=6))
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
