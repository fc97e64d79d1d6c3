"""Every page of the county's view, attached to the blueprint (register_blueprints imports the blueprint from here)."""

from app.county import board_routes, bp, plan_routes  # noqa: F401

__all__ = ["bp"]
