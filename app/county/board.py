"""The county board's figures, county → school → class, for a term or a week, and the trend across terms.

Each figure is one SQL aggregate over a whole scope (every school of a county, or every class of a school), so a
page makes the same few queries whatever the number of schools. What needs per-session work comes from the fact
tables (app/county/facts.py); students, applications, places, staff taking part, fees and register marks are read
live. The words defining each figure are on the page (templates/county/_definitions.html).
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select

from app.county.models import (
    ClassDayFact,
    FactsRefresh,
    SchoolDayFact,
    SessionClassFact,
    SessionFact,
    StaffLoadFact,
)
from app.enrolment.models import Application, ApplicationStatus, LedgerEntry, LedgerKind
from app.extensions import db
from app.models_base import school_zone
from app.programs.models import Offering, OfferingKind
from app.providers.models import Provider
from app.schools.models import Grade, School, SchoolClass, Student, Term
from app.schools.services import school_figures
from scheduling import policy


@dataclass(frozen=True)
class TermSpan:
    """A term as the schools of a scope name it: the first day any of them starts it, the last any ends it."""

    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Period:
    """What a board page adds up: a whole term so far, or one week (Monday to Sunday) of a term."""

    term: TermSpan
    monday: date | None = None

    @property
    def first(self) -> date:
        return self.monday or self.term.starts_on

    @property
    def last(self) -> date:
        return self.monday + timedelta(days=6) if self.monday else self.term.ends_on

    @property
    def previous_monday(self) -> date | None:
        return self.monday - timedelta(days=7) if self.monday else None

    @property
    def next_monday(self) -> date | None:
        return self.monday + timedelta(days=7) if self.monday else None

    def to_date(self, today: date) -> date:
        """The last day counted: today at most (the board counts what has happened and what is planned so far)."""
        return min(self.last, today)


@dataclass
class Load:
    """In-service teachers' weekly service minutes: median, 90th percentile, largest, and how many above their cap."""

    teachers: int = 0
    median: int = 0  # minutes, rounded
    p90: int = 0
    largest: int = 0
    over_cap: int = 0


class Rates:
    """Participation, coverage and hours delivered from the counts a board line holds (placed, students, service and
    covered days, minutes)."""

    @property
    def participation(self) -> float | None:
        """Children placed ÷ students (None without students)."""
        return self.placed / self.students if self.students else None

    @property
    def coverage(self) -> float | None:
        """Class-days covered ÷ service class-days (None without service days)."""
        return self.covered_days / self.service_days if self.service_days else None

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class Row(Rates):
    """One line of a board table: a school (or the county), or a class."""

    id: int
    name: str
    students: int = 0
    applied: int = 0
    placed: int = 0
    service_days: int = 0
    covered_days: int = 0
    minutes: int = 0  # service delivered
    register_minutes: int = 0  # of which sessions with register marks
    opted_in: int = 0
    load: Load = field(default_factory=Load)
    rest_minutes: int = 0
    subsidy_cents: int = 0
    charged_cents: int = 0
    waived_cents: int = 0
    refunded_cents: int = 0

    @property
    def register_hours(self) -> float:
        return round(self.register_minutes / 60, 1)


@dataclass(frozen=True)
class ProviderLine:
    provider_id: int
    provider: str
    activity: str
    sessions: int
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass(frozen=True)
class TrendPoint(Rates):
    """A term of the trend: participation, school days covered and service hours delivered (so far)."""

    term: str
    placed: int
    students: int
    service_days: int
    covered_days: int
    minutes: int


# --- Scopes and periods ---


def county_scope(county_id: int):
    """The school ids of a county, as a subquery every figure filters on."""
    return select(School.id).where(School.county_id == county_id)


def school_scope(school_id: int):
    return select(School.id).where(School.id == school_id)


def terms_of(scope) -> list[TermSpan]:
    """The terms the scope's schools have, oldest first (schools name a term alike: one line per name)."""
    rows = db.session.execute(select(Term.name, func.min(Term.starts_on), func.max(Term.ends_on))
                              .where(Term.school_id.in_(scope)).group_by(Term.name)
                              .order_by(func.min(Term.starts_on)))
    return [TermSpan(name, starts, ends) for name, starts, ends in rows]


def choose_period(terms: list[TermSpan], today: date, *, term_name: str | None = None,
                  week_day: date | None = None) -> Period | None:
    """The period asked for: the week holding `week_day` (within its term), else the named term, else the term
    holding today, else the latest that has begun, else the first."""
    if not terms:
        return None
    if week_day is not None:
        monday = week_day - timedelta(days=week_day.weekday())
        term = next((t for t in terms if t.starts_on <= monday + timedelta(days=4) and monday <= t.ends_on), None)
        if term is not None:
            return Period(term, monday)
    if term_name:
        term = next((t for t in terms if t.name == term_name), None)
        if term is not None:
            return Period(term)
    current = next((t for t in terms if t.starts_on <= today <= t.ends_on), None)
    begun = [t for t in terms if t.starts_on <= today]
    return Period(current or (begun[-1] if begun else terms[0]))


def _term_ids(scope, period: Period):
    return select(Term.id).where(Term.school_id.in_(scope), Term.name == period.term.name)


def _local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC moments of school-time midnight before `first` and after `last`."""
    zone = school_zone()
    return (datetime.combine(first, time(0), zone), datetime.combine(last + timedelta(days=1), time(0), zone))


# --- The figures (each one query over the whole scope, grouped by school or by class) ---


def applications_by(scope, period: Period, *, by_class: bool) -> dict[int, tuple[int, int]]:
    """Applied: children whose family applied for the term's after-school service (not withdrawn); placed: those
    whose application the principal approved (a place in the service)."""
    key = Student.class_id if by_class else Application.school_id
    approved = case((Application.status == ApplicationStatus.APPROVED, Application.student_id))
    statement = (select(key, func.count(Application.student_id.distinct()), func.count(approved.distinct()))
                 .join(Offering, Offering.id == Application.offering_id)
                 .where(Application.school_id.in_(scope), Offering.kind == OfferingKind.AFTER_SCHOOL,
                        Offering.term_id.in_(_term_ids(scope, period)),
                        Application.status != ApplicationStatus.WITHDRAWN).group_by(key))
    if by_class:
        statement = statement.join(Student, Student.id == Application.student_id)
    return {k: (applied, placed) for k, applied, placed in db.session.execute(statement)}


def coverage_by(scope, period: Period, today: date, *, by_class: bool) -> dict[int, tuple[int, int]]:
    """(service class-days, covered class-days) from the first day of the period to today (a school's from its
    days' sums, a class's from its own days)."""
    fact = ClassDayFact if by_class else SchoolDayFact
    key = ClassDayFact.class_id if by_class else SchoolDayFact.school_id
    if by_class:
        service = func.sum(case((ClassDayFact.service_day, 1), else_=0))
        covered = func.sum(case((and_(ClassDayFact.service_day, ClassDayFact.covered), 1), else_=0))
    else:
        service, covered = func.sum(SchoolDayFact.service_days), func.sum(SchoolDayFact.covered_days)
    rows = db.session.execute(
        select(key, service, covered).where(
            fact.school_id.in_(scope), fact.term_id.in_(_term_ids(scope, period)),
            fact.on_date >= period.first, fact.on_date <= period.to_date(today)).group_by(key))
    return {k: (int(s or 0), int(c or 0)) for k, s, c in rows}


def _delivered(today: date):
    """A published session counts as delivered once its register has a mark, or, with no marks, once its day is
    past with someone on it in the published roster (the roster is then the record)."""
    marked = SessionFact.marked
    return marked, (marked | and_(SessionFact.on_date < today, SessionFact.staff > 0))


def hours_by(scope, period: Period, today: date, *, by_class: bool) -> dict[int, tuple[int, int]]:
    """(minutes delivered, minutes of sessions with register marks) per school (its days' sums) or class."""
    if not by_class:
        delivered = (func.sum(SchoolDayFact.marked_minutes)
                     + func.sum(case((SchoolDayFact.on_date < today, SchoolDayFact.staffed_minutes), else_=0)))
        rows = db.session.execute(
            select(SchoolDayFact.school_id, delivered, func.sum(SchoolDayFact.marked_minutes)).where(
                SchoolDayFact.school_id.in_(scope), SchoolDayFact.term_id.in_(_term_ids(scope, period)),
                SchoolDayFact.on_date >= period.first, SchoolDayFact.on_date <= period.to_date(today))
            .group_by(SchoolDayFact.school_id))
        return {k: (int(m or 0), int(r or 0)) for k, m, r in rows}
    marked, delivered = _delivered(today)
    statement = (select(SessionClassFact.class_id, func.sum(SessionFact.minutes),
                        func.sum(case((marked, SessionFact.minutes), else_=0)))
                 .join(SessionClassFact, and_(SessionClassFact.session_id == SessionFact.session_id,
                                              SessionClassFact.school_id == SessionFact.school_id))
                 .where(SessionFact.school_id.in_(scope), SessionFact.term_id.in_(_term_ids(scope, period)),
                        SessionFact.on_date >= period.first, SessionFact.on_date <= period.to_date(today), delivered)
                 .group_by(SessionClassFact.class_id))
    return {k: (int(m or 0), int(r or 0)) for k, m, r in db.session.execute(statement)}


def fees_by(scope, period: Period, *, by_class: bool) -> dict[int, tuple[int, int, int]]:
    """(charged, waived, refunded) cents: a term's ledger lines of the term's after-school offerings; a week's,
    the lines written that week (school time)."""
    key = Student.class_id if by_class else LedgerEntry.school_id

    def total(kind: LedgerKind):
        return func.sum(case((LedgerEntry.kind == kind, LedgerEntry.amount_cents), else_=0))

    statement = (select(key, total(LedgerKind.CHARGE), total(LedgerKind.WAIVER), total(LedgerKind.REFUND))
                 .join(Application, Application.id == LedgerEntry.application_id)
                 .where(LedgerEntry.school_id.in_(scope)).group_by(key))
    if period.monday is None:
        statement = statement.join(Offering, Offering.id == Application.offering_id).where(
            Offering.kind == OfferingKind.AFTER_SCHOOL, Offering.term_id.in_(_term_ids(scope, period)))
    else:
        starts, ends = _local_bounds(period.first, period.last)
        statement = statement.where(LedgerEntry.created_at >= starts, LedgerEntry.created_at < ends)
    if by_class:
        statement = statement.join(Student, Student.id == Application.student_id)
    return {k: (int(c or 0), int(w or 0), int(r or 0)) for k, c, w, r in db.session.execute(statement)}


def percentile(values: list[int], share: float) -> int:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0


def staff_by(scope, period: Period) -> tuple[dict[int, tuple[Load, int, int]], Load]:
    """Per school: in-service teachers' weekly load (a week: each teacher's minutes that week; a term: each
    teacher's average week over the weeks they served, the largest being their busiest week), and the compensatory
    rest and subsidy owed to school staff (myweek.services.tally, as stored by facts.refresh_term); and the load of
    every teacher of the scope together."""
    condition = (StaffLoadFact.monday == period.monday if period.monday else
                 and_(StaffLoadFact.monday.is_(None), StaffLoadFact.term_id.in_(_term_ids(scope, period))))
    rows = db.session.execute(
        select(StaffLoadFact.school_id, StaffLoadFact.staff_type, StaffLoadFact.minutes, StaffLoadFact.weeks,
               StaffLoadFact.largest_week, StaffLoadFact.weekly_cap, StaffLoadFact.rest_minutes,
               StaffLoadFact.subsidy_cents)
        .where(StaffLoadFact.school_id.in_(scope), StaffLoadFact.staff_type != policy.PROVIDER_TYPE, condition))
    weekly: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    owed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for school_id, staff_type, minutes, weeks, largest, cap, rest, subsidy in rows:
        owed[school_id][0] += rest
        owed[school_id][1] += subsidy
        if staff_type == policy.TEACHER and weeks:
            weekly[school_id].append((round(minutes / weeks), largest, cap))
    found = {}
    for school_id in set(weekly) | set(owed):
        found[school_id] = (load_of(weekly.get(school_id, [])), *owed[school_id])
    return found, load_of([entry for entries in weekly.values() for entry in entries])


def load_of(entries: list[tuple[int, int, int | None]]) -> Load:
    """The load figures of (weekly minutes, largest week, cap) per teacher."""
    if not entries:
        return Load()
    values = [minutes for minutes, _, _ in entries]
    return Load(teachers=len(values), median=round(statistics.median(values)), p90=percentile(values, 0.9),
                largest=max(largest for _, largest, _ in entries),
                over_cap=sum(1 for _, largest, cap in entries if cap is not None and largest > cap))


def providers_of(scope, period: Period, today: date) -> list[ProviderLine]:
    """Sessions with a provider's staff in the published rosters, by provider and category, up to today."""
    rows = db.session.execute(
        select(Provider.id, Provider.name, SessionFact.activity, func.count(), func.sum(SessionFact.minutes))
        .join(Provider, Provider.id == SessionFact.provider_id)
        .where(SessionFact.school_id.in_(scope), SessionFact.term_id.in_(_term_ids(scope, period)),
               SessionFact.on_date >= period.first, SessionFact.on_date <= period.to_date(today))
        .group_by(Provider.id, Provider.name, SessionFact.activity).order_by(Provider.name, SessionFact.activity))
    return [ProviderLine(pid, name, activity, count, int(minutes or 0)) for pid, name, activity, count, minutes in rows]


def refreshed_at(scope) -> datetime | None:
    """The oldest refresh of the scope's facts (None when never worked out)."""
    return db.session.scalar(select(func.min(FactsRefresh.refreshed_at)).where(FactsRefresh.school_id.in_(scope)))


# --- The tables ---


def county_rows(county, period: Period, today: date) -> tuple[list[Row], Row]:
    """Each school of the county, and the county's total line."""
    scope = county_scope(county.id)
    schools = db.session.scalars(select(School).where(School.county_id == county.id).order_by(School.name)).all()
    rows = [Row(school.id, school.name) for school in schools]
    for row, figures in zip(rows, school_figures(schools, today), strict=True):
        row.students, row.opted_in = figures.students, figures.opted_in
    _fill(rows, scope, period, today, by_class=False)
    per_school, everyone = staff_by(scope, period)
    for row, (load, rest, subsidy) in _each(rows, per_school, (Load(), 0, 0)):
        row.load, row.rest_minutes, row.subsidy_cents = load, rest, subsidy
    total = _total(rows, county.id, county.name)
    total.load = everyone
    return rows, total


def school_rows(school: School, period: Period, today: date) -> tuple[list[Row], Row]:
    """Each class of the school, and the school's line (its figures as the county table shows them)."""
    from app.schools.models import class_label

    scope = school_scope(school.id)
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                 .join(SchoolClass.grade).order_by(Grade.number, SchoolClass.number)
                                 .options(_grade_loaded())).all()
    rows = [Row(c.id, class_label(c)) for c in classes]
    students = dict(db.session.execute(select(Student.class_id, func.count()).where(Student.school_id == school.id)
                                       .group_by(Student.class_id)).all())
    for row in rows:
        row.students = students.get(row.id, 0)
    _fill(rows, scope, period, today, by_class=True)
    (figures,) = school_figures([school], today)
    line = Row(school.id, school.name, students=figures.students, opted_in=figures.opted_in)
    _fill([line], scope, period, today, by_class=False)
    load, rest, subsidy = staff_by(scope, period)[0].get(school.id, (Load(), 0, 0))
    line.load, line.rest_minutes, line.subsidy_cents = load, rest, subsidy
    return rows, line


def class_days(school_class: SchoolClass, period: Period, today: date) -> list[ClassDayFact]:
    """The class's school days in the period up to today, covered or not."""
    return list(db.session.scalars(select(ClassDayFact).where(
        ClassDayFact.class_id == school_class.id, ClassDayFact.on_date >= period.first,
        ClassDayFact.on_date <= period.to_date(today)).order_by(ClassDayFact.on_date)))


def trend(scope, terms: list[TermSpan], today: date, students: int) -> list[TrendPoint]:
    """Every term of the scope so far: children placed (÷ today's students), class-days covered, hours delivered
    (the schools' days' sums)."""
    placed = dict(db.session.execute(
        select(Term.name, func.count(Application.student_id.distinct()))
        .join(Offering, Offering.id == Application.offering_id).join(Term, Term.id == Offering.term_id)
        .where(Application.school_id.in_(scope), Offering.kind == OfferingKind.AFTER_SCHOOL,
               Application.status == ApplicationStatus.APPROVED).group_by(Term.name)).all())
    days = {name: (service, covered, minutes) for name, service, covered, minutes in db.session.execute(
        select(Term.name, func.sum(SchoolDayFact.service_days), func.sum(SchoolDayFact.covered_days),
               func.sum(SchoolDayFact.marked_minutes)
               + func.sum(case((SchoolDayFact.on_date < today, SchoolDayFact.staffed_minutes), else_=0)))
        .join(Term, Term.id == SchoolDayFact.term_id)
        .where(SchoolDayFact.school_id.in_(scope), SchoolDayFact.on_date <= today).group_by(Term.name))}
    found = []
    for term in terms:
        if term.starts_on <= today:
            service, covered, minutes = days.get(term.name, (0, 0, 0))
            found.append(TrendPoint(term.name, placed.get(term.name, 0), students, int(service or 0),
                                    int(covered or 0), int(minutes or 0)))
    return found


# --- Helpers ---


def _grade_loaded():
    from sqlalchemy.orm import contains_eager

    return contains_eager(SchoolClass.grade)


def _each(rows: list[Row], found: dict, default):
    for row in rows:
        yield row, found.get(row.id, default)


def _fill(rows: list[Row], scope, period: Period, today: date, *, by_class: bool) -> None:
    for row, (applied, placed) in _each(rows, applications_by(scope, period, by_class=by_class), (0, 0)):
        row.applied, row.placed = applied, placed
    for row, (service, covered) in _each(rows, coverage_by(scope, period, today, by_class=by_class), (0, 0)):
        row.service_days, row.covered_days = service, covered
    for row, (minutes, marked) in _each(rows, hours_by(scope, period, today, by_class=by_class), (0, 0)):
        row.minutes, row.register_minutes = minutes, marked
    for row, (charged, waived, refunded) in _each(rows, fees_by(scope, period, by_class=by_class), (0, 0, 0)):
        row.charged_cents, row.waived_cents, row.refunded_cents = charged, waived, refunded


SUMMED = ("students", "applied", "placed", "service_days", "covered_days", "minutes", "register_minutes",
          "opted_in", "rest_minutes", "subsidy_cents", "charged_cents", "waived_cents", "refunded_cents")


def _total(rows: list[Row], row_id: int, name: str) -> Row:
    total = Row(row_id, name)
    for name_ in SUMMED:
        setattr(total, name_, sum(getattr(row, name_) for row in rows))
    return total


@dataclass
class Voice:
    """What families say about a school: the term survey's overall satisfaction and the complaints filed so far."""

    id: int
    name: str
    satisfaction: float | None  # mean of 1–5, None without answers
    answers: int
    complaints: int
    open: int  # with the school or the county, not yet answered
    overdue: int  # with the school past its day


def voices(county_id: int, term_name: str, school_id: int | None = None) -> list[Voice]:
    """Each school's families' satisfaction in the term's survey (app.surveys.results.school_means) and its complaints
    (app.complaints.services.county_figures), for the county or one of its schools."""
    from app.complaints.services import county_figures
    from app.surveys.results import school_means

    means = school_means(county_id, term_name)
    return [Voice(school.id, school.name, means.get(school.id, (None, 0))[0], means.get(school.id, (None, 0))[1],
                  counts.total, counts.open, counts.overdue)
            for school, counts in county_figures(county_id).schools if school_id in (None, school.id)]
