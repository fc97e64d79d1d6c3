"""Matrix cases for the programme pages (offerings, activities, agreement, public notice)."""

from app.extensions import db
from tests import factories
from tests.authz import EVERYONE, SCHOOL_ADMINS, Case

ADMIN = SCHOOL_ADMINS  # the principal and coordinators


def _school(world, which):
    return world.own_school if which == "own" else world.other_school


def offering_args(world, which) -> dict:
    offering = factories.create_offering(_school(world, which))
    db.session.commit()
    return {"offering_id": offering.id}


def activity_args(world, which) -> dict:
    activity = factories.create_activity(factories.create_offering(_school(world, which)))
    db.session.commit()
    return {"activity_id": activity.id}


def notice_args(world, which) -> dict:
    offering = factories.create_offering(world.own_school)
    db.session.commit()
    return {"offering_id": offering.id, "version": 1}


def published_offering_args(world, which) -> dict:
    offering = factories.create_offering(world.own_school)
    factories.create_activity(offering)
    db.session.commit()
    return {"offering_id": offering.id}


CASES = [
    Case("programs.index", ADMIN),
    Case("programs.new_offering", ADMIN),
    Case("programs.new_offering", ADMIN, method="POST"),
    Case("programs.offering", ADMIN, scoped=True, args=offering_args),
    Case("programs.edit_offering", ADMIN, scoped=True, args=offering_args),
    Case("programs.edit_offering", ADMIN, method="POST", scoped=True, args=offering_args),
    Case("programs.publish", ADMIN, method="POST", ok=302, scoped=True, args=offering_args),
    Case("programs.new_activity", ADMIN, scoped=True, args=offering_args),
    Case("programs.new_activity", ADMIN, method="POST", scoped=True, args=offering_args),
    Case("programs.edit_activity", ADMIN, scoped=True, args=activity_args),
    Case("programs.edit_activity", ADMIN, method="POST", scoped=True, args=activity_args),
    Case("programs.delete_activity", ADMIN, method="POST", ok=302, scoped=True, args=activity_args),
    Case("programs.new_group", ADMIN, scoped=True, args=activity_args),
    Case("programs.new_group", ADMIN, method="POST", scoped=True, args=activity_args),
    Case("programs.agreement", ADMIN),
    Case("programs.agreement", ADMIN, method="POST"),
    Case("programs.notice", EVERYONE, args=lambda world, which: {"school_id": world.own_school.id}),
    Case("programs.notice_version", EVERYONE, args=notice_args),
    Case("programs.places", EVERYONE, args=published_offering_args),
]
