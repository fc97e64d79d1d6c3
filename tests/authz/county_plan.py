"""Matrix cases for the county coverage plan: county officers only; another county's plan is a 404."""

from datetime import date

from app.county.plan_models import CountyPlan
from app.extensions import db
from tests.authz import Case

COUNTY = frozenset({"county_officer"})


def _plan(county) -> CountyPlan:
    plan = CountyPlan(county_id=county.id, monday=date(2026, 11, 16), time_limit=2.0,
                      progress={"staffed": 0, "needed": 0, "stage": "queued", "elapsed": 0.0, "time_limit": 60},
                      result={"schools": [], "verify_rounds": 3})
    db.session.add(plan)
    db.session.commit()
    return plan


def plan_args(world, which) -> dict:
    """Own: a plan of the officer's county; other: a plan of another county."""
    county = world.county if which == "own" else world.far_school.county
    return {"plan_id": _plan(county).id}


def week_data(world, which) -> dict:
    return {"day": "2026-11-18"}


CASES = [
    Case("county.plans", COUNTY),
    Case("county.plans", COUNTY, method="POST", ok=302, data=week_data),
    Case("county.plan_page", COUNTY, scoped=True, args=plan_args),
    Case("county.plan_status", COUNTY, scoped=True, args=plan_args),
    Case("county.plan_export", COUNTY, scoped=True, args=plan_args),
]
