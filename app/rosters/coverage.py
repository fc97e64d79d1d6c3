"""Every school day, two hours, every class (EVERY_SCHOOL_DAY): where a school's planned after-school service leaves
a class without its daily block, over any range of dates (a week, a term).

Read from the school's weeks (the published roster's sessions when the week has one — a session nobody could be
assigned to does not count as held — else the planned sessions),
its calendar (terms and holidays: services.school_days_between) and the exception weekdays its published
after-school offerings declare (with their reason). The rule is the policy module's: policy.service_days and
policy.day_covered; a class counts as in the service in a week when it has at least one after-school session on a
school day of that week (the engine's reading, scheduling/README.md "every_school_day"). One gap per class-day: no
session at all (EVERY_SCHOOL_DAY), no block of two hours or a block with nobody on part of it (TWO_HOUR_MINIMUM), or
a block that ends before the end of work (END_BEFORE_WORK_END).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.rosters import services
from app.rosters.models import PlannedSession, Week
from app.schools.models import School, SchoolClass, Term
from scheduling import policy
from scheduling.problem import format_time, minutes_of, parse_time


@dataclass(frozen=True)
class Gap:
    """One class-day without its daily block: rule code, class, date and a "中文 / English" reason."""

    rule: str  # EVERY_SCHOOL_DAY (no service at all), TWO_HOUR_MINIMUM or END_BEFORE_WORK_END
    class_id: int
    date: date
    reason: str


Span = tuple[int, int, bool]  # start and end (minutes from midnight), and whether someone is on it


def _week_spans(week: Week, labels: dict[str, int]) -> dict[tuple[int, date], list[Span]]:
    """(class id, date) → the week's after-school sessions: the published roster's (rejected ones left out; one that
    nobody could be assigned to counts as not staffed) when there is one, else the planned sessions (staffing not
    judged before publishing)."""
    out: dict[tuple[int, date], list[Span]] = defaultdict(list)
    published = week.published
    if published is not None:
        roster = published.roster
        rejected = {e.get("session") for e in roster.get("rejected", [])}
        nobody = {e.get("session") for e in roster.get("unstaffed", []) if not e.get("partial")}
        for key, s in (roster.get("sessions") or {}).items():
            if s.get("kind") != policy.AFTER_SCHOOL_KIND or key in rejected:
                continue
            span = (parse_time(s["start"]), parse_time(s["end"]), key not in nobody)
            for label in s.get("classes", []):
                if label in labels:
                    out[(labels[label], date.fromisoformat(s["date"]))].append(span)
        return out
    for s in week.sessions:
        if s.kind == policy.AFTER_SCHOOL_KIND:
            for c in s.classes:
                out[(c.id, s.on_date)].append((minutes_of(s.starts_at), minutes_of(s.ends_at), True))
    return out


def _judge(spans: list[Span], work_end: int, min_minutes: int) -> str | None:
    """The rule a class-day's sessions break (one per class-day), or None when a staffed block of min_minutes reaches
    the end of work (policy.day_covered)."""
    planned = [(start, end) for start, end, _staffed in spans]
    if policy.day_covered([(start, end) for start, end, staffed in spans if staffed], min_minutes=min_minutes,
                          work_end=work_end):
        return None
    if not planned:
        return "EVERY_SCHOOL_DAY"
    if not policy.day_covered(planned, min_minutes=min_minutes):
        return "TWO_HOUR_MINIMUM"
    if not policy.day_covered(planned, min_minutes=min_minutes, work_end=work_end):
        return "END_BEFORE_WORK_END"
    return "TWO_HOUR_MINIMUM"  # the block is there, but part of it has nobody on it


def _reason(rule: str, label: str, day: date, spans: list[Span], work_end: int, min_minutes: int) -> str:
    """The gap in words, "中文 / English" like the engine's reasons."""
    wd_zh, wd_en = policy.WEEKDAY_LABELS[day.weekday()]
    if rule == "EVERY_SCHOOL_DAY":
        return f"{label}在{day}（{wd_zh}）没有课后服务 / {label}: no after-school service on {wd_en} {day}"
    blocks = policy.merged_blocks((start, end) for start, end, _staffed in spans)
    longest = max(end - start for start, end in blocks)
    if rule == "TWO_HOUR_MINIMUM" and longest < min_minutes:
        return (f"{label}在{day}（{wd_zh}）的课后服务最长连续{longest}分钟，不足{min_minutes}分钟 / "
                f"{label} on {wd_en} {day}: longest continuous block {longest} min, less than {min_minutes}")
    if rule == "TWO_HOUR_MINIMUM":
        return (f"{label}在{day}（{wd_zh}）的两小时课后服务中有时段无人值守 / "
                f"{label} on {wd_en} {day}: part of the two-hour block has nobody on it")
    last = max(end for start, end in blocks if end - start >= min_minutes)
    return (f"{label}在{day}（{wd_zh}）的课后服务{format_time(last)}结束，早于下班时间{format_time(work_end)} / "
            f"{label} on {wd_en} {day}: service ends {format_time(last)}, before work ends at {format_time(work_end)}")


def coverage_gaps(school: School, first: date, last: date) -> list[Gap]:
    """Every class-day of first..last that is a service day of a class in the service that week and has no staffed
    block of policy.MIN_DAILY_MINUTES reaching the end of work (policy.day_covered), one gap per class-day, in date
    then class order."""
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
        spans = _week_spans(week, labels)
        in_service = sorted({class_id for class_id, day in spans if day in school_days})
        work_end = minutes_of(school.work_end_over(days[:5]))
        due = policy.service_days(school_days, services.exception_weekdays(offerings, days[0], days[-1]))
        for day in (d for d in due if first <= d <= last):
            for class_id in in_service:
                day_spans = spans.get((class_id, day), [])
                rule = _judge(day_spans, work_end, min_minutes)
                if rule is not None:
                    gaps.append(Gap(rule, class_id, day, _reason(rule, label_of[class_id], day, day_spans, work_end,
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
