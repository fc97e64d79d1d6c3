"""Column helpers shared by the domain models."""

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Current time, timezone-aware, for callable column defaults."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp kept in UTC on every database.

    SQLite has no time zones: it would store an aware value's wall-clock time as it is and hand it back naive, so
    18:00 in Shanghai would come back as 18:00 UTC. Values are converted to UTC on the way in and marked UTC on the
    way out; PostgreSQL's timestamptz does the same by itself.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def process_result_value(self, value, dialect):
        return as_utc(value)


def TimestampColumn():  # noqa: N802 - reads like a type in mapped_column(...)
    """A timezone-aware DateTime column type, stored in UTC."""
    return UTCDateTime()


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value as a checked string on every database."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )


def school_zone() -> ZoneInfo:
    """Where the schools are: the app's BABEL_DEFAULT_TIMEZONE (Asia/Shanghai)."""
    from flask import current_app

    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))


def local_today() -> date:
    """Today's date where the schools are, not the server's."""
    return datetime.now(school_zone()).date()


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def local_time(moment: datetime | None) -> datetime | None:
    """A stored timestamp in the schools' time zone, for showing."""
    return as_utc(moment).astimezone(school_zone()) if moment is not None else None
