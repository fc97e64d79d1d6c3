"""My week's read model: a person's sessions as the latest *published* roster version of each week describes them
(never the coordinator's working assignments), what they add up to (minutes, days, compensatory rest, subsidy)
against the person's caps, and the personal iCal feed.

Provider staff see only their own sessions (at any school of their county that rostered them); teachers see their
own school's.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.forms_common import in_locale
from app.rosters.expected import expected_by_session
from app.rosters.models import RosterSettings, Week, id_of, staff_key
from app.rosters.services import monday_of
from app.schools.models import School, Term
from app.staff.models import StaffProfile, StaffType
from app.staff.services import skill_label
from scheduling import policy
from scheduling.policy import EVENING_KIND, KIND_LABELS
from scheduling.problem import clock, span_minutes

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
        return span_minutes(self.starts_at, self.ends_at)


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
                starts_at=clock(entry["start"]), ends_at=clock(entry["end"]), kind=entry.get("kind", ""),
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
    return span_minutes(max(session.starts_at, work_end), session.ends_at)


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
    return in_locale(KIND_LABELS.get(kind, (kind, kind)))


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
