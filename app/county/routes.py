"""Every page of the county's view, attached to the blueprint (register_blueprints imports the blueprint from here)."""

from app.county import (
    bp,  # noqa: F401
    plan_routes,  # noqa: F401
)

__all__ = ["bp"]
