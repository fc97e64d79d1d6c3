"""The problem document: plain dataclasses and a parser that names the faulty field."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from scheduling import policy


class ProblemError(ValueError):
    """A document that is not a valid problem; ``field`` names the faulty field."""

    def __init__(self, field_path: str, reason: str):
        super().__init__(f"{field_path}: {reason}")
        self.field = field_path
        self.reason = reason


# --- Dataclasses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class School:
    id: str
    name: str
    work_end: int  # minutes after midnight


@dataclass(frozen=True)
class Calendar:
    school_days: frozenset[dt.date]
    public_holidays: frozenset[dt.date]


@dataclass(frozen=True)
class Policy:
    """The problem's "policy" object; a field left out takes policy.DEFAULT_POLICY's value (_parse_policy)."""

    min_daily_minutes: int
    evening_end_latest: int  # minutes after midnight
    teacher_max_weekly_minutes: int
    teacher_max_days: int
    teacher_max_daily_minutes: int
    provider_needs_school_staff: bool
    holiday_weekends: bool
    every_school_day: bool = False  # extension EVERY_SCHOOL_DAY (scheduling/README.md); off unless asked for


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    grade: int
    campus: str | None = None
    exception_weekdays: frozenset[int] = frozenset()  # extension EVERY_SCHOOL_DAY: declared days off (0 = Monday)


@dataclass(frozen=True)
class Session:
    id: str
    date: dt.date
    start: int
    end: int
    kind: str
    activity: str
    subject: str | None
    groups: tuple[str, ...]
    enrolled: int
    staff_needed: int
    room: str | None = None
    series: str | None = None

    @property
    def minutes(self) -> int:
        """Length of the session in minutes."""
        return self.end - self.start


@dataclass(frozen=True)
class Window:
    date: dt.date
    start: int
    end: int


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    type: str
    opted_in: bool = True
    exempt: bool = False
    skills: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    max_weekly_minutes: int | None = None
    max_days: int | None = None
    teaching_minutes: dict[dt.date, int] = field(default_factory=dict, hash=False, compare=False)
    unavailable: tuple[Window, ...] = ()
    avoid_days: frozenset[dt.date] = frozenset()
    provider: str | None = None
    campus: str | None = None


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    categories: frozenset[str]
    status: str
    vetted_until: dt.date | None
    max_weekly_sessions: int | None
    cost_per_session: float


@dataclass(frozen=True)
class Pair:
    session: str
    staff: str


@dataclass
class Problem:
    school: School
    calendar: Calendar
    policy: Policy
    groups: dict[str, Group]
    sessions: dict[str, Session]
    staff: dict[str, Staff]
    providers: dict[str, Provider]
    pinned: list[Pair]
    previous: list[Pair]


# --- Small value helpers -----------------------------------------------------------------------

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(text: str) -> int:
    """Turn "HH:MM" into minutes after midnight (ValueError if malformed)."""
    match = _TIME_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not a time HH:MM: {text!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def minutes_of(at: dt.time) -> int:
    """Minutes after midnight of a time of day."""
    return at.hour * 60 + at.minute


def clock(text: str) -> dt.time:
    """Turn "HH:MM" into a time of day (ValueError if malformed)."""
    minutes = parse_time(text)
    return dt.time(minutes // 60, minutes % 60)


def span_minutes(start: dt.time | str, end: dt.time | str) -> int:
    """Minutes from start to end, each a time of day or "HH:MM"."""
    def value(at):
        return parse_time(at) if isinstance(at, str) else minutes_of(at)
    return value(end) - value(start)


def format_time(minutes: int) -> str:
    """Turn minutes after midnight into "HH:MM"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def week_of(day: dt.date) -> dt.date:
    """The Monday of the week a date falls in (weekly limits count per such week)."""
    return day - dt.timedelta(days=day.weekday())


# --- Parser ------------------------------------------------------------------------------------


class _Reader:
    """Typed access to one JSON object that names the field in every error."""

    def __init__(self, data, path: str):
        if not isinstance(data, dict):
            raise ProblemError(path or "problem", f"must be an object, got {_type_name(data)}")
        self.data = data
        self.path = path

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, required: bool):
        if key not in self.data or self.data[key] is None:
            if required:
                raise ProblemError(self.sub(key), "missing required field")
            return None
        return self.data[key]

    def string(self, key: str, required: bool = True, default: str | None = None) -> str | None:
        value = self.raw(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ProblemError(self.sub(key), f"must be a string, got {_type_name(value)}")
        if required and not value.strip():
            raise ProblemError(self.sub(key), "must not be empty")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ProblemError(self.sub(key), f"must be true or false, got {_type_name(value)}")
        return value

    def integer(self, key: str, required: bool = True, default: int | None = None, minimum: int = 0) -> int | None:
        value = self.raw(key, required)
        if value is None:
            return default
        return _check_int(value, self.sub(key), minimum)

    def number(self, key: str, default: float, minimum: float = 0) -> float:
        value = self.raw(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ProblemError(self.sub(key), f"must be a number, got {_type_name(value)}")
        if value < minimum:
            raise ProblemError(self.sub(key), f"must not be negative, got {value}")
        return value

    def time(self, key: str, required: bool = True, default: str | None = None) -> int:
        text = self.string(key, required, default)
        try:
            return parse_time(text)
        except ValueError:
            raise ProblemError(self.sub(key), f"bad time {text!r}, expected HH:MM between 00:00 and 23:59") from None

    def date(self, key: str, required: bool = True) -> dt.date | None:
        value = self.raw(key, required)
        if value is None:
            return None
        return _check_date(value, self.sub(key))

    def array(self, key: str, required: bool = True) -> list:
        value = self.raw(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ProblemError(self.sub(key), f"must be a list, got {_type_name(value)}")
        return value

    def strings(self, key: str, allowed=None) -> list[str]:
        out = []
        for i, item in enumerate(self.array(key, required=False)):
            path = f"{self.sub(key)}[{i}]"
            if not isinstance(item, str):
                raise ProblemError(path, f"must be a string, got {_type_name(item)}")
            if allowed is not None and item not in allowed:
                raise ProblemError(path, f"unknown value {item!r}; allowed: {', '.join(sorted(allowed))}")
            out.append(item)
        return out

    def dates(self, key: str) -> list[dt.date]:
        return [_check_date(item, f"{self.sub(key)}[{i}]") for i, item in enumerate(self.array(key, required=False))]

    def choice(self, key: str, allowed) -> str:
        value = self.string(key)
        if value not in allowed:
            raise ProblemError(self.sub(key), f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        return value


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _check_int(value, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ProblemError(path, f"must be a whole number, got {_type_name(value)} {value!r}")
    if value < minimum:
        reason = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
        raise ProblemError(path, f"{reason}, got {value}")
    return value


def _check_date(value, path: str) -> dt.date:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ProblemError(path, f"bad date {value!r}, expected YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ProblemError(path, f"bad date {value!r}, no such day") from None


def _unique(items: dict, key: str, path: str) -> None:
    if key in items:
        raise ProblemError(path, f"duplicate id {key!r}")


def parse_problem(source) -> Problem:
    """Parse a problem from a dict or JSON text; raise ProblemError naming the field on any fault."""
    if isinstance(source, bytes | bytearray):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProblemError("problem", f"not UTF-8 text ({exc.reason})") from None
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as exc:
            raise ProblemError("problem", f"bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(source, dict):
        raise ProblemError("problem", f"must be a JSON object, got {_type_name(source)}")
    top = _Reader(source, "")

    school_reader = _Reader(top.raw("school", True), "school")
    school = School(
        id=school_reader.string("id"),
        name=school_reader.string("name", required=False, default=""),
        work_end=school_reader.time("work_end", required=False, default=policy.DEFAULT_WORK_END),
    )
    pol = _parse_policy(top)
    groups = _parse_groups(top)
    providers = _parse_providers(top)
    sessions = _parse_sessions(top, groups)
    staff = _parse_staff(top, providers)
    calendar = _parse_calendar(top, sessions)
    pinned = _parse_pairs(top, "pinned", sessions, staff)
    previous = _parse_pairs(top, "previous", sessions, staff)
    return Problem(school, calendar, pol, groups, sessions, staff, providers, pinned, previous)


def _parse_policy(top: _Reader) -> Policy:
    r = _Reader(top.raw("policy", False) or {}, "policy")
    default = policy.DEFAULT_POLICY
    return Policy(
        **{key: r.integer(key, False, default[key]) for key in (
            "min_daily_minutes", "teacher_max_weekly_minutes", "teacher_max_days", "teacher_max_daily_minutes")},
        evening_end_latest=r.time("evening_end_latest", False, default["evening_end_latest"]),
        **{key: r.boolean(key, default[key]) for key in ("provider_needs_school_staff", "holiday_weekends")},
        every_school_day=r.boolean("every_school_day", False),
    )


def _parse_groups(top: _Reader) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for i, raw in enumerate(top.array("groups")):
        r = _Reader(raw, f"groups[{i}]")
        gid = r.string("id")
        _unique(groups, gid, r.sub("id"))
        grade = r.integer("grade")
        if grade not in policy.ALL_GRADES:
            raise ProblemError(r.sub("grade"), f"grade {grade} out of range 1–9")
        days = r.array("exception_weekdays", required=False)
        for j, day in enumerate(days):
            path = f"{r.sub('exception_weekdays')}[{j}]"
            if _check_int(day, path, 0) > 6:
                raise ProblemError(path, f"weekday {day} out of range 0–6 (0 = Monday)")
        groups[gid] = Group(gid, r.string("label", required=False, default=gid), grade, r.string("campus", False),
                            frozenset(days))
    return groups


def _parse_providers(top: _Reader) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for i, raw in enumerate(top.array("providers", required=False)):
        r = _Reader(raw, f"providers[{i}]")
        pid = r.string("id")
        _unique(providers, pid, r.sub("id"))
        providers[pid] = Provider(
            id=pid,
            name=r.string("name", required=False, default=pid),
            categories=frozenset(r.strings("categories", policy.ACTIVITIES)),
            status=r.string("status", required=False, default="inactive"),
            vetted_until=r.date("vetted_until", required=False),
            max_weekly_sessions=r.integer("max_weekly_sessions", required=False),
            cost_per_session=r.number("cost_per_session", 0),
        )
    return providers


def _parse_sessions(top: _Reader, groups: dict[str, Group]) -> dict[str, Session]:
    sessions: dict[str, Session] = {}
    for i, raw in enumerate(top.array("sessions")):
        r = _Reader(raw, f"sessions[{i}]")
        sid = r.string("id")
        _unique(sessions, sid, r.sub("id"))
        day = r.date("date")
        start, end = r.time("start"), r.time("end")
        if end <= start:
            raise ProblemError(r.sub("end"), f"end {format_time(end)} is not after start {format_time(start)}")
        group_ids = r.strings("groups")
        if not group_ids:
            raise ProblemError(r.sub("groups"), "must name at least one group")
        for j, gid in enumerate(group_ids):
            if gid not in groups:
                raise ProblemError(f"{r.sub('groups')}[{j}]", f"unknown group id {gid!r}")
        subject = r.string("subject", required=False)
        sessions[sid] = Session(
            id=sid, date=day, start=start, end=end,
            kind=r.choice("kind", policy.KINDS),
            activity=r.choice("activity", policy.ACTIVITIES),
            subject=subject if subject else None,
            groups=tuple(dict.fromkeys(group_ids)),
            enrolled=r.integer("enrolled", required=False, default=0),
            staff_needed=r.integer("staff_needed", minimum=1),
            room=r.string("room", required=False),
            series=r.string("series", required=False),
        )
    return sessions


def _parse_staff(top: _Reader, providers: dict[str, Provider]) -> dict[str, Staff]:
    staff: dict[str, Staff] = {}
    for i, raw in enumerate(top.array("staff")):
        r = _Reader(raw, f"staff[{i}]")
        pid = r.string("id")
        _unique(staff, pid, r.sub("id"))
        kind = r.choice("type", policy.STAFF_TYPES)
        provider = r.string("provider", required=False)
        if kind == policy.PROVIDER_TYPE and provider is None:
            raise ProblemError(r.sub("provider"), "missing: provider staff must name their provider")
        if provider is not None and provider not in providers:
            raise ProblemError(r.sub("provider"), f"unknown provider id {provider!r}")
        teaching: dict[dt.date, int] = {}
        raw_teaching = r.raw("teaching_minutes", False) or {}
        if not isinstance(raw_teaching, dict):
            raise ProblemError(r.sub("teaching_minutes"),
                               f"must be an object date → minutes, got {_type_name(raw_teaching)}")
        for key, value in raw_teaching.items():
            path = f"{r.sub('teaching_minutes')}.{key}"
            teaching[_check_date(key, path)] = _check_int(value, path, 0)
        windows = []
        for j, raw_window in enumerate(r.array("unavailable", required=False)):
            w = _Reader(raw_window, f"{r.sub('unavailable')}[{j}]")
            day, start, end = w.date("date"), w.time("start"), w.time("end")
            if end <= start:
                raise ProblemError(w.sub("end"), f"end {format_time(end)} is not after start {format_time(start)}")
            windows.append(Window(day, start, end))
        staff[pid] = Staff(
            id=pid,
            name=r.string("name", required=False, default=pid),
            type=kind,
            opted_in=r.boolean("opted_in", True),
            exempt=r.boolean("exempt", False),
            skills=frozenset(r.strings("skills", policy.ACTIVITIES)),
            subjects=frozenset(r.strings("subjects")),
            max_weekly_minutes=r.integer("max_weekly_minutes", required=False),
            max_days=r.integer("max_days", required=False),
            teaching_minutes=teaching,
            unavailable=tuple(windows),
            avoid_days=frozenset(r.dates("avoid_days")),
            provider=provider if kind == policy.PROVIDER_TYPE else None,
            campus=r.string("campus", required=False),
        )
    return staff


def _parse_calendar(top: _Reader, sessions: dict[str, Session]) -> Calendar:
    raw = top.raw("calendar", False)
    r = _Reader(raw if raw is not None else {}, "calendar")
    holidays = frozenset(r.dates("public_holidays"))
    if r.has("school_days"):
        school_days = frozenset(r.dates("school_days"))
    else:
        mondays = {week_of(s.date) for s in sessions.values()}
        school_days = frozenset(m + dt.timedelta(days=k) for m in mondays for k in range(5)) - holidays
    return Calendar(school_days, holidays)


def _parse_pairs(top: _Reader, key: str, sessions: dict[str, Session], staff: dict[str, Staff]) -> list[Pair]:
    pairs: list[Pair] = []
    for i, raw in enumerate(top.array(key, required=False)):
        r = _Reader(raw, f"{key}[{i}]")
        sid, pid = r.string("session"), r.string("staff")
        if sid not in sessions:
            raise ProblemError(r.sub("session"), f"unknown session id {sid!r}")
        if pid not in staff:
            raise ProblemError(r.sub("staff"), f"unknown staff id {pid!r}")
        pair = Pair(sid, pid)
        if pair not in pairs:
            pairs.append(pair)
    return pairs
