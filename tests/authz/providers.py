"""Matrix cases for the provider whitelist: the county officer's pages (own county only) and the public list."""

from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.providers.models import Provider
from tests.authz import EVERYONE, Case

OFFICER = frozenset({"county_officer"})


def _county_id(world, which: str) -> int:
    return world.county.id if which == "own" else world.far_school.county.id


def provider_args(world, which: str) -> dict:
    """The world's provider of the officer's own county, or of the far county."""
    provider_id = db.session.scalar(select(Provider.id).filter_by(county_id=_county_id(world, which)))
    return {"provider_id": provider_id}


def staff_args(world, which: str) -> dict:
    args = provider_args(world, which)
    user_id = db.session.scalar(select(User.id).filter_by(provider_id=args["provider_id"], role=Role.PROVIDER_STAFF))
    return {**args, "user_id": user_id}


def future_day(world, which: str) -> dict:
    return {"vetted_until": (date.today() + timedelta(days=3650)).isoformat()}


def removal(world, which: str) -> dict:
    return {"reason_category": "safety", "reason": "场地消防检查未通过"}


CASES = [
    Case("providers.index", OFFICER),
    Case("providers.new", OFFICER),
    Case("providers.new", OFFICER, method="POST", ok=302, data=lambda world, which: {
        "name": "新芽体育", "credit_code": "91350100M000100Y43", "contact_name": "李教练",
        "contact_mobile": "13712345678", "categories": ["sports"],
    }),
    Case("providers.detail", OFFICER, scoped=True, args=provider_args),
    # The world's providers are already active: approving again re-renders the page with the reason.
    Case("providers.approve", OFFICER, method="POST", scoped=True, args=provider_args, data=future_day),
    Case("providers.renew", OFFICER, method="POST", ok=302, scoped=True, args=provider_args, data=future_day),
    Case("providers.suspend", OFFICER, method="POST", ok=302, scoped=True, args=provider_args, data=removal),
    Case("providers.exit_whitelist", OFFICER, method="POST", ok=302, scoped=True, args=provider_args, data=removal),
    Case("providers.evaluate", OFFICER, scoped=True, args=provider_args),
    Case("providers.evaluate", OFFICER, method="POST", ok=302, scoped=True, args=provider_args,
         data=lambda world, which: {"term_name": "2026—2027学年第一学期", "rating": "pass", "comment": ""}),
    Case("providers.new_staff", OFFICER, scoped=True, args=provider_args),
    # Success renders the one-time password page rather than redirecting.
    Case("providers.new_staff", OFFICER, method="POST", scoped=True, args=provider_args,
         data=lambda world, which: {"name": "周教练", "mobile": "13787654321", "password": ""}),
    Case("providers.deactivate_staff", OFFICER, method="POST", ok=302, scoped=True, args=staff_args),
    Case("providers.public_whitelist", EVERYONE, args=lambda world, which: {"county_id": world.county.id}),
]
