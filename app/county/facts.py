"""The board's facts: what the published rosters add up to, worked out once and stored (app/county/models.py).

- ``class_day_coverage(school, first, last)``: every class's school days in a date range, each a service day or a
  declared exception day (policy.service_days) and covered or not (policy.day_covered) — the one reading of
  "every school day covered" for the board (and for any list of gaps that wants the same answer).
- ``refresh_term(school, term)``: a school term's facts again, from its weeks' latest published versions;
  ``refresh_week(week)`` (called when a week is published) refreshes the term that holds the week;
  ``refresh_school`` / ``refresh_county`` every term (``flask county refresh``, after calendar or offering changes).

A session's register is copied as one bit, ``SessionFact.marked`` (a session with marks counts as held): set by
``session_marked`` when a register's first mark is taken (daily.register.mark), and by every refresh.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import selectinload

from app.county.models import (
    ClassDayFact,
    FactsRefresh,
    SchoolDayFact,
    SessionClassFact,
    SessionFact,
    StaffLoadFact,
)
from app.extensions import db
from app.models_base import utcnow
from app.programs.models import Offering, OfferingKind
from app.rosters.models import RosterSettings, Week, id_of, planned_session_class
from app.rosters.services import exception_weekdays, monday_of, roster_published, school_days_between
from app.schools.models import County, School, SchoolClass, Term
from app.staff.models import StaffProfile, StaffType
from scheduling import policy
from scheduling.problem import clock, minutes_of, parse_time, span_minutes

logger = logging.getLogger(__name__)


def _published_sessions(week: Week) -> dict[int, dict]:
    """The week's sessions as its latest published version has them: {session id: snapshot entry}; with no
    published version, the week's planned sessions (as the coordinator has them now)."""
    version = week.versions[-1] if week.versions else None
    if version is not None:
        staff: dict[str, list[str]] = defaultdict(list)
        for assignment in version.roster.get("assignments", []):
            staff[assignment["session"]].append(assignment["staff"])
        return {id_of(key): dict(entry, staff=staff[key])
                for key, entry in version.roster.get("sessions", {}).items() if "date" in entry}
    return {s.id: {"date": s.on_date.isoformat(), "start": s.starts_at.strftime("%H:%M"),
                   "end": s.ends_at.strftime("%H:%M"), "kind": s.kind, "activity": s.activity, "staff": None}
            for s in week.sessions}


def _weeks(school: School, first: date, last: date) -> list[Week]:
    return list(db.session.scalars(
        select(Week).where(Week.school_id == school.id, Week.monday >= monday_of(first), Week.monday <= last)
        .options(selectinload(Week.versions), selectinload(Week.sessions)).order_by(Week.monday)
        .execution_options(populate_existing=True)))  # versions added by id since a week was loaded count too


def session_marked(session_id: int) -> None:
    """A register mark was taken for a session: its published fact counts as held, and its school-day's sums move
    its minutes to "marked" (two indexed UPDATEs on the first mark, one that changes nothing after)."""
    changed = db.session.execute(
        update(SessionFact).where(SessionFact.session_id == session_id, SessionFact.marked.is_(False))
        .values(marked=True).returning(SessionFact.school_id, SessionFact.term_id, SessionFact.on_date,
                                       SessionFact.minutes, SessionFact.staff)
        .execution_options(synchronize_session=False)).all()
    for school_id, term_id, on_date, minutes, staff in changed:
        db.session.execute(
            update(SchoolDayFact).where(SchoolDayFact.school_id == school_id, SchoolDayFact.term_id == term_id,
                                        SchoolDayFact.on_date == on_date)
            .values(marked_minutes=SchoolDayFact.marked_minutes + minutes,
                    staffed_minutes=SchoolDayFact.staffed_minutes - (minutes if staff else 0))
            .execution_options(synchronize_session=False))


def _marked(session_ids) -> set[int]:
    """The sessions among these whose register has a mark."""
    from app.daily.models import AttendanceMark

    found: set[int] = set()
    ids = list(session_ids)
    for start in range(0, len(ids), 500):
        found.update(db.session.scalars(select(AttendanceMark.session_id).distinct()
                                        .where(AttendanceMark.session_id.in_(ids[start:start + 500]))))
    return found


def _classes_of(session_ids) -> dict[int, list[int]]:
    """Class ids per planned session (sessions re-planned since publishing have none left)."""
    found: dict[int, list[int]] = defaultdict(list)
    ids = list(session_ids)
    for start in range(0, len(ids), 500):
        rows = db.session.execute(select(planned_session_class.c.session_id, planned_session_class.c.class_id)
                                  .where(planned_session_class.c.session_id.in_(ids[start:start + 500])))
        for session_id, class_id in rows:
            found[session_id].append(class_id)
    return found


@dataclass(frozen=True)
class ClassDay:
    """A class on a school day: a service day (else a declared exception day) and whether the plan covers it."""

    class_id: int
    on_date: date
    service_day: bool
    covered: bool
    minutes: int


def class_day_coverage(school: School, first: date, last: date, *, weeks: list[Week] | None = None,
                       classes_of: dict[int, list[int]] | None = None) -> list[ClassDay]:
    """EVERY_SCHOOL_DAY for each class of a school with an after-school offering in the term, on each school day
    from first to last: its service days (policy.service_days: all but the offering's declared exception days)
    and whether its after-school sessions in the week's latest published version (the working plan when none is
    published) hold a block of MIN_DAILY_MINUTES ending no earlier than the school's end of work that day
    (policy.day_covered)."""
    terms = [t for t in school.terms if t.starts_on <= last and t.ends_on >= first]
    offerings = db.session.scalars(select(Offering).where(
        Offering.school_id == school.id, Offering.kind == OfferingKind.AFTER_SCHOOL,
        Offering.term_id.in_([t.id for t in terms]), Offering.published_version > 0)).all()
    by_term = defaultdict(list)
    for offering in offerings:
        by_term[offering.term_id].append(offering)
    if not by_term:
        return []
    weeks = weeks if weeks is not None else _weeks(school, first, last)
    published = {sid: entry for week in weeks for sid, entry in _published_sessions(week).items()}
    classes_of = classes_of if classes_of is not None else _classes_of(published)
    intervals: dict[tuple[int, date], list[tuple[int, int]]] = defaultdict(list)
    for sid, entry in published.items():
        if entry["kind"] != policy.AFTER_SCHOOL_KIND:
            continue
        day = date.fromisoformat(entry["date"])
        for class_id in classes_of.get(sid, ()):
            intervals[(class_id, day)].append((parse_time(entry["start"]), parse_time(entry["end"])))
    class_ids = db.session.scalars(select(SchoolClass.id).where(SchoolClass.school_id == school.id)
                                   .order_by(SchoolClass.id)).all()
    found: list[ClassDay] = []
    for term in terms:
        if term.id not in by_term:
            continue
        days = school_days_between(school, max(first, term.starts_on), min(last, term.ends_on))
        service = set(policy.service_days(days, exception_weekdays(by_term[term.id], term.starts_on, term.ends_on)))
        for day in days:
            work_end = minutes_of(school.work_end_on(day))
            for class_id in class_ids:
                blocks = intervals.get((class_id, day), [])
                found.append(ClassDay(
                    class_id=class_id, on_date=day, service_day=day in service,
                    covered=policy.day_covered(blocks, work_end=work_end),
                    minutes=sum(end - start for start, end in policy.merged_blocks(blocks))))
    return found


# --- Refreshing the facts ---


def term_of(school: School, day: date) -> Term | None:
    return next((t for t in school.terms if t.starts_on <= day <= t.ends_on), None)


def refresh_week(week: Week) -> None:
    """After a week is published: its term's facts again (the term's totals change with the week; flushes)."""
    term = term_of(week.school, week.monday + timedelta(days=4)) or term_of(week.school, week.monday)
    if term is not None:
        refresh_term(week.school, term)


def refresh_school(school: School) -> None:
    """Every term of a school (flushes)."""
    for term in school.terms:
        refresh_term(school, term)
    db.session.flush()


def refresh_county(county: County) -> int:
    """Every school of a county; the number of schools (flushes)."""
    for school in county.schools:
        refresh_school(school)
    return len(county.schools)


def refresh_term(school: School, term: Term) -> None:
    """A school term's facts from its weeks' latest published versions: class days, sessions (with their classes
    and provider), each person's weeks and term (minutes, rest, subsidy by myweek.services.tally; flushes)."""
    from app.myweek.services import MySession, caps_of, tally

    # One refresh of a school at a time (two weeks published at once): the second waits for the first to commit,
    # then deletes what the first wrote instead of adding its rows beside them (PostgreSQL; SQLite writes one by one).
    db.session.execute(select(School.id).where(School.id == school.id).with_for_update())
    for model in (ClassDayFact, SchoolDayFact, SessionFact, SessionClassFact, StaffLoadFact):
        db.session.execute(delete(model).where(model.school_id == school.id, model.term_id == term.id)
                           .execution_options(synchronize_session=False))
    weeks = _weeks(school, term.starts_on, term.ends_on)
    published = {week.id: _published_sessions(week) for week in weeks if week.versions}
    classes_of = _classes_of([sid for sessions in published.values() for sid in sessions])
    marked = _marked([sid for sessions in published.values() for sid in sessions])
    coverage = class_day_coverage(school, term.starts_on, term.ends_on, weeks=weeks, classes_of=classes_of)
    _insert(ClassDayFact, [{"school_id": school.id, "term_id": term.id, "class_id": c.class_id, "on_date": c.on_date,
                            "service_day": c.service_day, "covered": c.covered, "minutes": c.minutes}
                           for c in coverage])

    profile_ids = {id_of(key) for sessions in published.values() for entry in sessions.values()
                   for key in entry["staff"] or ()}
    profiles = {p.id: p for p in db.session.scalars(
        select(StaffProfile).where(StaffProfile.id.in_(profile_ids)).options(selectinload(StaffProfile.user)))}
    settings = {school.id: _settings(school.id)}
    own: dict[int, dict[date, list]] = defaultdict(lambda: defaultdict(list))
    session_rows, class_rows, load_rows = [], [], []
    for week in weeks:
        for sid, entry in published.get(week.id, {}).items():
            day = date.fromisoformat(entry["date"])
            if not term.starts_on <= day <= term.ends_on:
                continue
            start, end = clock(entry["start"]), clock(entry["end"])
            people = [profiles[id_of(key)] for key in entry["staff"] if id_of(key) in profiles]
            provider = next((p.user.provider_id for p in people if p.staff_type is StaffType.PROVIDER), None)
            session_rows.append({"school_id": school.id, "term_id": term.id, "monday": week.monday,
                                 "session_id": sid, "on_date": day, "minutes": span_minutes(start, end),
                                 "kind": entry["kind"], "activity": entry["activity"], "staff": len(people),
                                 "marked": sid in marked, "provider_id": provider})
            class_rows += [{"school_id": school.id, "term_id": term.id, "session_id": sid, "class_id": class_id}
                           for class_id in classes_of.get(sid, ())]
            for person in people:
                own[person.id][week.monday].append(MySession(
                    key=f"s-{sid}", school_id=school.id, school_name=school.name, on_date=day, starts_at=start,
                    ends_at=end, kind=entry["kind"], activity=entry["activity"], subject=entry.get("subject") or "",
                    room=entry.get("room") or "", series=entry.get("series") or "",
                    classes=tuple(entry.get("classes") or ()), enrolled=None, version=0))
    for profile_id, by_week in own.items():
        profile = profiles[profile_id]
        cap = caps_of(profile)[0]
        if profile.school_id is not None and profile.school_id not in settings:
            settings[profile.school_id] = _settings(profile.school_id)
        weekly = {}
        for monday, sessions in by_week.items():
            week_tally = tally(sessions, profile, settings=settings)
            weekly[monday] = week_tally.minutes
            load_rows.append({"school_id": school.id, "term_id": term.id, "monday": monday, "profile_id": profile_id,
                              "staff_type": profile.staff_type.value, "minutes": week_tally.minutes, "weeks": 1,
                              "largest_week": week_tally.minutes, "rest_minutes": week_tally.rest_minutes,
                              "subsidy_cents": week_tally.subsidy_cents, "weekly_cap": cap})
        term_tally = tally([s for sessions in by_week.values() for s in sessions], profile, settings=settings)
        load_rows.append({"school_id": school.id, "term_id": term.id, "monday": None, "profile_id": profile_id,
                          "staff_type": profile.staff_type.value, "minutes": term_tally.minutes, "weeks": len(weekly),
                          "largest_week": max(weekly.values()), "rest_minutes": term_tally.rest_minutes,
                          "subsidy_cents": term_tally.subsidy_cents, "weekly_cap": cap})
    _insert(SessionFact, session_rows)
    _insert(SchoolDayFact, _school_days(school.id, term.id, coverage, session_rows))
    _insert(SessionClassFact, class_rows)
    _insert(StaffLoadFact, load_rows)
    stamp = db.session.get(FactsRefresh, school.id)
    if stamp is None:
        db.session.add(FactsRefresh(school_id=school.id, refreshed_at=utcnow()))
    else:
        stamp.refreshed_at = utcnow()
    db.session.flush()
    logger.info("county facts: school %s term %s refreshed", school.id, term.id)


def _school_days(school_id: int, term_id: int, coverage: list[ClassDay], sessions: list[dict]) -> list[dict]:
    """The school's days in sum: class-days served and covered, minutes marked and staffed without a mark."""
    days: dict[date, dict] = {}

    def day_row(day: date) -> dict:
        return days.setdefault(day, {"school_id": school_id, "term_id": term_id, "on_date": day, "service_days": 0,
                                     "covered_days": 0, "marked_minutes": 0, "staffed_minutes": 0})

    for class_day in coverage:
        row = day_row(class_day.on_date)
        row["service_days"] += class_day.service_day
        row["covered_days"] += class_day.service_day and class_day.covered
    for session in sessions:
        row = day_row(session["on_date"])
        if session["marked"]:
            row["marked_minutes"] += session["minutes"]
        elif session["staff"]:
            row["staffed_minutes"] += session["minutes"]
    return list(days.values())


def _insert(model, rows: list[dict]) -> None:
    """Many fact rows in one statement (executemany)."""
    if rows:
        db.session.execute(insert(model), rows)


def _settings(school_id: int) -> RosterSettings:
    from app.myweek.services import roster_settings

    return roster_settings(school_id)


@roster_published.connect
def _follow_published(week: Week, **_extra) -> None:
    """A week was published: its school term's facts follow (rosters.services.publish sends it)."""
    refresh_week(week)
