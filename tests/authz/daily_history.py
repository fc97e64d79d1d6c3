"""Matrix cases for the school day as recorded: a child's day (the child's confirmed guardians), the class's day
(its class teacher and the school's administrators; another class of the school: 403), monthly attendance (the
school's administrators and their county's officer; another county's school: 404)."""

from tests.authz import SCHOOL_ADMINS, Case

GUARDIAN = frozenset({"guardian"})
CLASS_DAY = frozenset({"class_teacher"}) | SCHOOL_ADMINS
ATTENDANCE = SCHOOL_ADMINS | {"county_officer"}


def child_args(world, which) -> dict:
    return {"student_id": (world.own_student if which == "own" else world.other_student).id}


def class_args(world, which) -> dict:
    return {"class_id": (world.own_class if which == "own" else world.other_class).id}


def school_args(world, which) -> dict:
    """Own: the own school (the administrators' school, in the officer's county); other: another county's school
    (for an administrator, not theirs either)."""
    return {"school_id": (world.own_school if which == "own" else world.far_school).id}


def month_args(world, which) -> dict:
    return dict(school_args(world, which), month="2026-11", by="class")


CASES = [
    Case("daily.child_days", GUARDIAN, scoped=True, args=child_args),
    Case("daily.class_day", CLASS_DAY, scoped=True, args=class_args),
    Case("daily.attendance", ATTENDANCE, scoped=True, args=school_args),
    Case("daily.attendance_xlsx", ATTENDANCE, scoped=True, args=month_args),
]
