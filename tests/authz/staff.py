"""Matrix cases for the staff pages: the school's staff list and profiles, and a teacher's own participation."""

from tests.authz import Case

ADMIN = frozenset({"school_admin"})
TEACHERS = frozenset({"class_teacher", "teacher"})


def _member(world, which):
    users = world.users if which == "own" else world.other_users
    return {"user_id": users["teacher"].id}


def _staff_data(world, which):
    return {"name": "新老师", "mobile": "13712340000", "staff_type": "teacher", "password": "initial-pass",
            "subjects": ["数学"], "skills": ["supervision"]}


CASES = [
    Case("staff.index", ADMIN),
    Case("staff.new", ADMIN),
    Case("staff.new", ADMIN, method="POST", ok=302, data=_staff_data),
    Case("staff.edit", ADMIN, scoped=True, args=_member),
    Case("staff.edit", ADMIN, method="POST", ok=302, scoped=True, args=_member,
         data=lambda world, which: {"name": "改名老师", "mobile": "13712340001", "staff_type": "volunteer",
                                    "max_weekly_minutes": "120", "max_days": "2"}),
    Case("staff.exempt", ADMIN, method="POST", ok=302, scoped=True, args=_member,
         data=lambda world, which: {"exempt": "y", "reason": "身体原因"}),
    Case("staff.deactivate", ADMIN, method="POST", ok=302, scoped=True, args=_member),
    Case("staff.my_profile", TEACHERS),
    Case("staff.my_profile", TEACHERS, method="POST", ok=302,
         data=lambda world, which: {"opted_in": "y", "skills": ["supervision", "reading"]}),
]
