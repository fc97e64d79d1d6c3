"""Every school day, two hours, every class (EVERY_SCHOOL_DAY): where a school's planned after-school service leaves
a class without its daily block, over any range of dates (a week, a term).

Read from the school's weeks (the published roster's sessions when the week has one, else the planned sessions),
its calendar (terms and holidays: services.school_days_between) and the exception weekdays its published
after-school offerings declare (with their reason). The rule is the policy module's: policy.service_days and
policy.day_covered; a class counts as in the service in a week when it has at least one after-school session on a
school day of that week (the engine's reading, scheduling/README.md "every_school_day").
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.rosters import services
from app.rosters.models import PlannedSession, Week
from app.schools.models import School, SchoolClass, Term
from scheduling import policy
from scheduling.problem import format_time, parse_time


@dataclass(frozen=True)
class Gap:
    """One class-day without its daily block: rule code, class, date and a "中文 / English" reason."""

    rule: str  # EVERY_SCHOOL_DAY (no service at all), TWO_HOUR_MINIMUM or END_BEFORE_WORK_END
    class_id: int
    date: date
    reason: str


def _minutes(value: time | str) -> int:
    return parse_time(value) if isinstance(value, str) else value.hour * 60 + value.minute


def _week_intervals(week: Week, labels: dict[str, int]) -> dict[tuple[int, date], list[tuple[int, int]]]:
    """(class id, date) → after-school (start, end) minutes of the week: the published roster's sessions (rejected
    ones left out) when there is one, else the planned sessions."""
    out: dict[tuple[int, date], list[tuple[int, int]]] = defaultdict(list)
    published = week.published
    if published is not None:
        rejected = {e.get("session") for e in published.roster.get("rejected", [])}
        for key, s in (published.roster.get("sessions") or {}).items():
            if s.get("kind") != policy.AFTER_SCHOOL_KIND or key in rejected:
                continue
            for label in s.get("classes", []):
                if label in labels:
                    out[(labels[label], date.fromisoformat(s["date"]))].append((_minutes(s["start"]),
                                                                                 _minutes(s["end"])))
        return out
    for s in week.sessions:
        if s.kind == policy.AFTER_SCHOOL_KIND:
            for c in s.classes:
                out[(c.id, s.on_date)].append((_minutes(s.starts_at), _minutes(s.ends_at)))
    return out


def _reason(rule: str, label: str, day: date, intervals, work_end: int, min_minutes: int) -> str:
    """The gap in words, "中文 / English" like the engine's reasons."""
    wd_zh, wd_en = policy.WEEKDAY_LABELS[day.weekday()]
    if rule == "EVERY_SCHOOL_DAY":
        return (f"{label}在{day}（{wd_zh}）没有课后服务 / {label}: no after-school service on "
                f"{wd_en} {day}")
    blocks = policy.merged_blocks(intervals)
    longest = max(end - start for start, end in blocks)
    if rule == "TWO_HOUR_MINIMUM":
        return (f"{label}在{day}（{wd_zh}）的课后服务最长连续{longest}分钟，不足{min_minutes}分钟 / "
                f"{label} on {wd_en} {day}: longest continuous block {longest} min, less than {min_minutes}")
    last = max(end for start, end in blocks if end - start >= min_minutes)
    return (f"{label}在{day}（{wd_zh}）的课后服务{format_time(last)}结束，早于下班时间{format_time(work_end)} / "
            f"{label} on {wd_en} {day}: service ends {format_time(last)}, before work ends at {format_time(work_end)}")


def coverage_gaps(school: School, first: date, last: date) -> list[Gap]:
    """Every class-day of first..last that is a service day of a class in the service that week and has no block of
    policy.MIN_DAILY_MINUTES reaching the end of work (policy.day_covered), in date then class order."""
    classes = db.session.scalars(select(SchoolClass).filter_by(school_id=school.id)).all()
    labels = {services.group_label(c): c.id for c in classes}
    label_of = {c.id: services.group_label(c) for c in classes}
    weeks = db.session.scalars(
        select(Week).where(Week.school_id == school.id, Week.monday >= services.monday_of(first),
                           Week.monday <= last)
        .options(selectinload(Week.versions),
                 selectinload(Week.sessions).selectinload(PlannedSession.classes))
        .order_by(Week.monday)).all()
    offerings = services.declared_offerings(school, first, last)
    min_minutes = policy.MIN_DAILY_MINUTES
    gaps: list[Gap] = []
    for week in weeks:
        days = [week.monday + timedelta(days=i) for i in range(7)]
        school_days = services.school_days_between(school, days[0], days[-1])
        intervals = _week_intervals(week, labels)
        in_service = sorted({class_id for class_id, day in intervals if day in school_days})
        work_end = _minutes(school.work_end_over(days[:5]))
        due = policy.service_days(school_days, services.exception_weekdays(offerings, days[0], days[-1]))
        for day in (d for d in due if first <= d <= last):
            for class_id in in_service:
                spans = intervals.get((class_id, day), [])
                if policy.day_covered(spans, min_minutes=min_minutes, work_end=work_end):
                    continue
                if not spans:
                    rule = "EVERY_SCHOOL_DAY"
                elif policy.day_covered(spans, min_minutes=min_minutes):
                    rule = "END_BEFORE_WORK_END"
                else:
                    rule = "TWO_HOUR_MINIMUM"
                gaps.append(Gap(rule, class_id, day, _reason(rule, label_of[class_id], day, spans, work_end,
                                                              min_minutes)))
    return gaps


@dataclass(frozen=True)
class Period:
    """The dates a gaps page covers: a term of the school, or one week (term None)."""

    first: date
    last: date
    term: Term | None


def period_of(school: School, term_id: int | None, week_day: date | None, today: date) -> Period:
    """The term asked for (another school's term: None → the default), else the week of the day asked for, else the
    term under way today (or the last one begun), else this week."""
    terms = sorted(school.terms, key=lambda t: t.starts_on)
    chosen = next((t for t in terms if t.id == term_id), None)
    if chosen is None and week_day is None:
        chosen = next((t for t in terms if t.starts_on <= today <= t.ends_on), None) or next(
            (t for t in reversed(terms) if t.starts_on <= today), None)
    if chosen is not None:
        return Period(chosen.starts_on, chosen.ends_on, chosen)
    monday = services.monday_of(week_day or today)
    return Period(monday, monday + timedelta(days=6), None)
