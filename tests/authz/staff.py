"""Matrix cases for the staff pages: the school's staff list and profiles, and a teacher's own participation."""

import io

from tests.authz import SCHOOL_ADMINS, Case

ADMIN = SCHOOL_ADMINS  # the principal and coordinators
TEACHERS = frozenset({"class_teacher", "teacher"})
STAFF_SELF = TEACHERS | {"provider_staff"}


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
    # Availability and teaching minutes (issue 6)
    Case("staff.my_availability", STAFF_SELF),
    Case("staff.my_availability", STAFF_SELF, method="POST", ok=302,
         data=lambda world, which: {"regular-weekday": "2", "regular-starts_at": "15:00", "regular-ends_at": "17:00",
                                    "regular-submit": "y"}),
    Case("staff.remove_my_window", STAFF_SELF, method="POST", ok=302, data=lambda world, which: {"window_id": "1"}),
    Case("staff.availability", ADMIN, scoped=True, args=_member),
    Case("staff.availability", ADMIN, method="POST", ok=302, scoped=True, args=_member,
         data=lambda world, which: {"teaching-day0": "240", "teaching-submit": "y"}),
    Case("staff.remove_window", ADMIN, method="POST", ok=302, scoped=True, args=_member,
         data=lambda world, which: {"window_id": "1"}),
    Case("staff.import_teaching_minutes", ADMIN),
    Case("staff.teaching_minutes_template", ADMIN),
    Case("staff.upload_teaching_minutes", ADMIN, method="POST",
         data=lambda world, which: {"file": (io.BytesIO("手机号,周一\n13900000000,240\n".encode()), "t.csv")}),
    Case("staff.confirm_teaching_minutes", ADMIN, method="POST", ok=302,
         data=lambda world, which: {"token": "x" * 32}),
]
