"""Every page of the school day, attached to the blueprint (register_blueprints imports the blueprint from here)."""

from app.daily import bp, history_routes, incident_routes, pickup_routes, register_routes  # noqa: F401

__all__ = ["bp"]
