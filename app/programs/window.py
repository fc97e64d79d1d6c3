"""When an offering takes applications, and its free places: the window every page and the allocation engine read.

- The window: opens (or from publication), closes (the set close, or the end of the last day to apply), and the
  one "apply by" moment families see (`applications_close`, `apply_by_text`).
- Places left per activity a guardian can choose.
"""

from datetime import date, datetime, time, timedelta

from app.models_base import as_utc, local_time, school_zone
from app.programs.models import AllocationMode, Offering


def window_opens(offering: Offering) -> datetime | None:
    return as_utc(offering.window_opens_at)


def window_closes(offering: Offering) -> datetime:
    """When the draw runs: the set close, or the end of the last day to apply (school time)."""
    if offering.window_closes_at is not None:
        return as_utc(offering.window_closes_at)
    return deadline_end(offering)


def day_end(day: date) -> datetime:
    """The end of a day in the schools' time zone (midnight after it)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=school_zone())


def deadline_end(offering: Offering) -> datetime:
    """The end of the last day to apply."""
    return day_end(offering.apply_deadline)


def applications_close(offering: Offering) -> datetime:
    """The last moment a family can apply: the one "apply by" figure every page shows (apply_by_text).

    First-come places (from the start, or after the draw) are given until the end of the last day to apply;
    a draw without them takes no application after the window closes."""
    if offering.allocation is AllocationMode.FIRST_COME or offering.first_come_after_draw:
        return deadline_end(offering)
    return window_closes(offering)


def apply_by_text(offering: Offering) -> str:
    """applications_close in school time, "YYYY-MM-DD HH:MM"; the end of a day reads "24:00" of that day."""
    moment = local_time(applications_close(offering))
    if moment.time() == time(0):
        return f"{(moment.date() - timedelta(days=1)).isoformat()} 24:00"
    return moment.strftime("%Y-%m-%d %H:%M")


def accepts_applications(offering: Offering, now: datetime) -> bool:
    """Published, the window open, and before applications_close."""
    opens = window_opens(offering)
    if not offering.is_published or (opens is not None and now < opens):
        return False
    return now < applications_close(offering)


def before_draw(offering: Offering, now: datetime) -> bool:
    """Applications still wait for the draw (choices may be changed and siblings linked)."""
    return offering.allocation is AllocationMode.DRAW and offering.drawn_at is None and now < window_closes(offering)


def places_left(offering: Offering) -> dict[int, int]:
    """Free places per activity a guardian can choose (its groups added up)."""
    left: dict[int, int] = {}
    for activity in offering.activities:
        left[activity.queue_id] = left.get(activity.queue_id, 0) + activity.free_seats
    return left
