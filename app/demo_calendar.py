"""The demo county's dates, worked out from the day it is loaded so that the demo never goes stale.

A Chinese school year has an autumn term (第一学期, September to late January), the winter holiday (寒假, about four
weeks around the Spring Festival), a spring term (第二学期, late February to early July) and the summer holiday
(暑假, July and August). The demo uses the real term when this whole week and the next fall in it. Otherwise it uses the
next term started early (on this Monday when it starts later this week; in a holiday or a term's last days, two
weeks ago), so that there is always a current week and a next week of school days to roster (the demo's "sensible
equivalent" of a term).

Around that term, relative to today (school time, Asia/Shanghai):
- the after-school offering's window opened eleven days and closed four days before the term began, when its draw
  ran; a family withdrew an hour before the demo was loaded, so a waiting-list offer is open;
- the holiday care of the holiday after the term (寒假托管 or 暑假托管) has its window open: it opened three days
  ago and closes at 18:00 about six weeks from today (earlier when the holiday starts sooner, five days before it);
- provider vetting: one valid for about seven months, one for nine, one expired five months ago;
- public holidays (元旦, 劳动节, 国庆节) fall in the term, except in this week and the next.
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.problem import week_of

DEMO_ZONE = ZoneInfo("Asia/Shanghai")

AFTER_SCHOOL_OPENS_DAYS = 11  # the window opens this many days before the term starts, 08:00
AFTER_SCHOOL_DRAW_DAYS = 4  # ... and closes with the draw this many days before, 18:00
AFTER_SCHOOL_DEADLINE_DAYS = 7  # first-come places after the draw until a week before the term ends
CARE_OPENED_DAYS = 3  # the holiday care's window opened this many days ago, 08:00
CARE_OPEN_DAYS = 42  # ... and closes at 18:00 about six weeks from today
CARE_CLOSES_BEFORE_HOLIDAY_DAYS = 5  # ... or five days before the holiday, whichever is sooner
CARE_LENGTH_DAYS = 14  # holiday care runs the holiday's first two weeks
WITHDRAWN_BEFORE = timedelta(hours=1)  # the withdrawal that opened the waiting-list offer
EXPIRED_MONTHS_AGO = 5  # 小小科学家
PUBLIC_HOLIDAYS = (("元旦", 1, 1, 1), ("劳动节", 5, 1, 5), ("国庆节", 10, 1, 7))  # name, month, first day, days


@dataclass(frozen=True)
class SchoolTerm:
    name: str
    starts_on: date
    ends_on: date
    holiday_name: str  # the holiday after it
    holiday_starts: date
    holiday_ends: date

    @property
    def holiday_is_winter(self) -> bool:
        return self.holiday_name == "寒假"


def _friday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


def _weekday_on_or_after(day: date) -> date:
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def school_year(year: int) -> list[SchoolTerm]:
    """The two terms of the school year starting in September of `year`, each with the holiday after it."""
    autumn_starts = _weekday_on_or_after(date(year, 9, 1))
    autumn_ends = _friday_on_or_before(date(year + 1, 1, 23))
    winter_starts = autumn_ends + timedelta(days=1)
    winter_ends = winter_starts + timedelta(days=29)  # a Sunday, four weeks and a weekend later
    spring_starts = winter_ends + timedelta(days=1)
    spring_ends = _friday_on_or_before(date(year + 1, 7, 3))
    return [
        SchoolTerm(f"{year}—{year + 1}学年第一学期", autumn_starts, autumn_ends, "寒假", winter_starts, winter_ends),
        SchoolTerm(f"{year}—{year + 1}学年第二学期", spring_starts, spring_ends, "暑假",
                   spring_ends + timedelta(days=1), date(year + 1, 8, 31)),
    ]


def local_moment(day: date, at: time, zone: ZoneInfo = DEMO_ZONE) -> datetime:
    """A school-time moment, as stored (UTC)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _months_from(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


@dataclass(frozen=True)
class DemoCalendar:
    """Every date the demo uses, from the day it is loaded and the moment it is loaded (UTC)."""

    today: date
    now: datetime
    zone: ZoneInfo = DEMO_ZONE  # the schools' time zone (the app's BABEL_DEFAULT_TIMEZONE)

    @classmethod
    def for_day(cls, today: date, now: datetime | None = None, zone: ZoneInfo = DEMO_ZONE) -> "DemoCalendar":
        """The calendar for a school-time day; `now` defaults to the real moment when that is today, else noon."""
        if now is None:
            real = datetime.now(UTC)
            now = real if real.astimezone(zone).date() == today else local_moment(today, time(12, 0), zone)
        return cls(today, now, zone)

    def at(self, day: date, hour: int) -> datetime:
        """A day's full hour in school time, as stored (UTC)."""
        return local_moment(day, time(hour, 0), self.zone)

    # --- The term and the holiday after it ---

    @property
    def this_monday(self) -> date:
        """Monday of the current week; this week and the next are school weeks."""
        return week_of(self.today)

    @property
    def next_monday(self) -> date:
        return self.this_monday + timedelta(days=7)

    @property
    def term(self) -> SchoolTerm:
        """The real term holding this whole week and the next, else the next term started early: on this Monday
        when it starts later this week, else two weeks ago (in a holiday or a term's last days)."""
        terms = [t for year in (self.today.year - 1, self.today.year) for t in school_year(year)]
        last_school_day = self.next_monday + timedelta(days=4)
        for term in terms:
            if term.starts_on <= self.this_monday and last_school_day <= term.ends_on:
                return term
        upcoming = next(t for t in terms if t.starts_on > self.this_monday)
        early = 0 if upcoming.starts_on < self.next_monday else 14
        return SchoolTerm(upcoming.name, self.this_monday - timedelta(days=early), upcoming.ends_on,
                          upcoming.holiday_name, upcoming.holiday_starts, upcoming.holiday_ends)

    @property
    def previous_term(self) -> SchoolTerm:
        """The term before the demo's term (the county's history, last term's survey), ending the day before the demo's
        term began at the latest (that term may have started early)."""
        current = self.term
        terms = [t for year in range(current.ends_on.year - 2, current.ends_on.year + 1) for t in school_year(year)]
        before = terms[[t.name for t in terms].index(current.name) - 1]
        return replace(before, ends_on=min(before.ends_on, current.starts_on - timedelta(days=1)))

    @property
    def public_holidays(self) -> list[tuple[str, date, date]]:
        """元旦, 劳动节 and 国庆节 inside the term, leaving this week and the next as whole school weeks."""
        term, spared = self.term, (self.this_monday, self.next_monday + timedelta(days=6))
        holidays = []
        for year in range(term.starts_on.year, term.ends_on.year + 1):
            for name, month, day, days in PUBLIC_HOLIDAYS:
                starts = date(year, month, day)
                ends = starts + timedelta(days=days - 1)
                inside = term.starts_on <= starts and ends <= term.ends_on
                if inside and (ends < spared[0] or starts > spared[1]):
                    holidays.append((name, starts, ends))
        return sorted(holidays, key=lambda h: h[1])

    # --- The after-school offering: window closed, drawn, a waiting-list offer open ---

    @property
    def after_school_opens_at(self) -> datetime:
        return self.at(self.term.starts_on - timedelta(days=AFTER_SCHOOL_OPENS_DAYS), 8)

    @property
    def after_school_draw_at(self) -> datetime:
        return self.at(self.term.starts_on - timedelta(days=AFTER_SCHOOL_DRAW_DAYS), 18)

    @property
    def after_school_deadline(self) -> date:
        return self.term.ends_on - timedelta(days=AFTER_SCHOOL_DEADLINE_DAYS)

    @property
    def after_school_signed_at(self) -> datetime:
        """When the demo's first families applied: the day after the window opened (the others until the close)."""
        return self.after_school_opens_at + timedelta(days=1)

    @property
    def withdrawn_at(self) -> datetime:
        return self.now - WITHDRAWN_BEFORE

    # --- The holiday care: window open now ---

    @property
    def care_starts_on(self) -> date:
        return self.term.holiday_starts

    @property
    def care_ends_on(self) -> date:
        return self.care_starts_on + timedelta(days=CARE_LENGTH_DAYS - 1)

    @property
    def care_opens_at(self) -> datetime:
        return self.at(self.today - timedelta(days=CARE_OPENED_DAYS), 8)

    @property
    def care_closes_at(self) -> datetime:
        last_day = min(self.today + timedelta(days=CARE_OPEN_DAYS),
                       self.care_starts_on - timedelta(days=CARE_CLOSES_BEFORE_HOLIDAY_DAYS))
        return self.at(last_day, 18)

    @property
    def care_deadline(self) -> date:
        """The last day to apply: the day the window closes."""
        return self.care_closes_at.astimezone(self.zone).date()

    @property
    def care_signed_at(self) -> datetime:
        return self.care_opens_at + timedelta(days=1)

    # --- Provider vetting ---

    def vetted_until(self, months_left: int) -> date:
        return _months_from(self.today, months_left)

    @property
    def vetting_expired_on(self) -> date:
        return _months_from(self.today, -EXPIRED_MONTHS_AGO)
