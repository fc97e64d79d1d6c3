"""Column helpers shared by the domain models."""

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum


def utcnow() -> datetime:
    """Current time, timezone-aware, for callable column defaults."""
    return datetime.now(UTC)


def TimestampColumn():  # noqa: N802 - reads like a type in mapped_column(...)
    """A timezone-aware DateTime column type."""
    return DateTime(timezone=True)


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


def local_today() -> date:
    """Today's date where the schools are (the app's BABEL_DEFAULT_TIMEZONE, Asia/Shanghai), not the server's."""
    from flask import current_app

    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return datetime.now(zone).date()
