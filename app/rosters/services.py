"""The one translator between the database and the roster engine (scheduling/), and the roster work.

Services only flush; the request (or the job runner) commits once.
"""

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta

from blinker import Namespace
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

import scheduling
from app.accounts.models import Role, User
from app.extensions import db
from app.models_base import utcnow
from app.notifications.services import notify
from app.programs.models import Activity, Offering, OfferingKind
from app.providers.models import Provider
from app.rosters.models import (
    Assignment,
    PlannedSession,
    RosterSettings,
    RosterVersion,
    SessionTemplate,
    Week,
    group_key,
    id_of,
    provider_key,
    staff_key,
)
from app.rosters.words import in_language, rule_meaning
from app.schools.models import HolidayKind, School, SchoolClass
from app.staff.models import StaffProfile, StaffType
from scheduling import plan as scheduling_plan
from scheduling import policy
from scheduling.problem import span_minutes, week_of

# scheduling.validate the function is shadowed by its submodule once that is imported: use the module's function.
from scheduling.validate import validate as validate_roster

logger = logging.getLogger(__name__)

# Assignment rules a single change can break (coverage is shown as "understaffed", not refused).
CHANGE_RULES = frozenset(policy.ASSIGNMENT_RULES) - {"COVERAGE", "PINNED"}
PLAN_FIX_HINTS = {
    "NO_NEW_LESSONS": _l("Choose homework help, tutoring or an activity instead of a new lesson."),
    "HOLIDAY_ACTIVITY": _l("Holiday care is mainly supervision: choose supervision, reading, sports, arts or games."),
    "HOLIDAY_WEEKEND": _l("Move holiday care to a weekday."),
    "SCHOOL_DAY": _l("Remove this session, or move it to a school day."),
    "EVENING_END": _l("Let evening self-study end earlier."),
    "EVENING_JUNIOR_ONLY": _l("Evening self-study is for junior-high classes: remove the primary classes."),
    "TWO_HOUR_MINIMUM": _l("Add or lengthen sessions so the class has one continuous block of two hours."),
    "END_BEFORE_WORK_END": _l("Let the last session end no earlier than the local end of work."),
    "EVERY_SCHOOL_DAY": _l("Add the class's after-school sessions on this day, or declare the weekday an exception "
                           "with its reason on the offering."),
}


# Sent with the week once a new version is stored (in the publishing transaction): who reads published rosters elsewhere
# (the county board's facts) follows without this module knowing them.
roster_published = Namespace().signal("roster-published")


class ChangeRefused(Exception):
    """A pin, swap or removal that would break a rule; `reasons` are sentences for the coordinator."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class PublishConflict(Exception):
    """Someone published this week while the coordinator was looking at an older version."""


# --- Weeks, settings, calendar -----------------------------------------------------------------


monday_of = week_of  # the Monday of a date's week: the engine's reading (weekly limits count per such week)


def week_dates(week: Week) -> list[date]:
    """Monday to Sunday of the week."""
    return [week.monday + timedelta(days=i) for i in range(7)]


def settings_for(school: School) -> RosterSettings:
    """The school's roster settings, created with defaults on first use."""
    settings = db.session.scalar(select(RosterSettings).filter_by(school_id=school.id))
    if settings is None:
        settings = RosterSettings(school_id=school.id, ratios={})
        db.session.add(settings)
        db.session.flush()
    return settings


def open_week(school: School, day: date) -> Week:
    """The school's week containing a date, created if new."""
    monday = monday_of(day)
    week = db.session.scalar(select(Week).filter_by(school_id=school.id, monday=monday))
    if week is None:
        week = Week(school_id=school.id, monday=monday)
        db.session.add(week)
        db.session.flush()
    return week


def _in_any(day: date, spans) -> bool:
    return any(s.starts_on <= day <= s.ends_on for s in spans)


def school_days_between(school: School, first: date, last: date) -> list[date]:
    """The school days of first..last: weekdays inside a term (when terms exist) and outside every holiday."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d.weekday() in policy.SCHOOL_DAY_WEEKDAYS and not _in_any(d, school.holidays)
            and (not school.terms or _in_any(d, school.terms))]


def declared_offerings(school: School, first: date, last: date) -> list[Offering]:
    """The school's published after-school offerings whose dates meet first..last (their exception days hold)."""
    return list(db.session.scalars(
        select(Offering).where(Offering.school_id == school.id, Offering.kind == OfferingKind.AFTER_SCHOOL,
                               Offering.published_version > 0, Offering.starts_on <= last, Offering.ends_on >= first)
        .order_by(Offering.starts_on, Offering.id)))


def exception_weekdays(offerings: list[Offering], first: date, last: date) -> set[int]:
    """The weekly exception days declared by the offerings that run on some day of first..last."""
    return {day for o in offerings if o.starts_on <= last and o.ends_on >= first for day in o.exception_weekdays or []}


def calendar_of(week: Week) -> dict:
    """The contract's calendar: weekdays inside a term (when terms exist) and outside every holiday."""
    school = week.school
    days = week_dates(week)
    public = [d for d in days if _in_any(d, [h for h in school.holidays if h.kind is HolidayKind.PUBLIC])]
    school_days = school_days_between(school, days[0], days[-1])
    return {"school_days": [d.isoformat() for d in school_days], "public_holidays": [d.isoformat() for d in public]}


# --- Planning: sessions from templates ---------------------------------------------------------


def staff_needed_for(template: SessionTemplate, enrolled: int, settings: RosterSettings) -> int:
    """A fixed number from the template, else one person per `ratio` children (at least one)."""
    if template.staff_needed:
        return template.staff_needed
    return max(1, math.ceil(enrolled / settings.ratio_for(template.kind)))


@dataclass(frozen=True)
class SessionShape:
    """When and what a template's sessions are: an activity group's come from the activity the families were
    promised in the notice (days, times, room, its offering's dates), never from the template's own fields."""

    weekdays: tuple[int, ...]
    starts_at: time
    ends_at: time
    kind: str
    activity: str
    room: str
    first_day: date | None  # the offering's dates: outside them the activity does not run
    last_day: date | None


def session_shape(template: SessionTemplate) -> SessionShape:
    """The one source of a template's sessions' days and times (see SessionShape)."""
    group = template.activity_group
    if group is None:
        return SessionShape(tuple(template.weekdays), template.starts_at, template.ends_at, template.kind,
                            template.activity, template.room, None, None)
    offering = group.offering
    kind = policy.HOLIDAY_KIND if offering.is_holiday_care else (
        policy.AFTER_SCHOOL_KIND if template.kind == policy.HOLIDAY_KIND else template.kind)
    return SessionShape(tuple(group.weekdays), group.starts_at, group.ends_at, kind, group.activity,
                        group.room or template.room, offering.starts_on, offering.ends_on)


def promised_staff(activity: Activity | None) -> list[StaffProfile]:
    """Who the notice promised leads an activity group: its leader, or its provider's staff (first login)."""
    if activity is None:
        return []
    if activity.leader is not None:
        return [activity.leader.staff_profile] if activity.leader.staff_profile else []
    if activity.provider is not None:
        staff = [u.staff_profile for u in activity.provider.staff_users if u.staff_profile and u.is_active_account]
        return sorted(staff, key=lambda p: p.id)[:1]
    return []


def days_with_records(week: Week) -> list[date]:
    """The week's days whose sessions already have a record of the day (register marks, sign-outs, alerts,
    incidents): re-planning leaves those days' sessions as they are, so nothing recorded is lost."""
    from app.daily.models import Alert, AttendanceMark, Incident, SignOut

    ids = [s.id for s in week.sessions]
    if not ids:
        return []
    recorded: set[int] = set()
    for model in (AttendanceMark, SignOut, Alert, Incident):
        recorded.update(db.session.scalars(select(model.session_id).where(model.session_id.in_(ids)).distinct()))
    return sorted({s.on_date for s in week.sessions if s.id in recorded})


def generate_sessions(week: Week) -> tuple[int, int]:
    """Replace the week's sessions with those of the school's active templates; (made, skipped days).

    Children expected come from expected.expected_by_session; an activity group's sessions follow the activity
    (session_shape) and keep its promised leader pinned. Days with records of the day (days_with_records) keep
    their sessions untouched and get none from the templates."""
    from app.rosters.expected import expected_by_session

    school_days = set(calendar_of(week)["school_days"])
    settings = settings_for(week.school)
    kept_days = set(days_with_records(week))
    for session in list(week.sessions):
        if session.on_date not in kept_days:
            week.sessions.remove(session)
    db.session.flush()
    kept = {s.id for s in week.sessions}
    templates = db.session.scalars(
        select(SessionTemplate).filter_by(school_id=week.school_id, active=True).order_by(SessionTemplate.id)
    ).all()
    eligible = {p.id for p in roster_staff(week.school, week.monday)}
    # Read every template's shape and promised leader before adding sessions (no flush per lazy load).
    shapes = {t.id: session_shape(t) for t in templates}
    leaders = {t.id: [p.id for p in promised_staff(t.activity_group) if p.id in eligible] for t in templates}
    made = skipped = 0
    for template in templates:
        shape = shapes[template.id]
        for weekday in sorted(shape.weekdays):
            day = week.monday + timedelta(days=weekday)
            if shape.first_day is not None and not shape.first_day <= day <= shape.last_day:
                continue  # the activity's offering does not run that day (a holiday's activity in term time)
            if day in kept_days:
                continue  # recorded already: its sessions stay as they were
            if shape.kind in policy.SCHOOL_DAY_KINDS and day.isoformat() not in school_days:
                skipped += 1
                continue
            session = PlannedSession(
                template=template, activity_id=template.activity_id, on_date=day,
                starts_at=shape.starts_at, ends_at=shape.ends_at, kind=shape.kind,
                activity=shape.activity, subject=template.subject, room=shape.room,
                series=template.series, enrolled=template.typed_enrolled or 0, staff_needed=1,
                classes=list(template.classes),
            )
            week.sessions.append(session)
            session.assignments.extend(Assignment(profile_id=pid, pinned=True) for pid in leaders[template.id])
            made += 1
    db.session.flush()
    made_now = [s for s in week.sessions if s.id not in kept]
    expected = expected_by_session(s.id for s in made_now)
    for session in made_now:
        session.enrolled = expected[session.id].count
        session.staff_needed = staff_needed_for(session.template, session.enrolled, settings)
    week.solved_roster = None
    db.session.flush()
    return made, skipped


# --- The problem (database → contract) ---------------------------------------------------------


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def group_label(school_class: SchoolClass) -> str:
    return f"{school_class.grade.number}年级{school_class.number}班"


# What a staff entry of the problem reads, loaded with the profiles in a few queries (not one per person).
_STAFF_LOADS = (selectinload(StaffProfile.user), selectinload(StaffProfile.teaching_minutes),
                selectinload(StaffProfile.unavailability))


def roster_staff(school: School, on: date) -> list[StaffProfile]:
    """Everyone who may be asked: the school's staff profiles and staff of the county's active providers."""
    own = db.session.scalars(select(StaffProfile).filter_by(school_id=school.id).options(*_STAFF_LOADS)
                             .order_by(StaffProfile.id)).all()
    providers = db.session.scalars(
        select(StaffProfile).options(*_STAFF_LOADS).join(User, User.id == StaffProfile.user_id)
        .join(Provider, Provider.id == User.provider_id)
        .where(User.role == Role.PROVIDER_STAFF, Provider.county_id == school.county_id, User.is_active_account)
        .order_by(StaffProfile.id)
    ).all()
    return list(own) + [p for p in providers if p not in own and may_work(p, on)]


def may_work(profile: StaffProfile, day: date) -> bool:
    """Whether the person may be rostered on a date: provider staff only while their provider is vetted for it
    (Provider.is_vetted_on, the one rule); everyone else as before."""
    if profile.staff_type is not StaffType.PROVIDER:
        return True
    provider = profile.user.provider
    return profile.user.is_active_account and provider is not None and provider.is_vetted_on(day)


def withdraw_from_rosters(profiles: list[StaffProfile], from_day: date, provider_name: str) -> int:
    """Take these people out of every working roster from a date on (their provider may no longer work) and ask each
    school's coordinators to re-plan the weeks concerned; the number of assignments removed."""
    profile_ids = [p.id for p in profiles]
    if not profile_ids:
        return 0
    assignments = db.session.scalars(
        select(Assignment).join(PlannedSession, PlannedSession.id == Assignment.session_id)
        .where(Assignment.profile_id.in_(profile_ids), PlannedSession.on_date >= from_day)
        .order_by(PlannedSession.on_date, PlannedSession.starts_at, Assignment.id)).all()
    weeks: dict[int, Week] = {}
    lost: dict[int, list[str]] = defaultdict(list)
    for assignment in assignments:
        session = assignment.session
        weeks[session.week_id] = session.week
        lost[session.week_id].append(
            f"{session.on_date.isoformat()} {_hhmm(session.starts_at)}–{_hhmm(session.ends_at)} {session.series}"
            f" · {assignment.profile.user.name}")
        session.assignments.remove(assignment)
    db.session.flush()
    for week_id, week in sorted(weeks.items(), key=lambda item: item[1].monday):
        coordinators = db.session.scalars(select(User).filter_by(
            school_id=week.school_id, role=Role.SCHOOL_ADMIN, is_active_account=True).order_by(User.id)).all()
        for coordinator in coordinators:
            with force_locale(coordinator.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                subject = _("%(provider)s may no longer work in schools: re-plan the week of %(monday)s and publish",
                            provider=provider_name, monday=week.monday.isoformat())
                body = "\n".join([_("These sessions lost their person:")] + lost[week_id])
            notify(coordinator, subject, body, f"/rosters/weeks/{week_id}/roster")
    logger.info("withdrew %s assignments of %s people from %s on", len(assignments), len(profile_ids), from_day)
    return len(assignments)


def unvetted_assignments(week: Week) -> list[str]:
    """Sentences for the working assignments whose person may not work on the session's date (`may_work`)."""
    return [_("%(name)s may not work on %(day)s %(start)s–%(end)s %(series)s: the provider is not vetted for that "
              "date. Remove them or re-plan the week, then publish.", name=a.profile.user.name,
              day=s.on_date.isoformat(), start=_hhmm(s.starts_at), end=_hhmm(s.ends_at), series=s.series)
            for s in week.sessions for a in s.assignments if not may_work(a.profile, s.on_date)]


# --- One person, one timetable: what people already do at other schools --------------------------


@dataclass(frozen=True)
class BusyElsewhere:
    """A session a person has at another school in the same week (published, or on its working roster)."""

    school_name: str
    on_date: date
    starts_at: time
    ends_at: time
    published: bool

    @property
    def minutes(self) -> int:
        return span_minutes(self.starts_at, self.ends_at)


def busy_elsewhere(week: Week, profile_ids: list[int], *, published_only: bool = False
                   ) -> dict[int, list[BusyElsewhere]]:
    """Per person: their sessions at other schools in the week of `week`, from the latest published version of
    each other school's week and (unless `published_only`) its working roster, each session once."""
    others = db.session.scalars(select(Week).where(Week.monday == week.monday, Week.school_id != week.school_id)
                                .order_by(Week.id)).all()
    wanted = {staff_key(pid): pid for pid in profile_ids}
    found: dict[int, dict[tuple, BusyElsewhere]] = defaultdict(dict)
    for other in others:
        roster = other.published.roster if other.published else {}
        for a in roster.get("assignments", []):
            entry = roster.get("sessions", {}).get(a["session"], {})
            if a["staff"] in wanted and "date" in entry:
                found[wanted[a["staff"]]][(other.id, a["session"])] = BusyElsewhere(
                    other.school.name, date.fromisoformat(entry["date"]), time.fromisoformat(entry["start"]),
                    time.fromisoformat(entry["end"]), True)
    working = [] if published_only or not wanted else db.session.execute(
        select(Assignment.profile_id, PlannedSession, Week)
        .join(PlannedSession, PlannedSession.id == Assignment.session_id)
        .join(Week, Week.id == PlannedSession.week_id)
        .where(Week.monday == week.monday, Week.school_id != week.school_id,
               Assignment.profile_id.in_(wanted.values()))).all()
    for pid, s, other in working:
        found[pid].setdefault((other.id, s.key), BusyElsewhere(other.school.name, s.on_date, s.starts_at, s.ends_at,
                                                                False))
    return {pid: sorted(busy.values(), key=lambda b: (b.on_date, b.starts_at)) for pid, busy in found.items()}


def clashes_elsewhere(week: Week) -> list[str]:
    """Sentences for the working assignments that overlap the same person's session in another school's published
    roster of the week (NO_OVERLAP across schools): publishing such a roster is refused."""
    people = {a.profile_id: a.profile for s in week.sessions for a in s.assignments}
    busy = busy_elsewhere(week, list(people), published_only=True)
    return [_("%(name)s is already on the published roster of %(school)s on %(day)s %(start)s–%(end)s, which "
              "overlaps %(series)s %(here_start)s–%(here_end)s here. Remove them or re-plan the week, then publish.",
              name=people[a.profile_id].user.name, school=b.school_name, day=b.on_date.isoformat(),
              start=_hhmm(b.starts_at), end=_hhmm(b.ends_at), series=s.series or "",
              here_start=_hhmm(s.starts_at), here_end=_hhmm(s.ends_at))
            for s in week.sessions for a in s.assignments for b in busy.get(a.profile_id, ())
            if b.on_date == s.on_date and b.starts_at < s.ends_at and s.starts_at < b.ends_at]


def _with_busy_elsewhere(entry: dict, busy: list[BusyElsewhere], dates: list[date], policy_caps: dict) -> dict:
    """A staff entry with what the person already does at other schools that week, within the contract's fields:
    those sessions as unavailable windows, their minutes taken from the weekly cap, and their days from the days cap
    (policy.weekly_minutes_cap / days_cap). Once the days elsewhere fill the days cap, only those days stay open
    here (every other date is unavailable); below it, each day elsewhere counts as used (the safe side)."""
    if not busy:
        return entry
    entry["unavailable"] = entry["unavailable"] + [
        {"date": b.on_date.isoformat(), "start": _hhmm(b.starts_at), "end": _hhmm(b.ends_at)} for b in busy]
    kind = entry["type"]
    cap = policy.weekly_minutes_cap(kind, entry["max_weekly_minutes"], policy_caps["teacher_max_weekly_minutes"])
    if cap is not None:
        entry["max_weekly_minutes"] = max(0, cap - sum(b.minutes for b in busy))
    days = policy.days_cap(kind, entry["max_days"], policy_caps["teacher_max_days"])
    used = {b.on_date for b in busy}
    if days is not None and len(used) >= days:
        entry["unavailable"] += [{"date": d.isoformat(), "start": "00:00", "end": "23:59"} for d in dates
                                 if d not in used]
    elif days is not None:
        entry["max_days"] = days - len(used)
    return entry


def _staff_entry(profile: StaffProfile, dates: list[date]) -> dict:
    teaching = {tm.weekday: tm.minutes for tm in profile.teaching_minutes}
    unavailable = [
        {"date": d.isoformat(), "start": _hhmm(w.starts_at), "end": _hhmm(w.ends_at)}
        for w in profile.unavailability for d in dates if w.applies_on(d)
    ]
    provider = profile.user.provider if profile.staff_type is StaffType.PROVIDER else None
    return {
        "id": staff_key(profile.id), "name": profile.user.name, "type": profile.staff_type.value,
        "opted_in": profile.opted_in and profile.user.is_active_account, "exempt": profile.exempt,
        "skills": list(profile.skills or []), "subjects": list(profile.subjects or []),
        "max_weekly_minutes": profile.max_weekly_minutes, "max_days": profile.max_days,
        "teaching_minutes": {d.isoformat(): teaching[d.weekday()] for d in dates if teaching.get(d.weekday())},
        "unavailable": unavailable,
        "provider": provider_key(provider.id) if provider else None,
    }


def _apply_whatif(problem: dict, changes: dict) -> None:
    """Add what-if volunteers and extra days to a problem (never to the database)."""
    for n, extra in enumerate(changes.get("add_volunteers") or [], start=1):
        problem["staff"].append({
            "id": f"whatif-{n}", "name": extra.get("name") or _("Extra volunteer %(n)s", n=n), "type": "volunteer",
            "opted_in": True, "skills": list(extra.get("skills") or ["supervision"]), "subjects": [],
            "max_weekly_minutes": extra.get("max_weekly_minutes"), "max_days": extra.get("max_days"),
        })
    for key, more in (changes.get("extra_days") or {}).items():
        for person in problem["staff"]:
            if person["id"] == key:
                base = policy.days_cap(person["type"], person["max_days"], problem["policy"]["teacher_max_days"])
                person["max_days"] = min(7, (7 if base is None else base) + int(more))


def build_problem(week: Week, *, extra: dict | None = None) -> dict:
    """The week as the engine's problem (ROSTER_FORMAT.md); `extra` holds what-if changes."""
    school = week.school
    dates = week_dates(week)
    # The week's sessions (as week.sessions orders them) with their classes and assignments in three queries.
    sessions = db.session.scalars(
        select(PlannedSession).filter_by(week_id=week.id)
        .options(selectinload(PlannedSession.classes), selectinload(PlannedSession.assignments))
        .order_by(PlannedSession.on_date, PlannedSession.starts_at, PlannedSession.id)).all()
    classes = db.session.scalars(
        select(SchoolClass).filter_by(school_id=school.id).order_by(SchoolClass.id)).all()
    people = roster_staff(school, week.monday)
    elsewhere = busy_elsewhere(week, [p.id for p in people])
    provider_ids = sorted({p.user.provider_id for p in people if p.staff_type is StaffType.PROVIDER})
    providers = [db.session.get(Provider, pid) for pid in provider_ids]
    staff_keys = {staff_key(p.id) for p in people}
    session_keys = {s.key for s in sessions}
    pinned = [
        {"session": s.key, "staff": staff_key(a.profile_id)}
        for s in sessions for a in s.assignments if a.pinned and staff_key(a.profile_id) in staff_keys
    ]
    published = week.published
    exceptions = sorted(exception_weekdays(declared_offerings(school, dates[0], dates[-1]), dates[0], dates[-1]))
    previous = [
        dict(a) for a in (published.roster.get("assignments", []) if published else [])
        if a["session"] in session_keys and a["staff"] in staff_keys
    ]
    problem = {
        "school": {"id": f"school-{school.id}", "name": school.name,
                   "work_end": _hhmm(school.work_end_over(week_dates(week)[:5]))},
        "calendar": calendar_of(week),
        # EVERY_SCHOOL_DAY (engine extension): in term weeks, with the exception days the school declared.
        "policy": dict(policy.DEFAULT_POLICY, every_school_day=any(_in_any(d, school.terms) for d in dates[:5])),
        "groups": [{"id": group_key(c.id), "label": group_label(c), "grade": c.grade.number,
                    "exception_weekdays": exceptions} for c in classes],
        "sessions": [{
            "id": s.key, "date": s.on_date.isoformat(), "start": _hhmm(s.starts_at), "end": _hhmm(s.ends_at),
            "kind": s.kind, "activity": s.activity, "subject": s.subject or None,
            "groups": [group_key(c.id) for c in s.classes], "enrolled": s.enrolled, "staff_needed": s.staff_needed,
            "room": s.room or None, "series": s.series or None,
        } for s in sessions],
        "staff": [_with_busy_elsewhere(_staff_entry(p, dates), elsewhere.get(p.id, []), dates, policy.DEFAULT_POLICY)
                  for p in people],
        "providers": [{
            "id": provider_key(p.id), "name": p.name, "categories": list(p.categories or []),
            "status": p.status.value, "vetted_until": p.vetted_until.isoformat() if p.vetted_until else None,
        } for p in providers],
        "pinned": pinned,
        "previous": previous,
    }
    if extra:
        _apply_whatif(problem, extra)
    return problem


# --- Plan problems (before any roster is asked for) --------------------------------------------


def plan_problems(week: Week) -> list[dict]:
    """Every plan rule the week's sessions break, with rule code, reason and fix hint (engine's plan rules)."""
    if not week.sessions:
        return []
    try:
        problem = scheduling.parse_problem(build_problem(week))
    except scheduling.ProblemError as error:  # e.g. a session without classes: say so rather than fail
        return [{"rule": "PROBLEM", "date": week.monday, "reason": str(error), "hint": ""}]
    rejected = scheduling_plan.reject_sessions(problem)
    out = []
    for sid, findings in rejected.items():
        for f in findings:
            out.append({"rule": f.rule, "session": id_of(sid), "date": problem.sessions[sid].date,
                        "reason": f.reason, "hint": PLAN_FIX_HINTS.get(f.rule, "")})
    for gd in scheduling_plan.group_days(problem, rejected):
        for f in gd.findings:
            out.append({"rule": f.rule, "group": gd.group, "class": problem.groups[gd.group].label, "date": gd.date,
                        "reason": f.reason, "hint": PLAN_FIX_HINTS.get(f.rule, "")})
    for group, day, f in scheduling_plan.every_school_day_findings(problem):
        out.append({"rule": f.rule, "group": group, "class": problem.groups[group].label, "date": day,
                    "reason": f.reason, "hint": PLAN_FIX_HINTS.get(f.rule, "")})
    return sorted(out, key=lambda p: (p["date"], p["rule"]))


# --- Rosters (contract → database) -------------------------------------------------------------


def store_roster(week: Week, roster: dict) -> int:
    """Make a solved roster the week's working assignments (pins stay); the number of assignments stored."""
    sessions = {s.key: s for s in week.sessions}
    profiles = {staff_key(p.id) for p in roster_staff(week.school, week.monday)}
    for session in sessions.values():
        for a in list(session.assignments):
            if not a.pinned:
                session.assignments.remove(a)
    db.session.flush()
    stored = 0
    for a in roster.get("assignments", []):
        session = sessions.get(a["session"])
        if session is None or a["staff"] not in profiles:
            continue  # the week changed while the engine ran: that session or person is gone
        if any(staff_key(x.profile_id) == a["staff"] for x in session.assignments):
            continue
        session.assignments.append(Assignment(profile_id=id_of(a["staff"]), pinned=False))
        stored += 1
    week.solved_roster = roster
    db.session.flush()
    return stored


def working_roster(week: Week, assignments: list[tuple[str, str]] | None = None) -> dict:
    """The working assignments as a contract roster (partly staffed sessions are also listed as unstaffed)."""
    problem = scheduling.parse_problem(build_problem(week))
    rejected = scheduling_plan.reject_sessions(problem)
    if assignments is None:
        assignments = [(s.key, staff_key(a.profile_id)) for s in week.sessions for a in s.assignments]
    staff_of = defaultdict(list)
    for sid, pid in assignments:
        staff_of[sid].append(pid)
    solved = {u["session"]: u for u in (week.solved_roster or {}).get("unstaffed", [])}
    unstaffed = []
    for s in week.sessions:
        if s.key in rejected or len(staff_of[s.key]) >= s.staff_needed:
            continue
        entry = solved.get(s.key) or {"session": s.key, "rules": ["COVERAGE"],
                                      "reason": "人员不足 / not enough people assigned"}
        unstaffed.append(dict(entry, partial=bool(staff_of[s.key])))
    return {
        "status": "feasible",
        "assignments": [{"session": sid, "staff": pid} for sid, pid in assignments],
        "unstaffed": unstaffed,
        "rejected": [{"session": sid, "rules": [f.rule for f in fs], "reason": "; ".join(f.reason for f in fs)}
                     for sid, fs in rejected.items()],
        "plan_errors": [],
    }


def _violations(problem, pairs: list[tuple[str, str]]) -> set[tuple]:
    roster = {"status": "feasible", "assignments": [{"session": s, "staff": p} for s, p in pairs],
              "unstaffed": [], "rejected": [], "plan_errors": []}
    return {(v["rule"], v["session"], v["staff"]) for v in validate_roster(problem, roster)
            if v["rule"] in CHANGE_RULES}


def validate_change(week: Week, before: list[tuple[str, str]], after: list[tuple[str, str]]) -> list[str]:
    """Reasons (in the user's language) for the rules the change from `before` to `after` would break."""
    problem = scheduling.parse_problem(build_problem(week))
    new = _violations(problem, after) - _violations(problem, before)
    names = {p.id: p.name for p in problem.staff.values()}
    sessions = {s.key: s for s in week.sessions}
    reasons = []
    for rule, sid, pid in sorted(new, key=lambda v: (v[0], v[1] or "", v[2] or "")):
        session = sessions.get(sid)
        where = _("%(day)s %(start)s–%(end)s %(series)s", day=session.on_date.isoformat(),
                  start=_hhmm(session.starts_at), end=_hhmm(session.ends_at),
                  series=session.series) if session else ""
        reasons.append(_("%(who)s %(where)s: %(meaning)s (%(rule)s)", rule=rule, who=names.get(pid, ""),
                         where=where, meaning=rule_meaning(rule)))
    return reasons


def _pairs(week: Week) -> list[tuple[str, str]]:
    return [(s.key, staff_key(a.profile_id)) for s in week.sessions for a in s.assignments]


def pin(week: Week, session: PlannedSession, profile: StaffProfile) -> Assignment:
    """Pin a person to a session (kept by every re-solve); refused with reasons if it breaks a rule."""
    existing = next((a for a in session.assignments if a.profile_id == profile.id), None)
    if existing is not None:
        existing.pinned = True
        db.session.flush()
        return existing
    if len(session.assignments) >= session.staff_needed:
        raise ChangeRefused([_("This session already has the people it needs: remove someone first, or swap.")])
    findings = scheduling_plan.reject_sessions(scheduling.parse_problem(build_problem(week))).get(session.key)
    if findings:  # the rules refuse the session itself: nobody may be put in it
        raise ChangeRefused([f"{in_language(f.reason)} ({f.rule})" for f in findings])
    before = _pairs(week)
    reasons = validate_change(week, before, before + [(session.key, staff_key(profile.id))])
    if reasons:
        raise ChangeRefused(reasons)
    assignment = Assignment(profile_id=profile.id, pinned=True)
    session.assignments.append(assignment)
    db.session.flush()
    return assignment


def refuse_moving_promised(*assignments: Assignment) -> None:
    """The leader the public notice promises for an activity group stays in its sessions (ChangeRefused)."""
    for assignment in assignments:
        group = assignment.session.activity_group
        if group is not None and any(p.id == assignment.profile_id for p in promised_staff(group)):
            raise ChangeRefused([_("The public notice promises that %(who)s leads %(activity)s: change the activity "
                                   "(and publish the notice again) rather than the roster.",
                                   who=group.led_by, activity=group.name)])


def unpin(assignment: Assignment) -> None:
    """Let the solver move this person again (not the leader the notice promises)."""
    refuse_moving_promised(assignment)
    assignment.pinned = False
    db.session.flush()


def swap(week: Week, first: Assignment, second: Assignment) -> None:
    """Exchange the people of two assignments (both end up pinned); refused with reasons if a rule breaks."""
    if first.session_id == second.session_id or first.profile_id == second.profile_id:
        raise ChangeRefused([_("Choose two different people in two different sessions.")])
    refuse_moving_promised(first, second)
    a_key, b_key = first.session.key, second.session.key
    x_key, y_key = staff_key(first.profile_id), staff_key(second.profile_id)
    before = _pairs(week)
    after = [p for p in before if p not in ((a_key, x_key), (b_key, y_key))] + [(a_key, y_key), (b_key, x_key)]
    if len(set(after)) != len(after):
        raise ChangeRefused([_("One of the two people is already in the other session.")])
    reasons = validate_change(week, before, after)
    if reasons:
        raise ChangeRefused(reasons)
    first.profile_id, second.profile_id = second.profile_id, first.profile_id
    first.pinned = second.pinned = True
    db.session.flush()


def remove(week: Week, assignment: Assignment) -> None:
    """Take a person out of a session; refused if the people left are not qualified for it."""
    refuse_moving_promised(assignment)
    before = _pairs(week)
    key = (assignment.session.key, staff_key(assignment.profile_id))
    reasons = validate_change(week, before, [p for p in before if p != key])
    if reasons:
        raise ChangeRefused(reasons)
    assignment.session.assignments.remove(assignment)
    db.session.flush()


# --- Views of a roster -------------------------------------------------------------------------


def teacher_loads(week: Week) -> list[dict]:
    """Each assigned person's minutes and days this week against their caps."""
    problem = build_problem(week)
    people = {p["id"]: p for p in problem["staff"]}
    minutes, days = defaultdict(int), defaultdict(set)
    for s in week.sessions:
        for a in s.assignments:
            minutes[staff_key(a.profile_id)] += s.minutes
            days[staff_key(a.profile_id)].add(s.on_date)
    out = []
    for key in sorted(minutes, key=lambda k: -minutes[k]):
        person = people.get(key)
        if person is None:
            continue
        cap = policy.weekly_minutes_cap(person["type"], person["max_weekly_minutes"],
                                        problem["policy"]["teacher_max_weekly_minutes"])
        max_days = policy.days_cap(person["type"], person["max_days"], problem["policy"]["teacher_max_days"])
        out.append({"name": person["name"], "type": person["type"], "minutes": minutes[key], "cap": cap,
                    "days": len(days[key]), "max_days": max_days})
    return out


def snapshot(week: Week, roster: dict) -> dict:
    """A roster made self-contained for publishing: sessions and people as they are now."""
    names = {staff_key(p.id): {"name": p.user.name, "user_id": p.user_id}
             for p in roster_staff(week.school, week.monday)}
    sessions = {s.key: {
        "date": s.on_date.isoformat(), "start": _hhmm(s.starts_at), "end": _hhmm(s.ends_at), "kind": s.kind,
        "activity": s.activity, "subject": s.subject, "room": s.room, "series": s.series,
        "classes": [group_label(c) for c in s.classes], "staff_needed": s.staff_needed,
    } for s in week.sessions}
    return dict(roster, sessions=sessions, staff={k: v for k, v in names.items()
                                                   if any(a["staff"] == k for a in roster["assignments"])})


def _describe(entry: dict) -> str:
    return f"{entry.get('date', '')} {entry.get('start', '')}–{entry.get('end', '')} {entry.get('series', '')}".strip()


def version_diff(old: RosterVersion | None, new: RosterVersion) -> dict[str, dict[str, list[str]]]:
    """Per staff key: {"added": [...], "removed": [...]} session descriptions between two versions."""
    def pairs(v):
        return {(a["session"], a["staff"]) for a in (v.roster.get("assignments", []) if v else [])}

    sessions = dict(old.roster.get("sessions", {}) if old else {})
    sessions.update(new.roster.get("sessions", {}))
    before, after = pairs(old), pairs(new)
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"added": [], "removed": []})
    for sid, pid in sorted(after - before):
        out[pid]["added"].append(_describe(sessions.get(sid, {})))
    for sid, pid in sorted(before - after):
        out[pid]["removed"].append(_describe(sessions.get(sid, {})))
    return dict(out)


def publish(week: Week, actor: User, *, seen_number: int, note: str = "") -> RosterVersion:
    """Publish the working roster as version N+1 and notify everyone whose sessions changed.

    A roster with someone who may not work on a session's date is refused (ChangeRefused, with the reasons).
    `seen_number` is the latest version the coordinator saw; if someone published meanwhile, or two
    publish at the same moment (the unique (week, number) pair), PublishConflict is raised and nothing is lost.
    """
    latest = db.session.scalar(select(func.max(RosterVersion.number)).filter_by(week_id=week.id)) or 0
    if latest != seen_number:
        raise PublishConflict()
    refused = unvetted_assignments(week) + clashes_elsewhere(week)
    if refused:
        raise ChangeRefused(refused)
    previous = week.published
    version = RosterVersion(week_id=week.id, number=latest + 1, roster=snapshot(week, working_roster(week)),
                            note=note, published_by_id=actor.id, published_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError as error:
        raise PublishConflict() from error
    db.session.refresh(week)
    roster_published.send(week)  # the county board's figures follow the published roster (app/county/facts.py)
    for key, change in version_diff(previous, version).items():
        user = db.session.get(User, version.roster.get("staff", {}).get(key, {}).get("user_id")
                              or (previous.roster.get("staff", {}).get(key, {}).get("user_id") if previous else None)
                              or 0)
        if user is None:
            continue
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):  # the reader's language
            lines = [_("New: %(what)s", what=w) for w in change["added"]]
            lines += [_("No longer: %(what)s", what=w) for w in change["removed"]]
            subject = _("Your after-school roster for the week of %(monday)s has changed (version %(n)s)",
                        monday=week.monday.isoformat(), n=version.number)
        notify(user, subject, "\n".join(lines))
    logger.info("week %s: published version %s", week.id, version.number)
    return version


def grid(week: Week) -> tuple[list[date], list[dict]]:
    """The roster as a grid: days that have sessions × rows of (time, label), sessions in the cells."""
    days = sorted({s.on_date for s in week.sessions})
    rows: dict[tuple, dict] = {}
    for s in week.sessions:
        key = (s.starts_at, s.ends_at, s.series)
        row = rows.setdefault(key, {"time": f"{_hhmm(s.starts_at)}–{_hhmm(s.ends_at)}", "label": s.series,
                                    "cells": defaultdict(list)})
        row["cells"][s.on_date].append(s)
    return days, [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1], k[2]))]
