"""The school day's register pages (see app/daily/__init__.py)."""

from app.daily import bp  # noqa: F401
