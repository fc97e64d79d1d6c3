"""The school day's incident pages (see app/daily/__init__.py)."""

from app.daily import bp  # noqa: F401
