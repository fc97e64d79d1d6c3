"""Matrix cases for pages whose domains are being built; each domain moves its cases to its own module."""

from tests.authz import Case

CASES = [
    Case("schools.classes", frozenset({"school_admin"})),
    Case("schools.students", frozenset({"school_admin"})),
    Case("schools.settings", frozenset({"school_admin"})),
    Case("schools.my_class", frozenset({"class_teacher", "teacher"})),
    Case("schools.county_schools", frozenset({"county_officer"})),
    Case("schools.bind_child", frozenset({"guardian"})),
    Case("staff.index", frozenset({"school_admin"})),
    Case("staff.my_profile", frozenset({"class_teacher", "teacher"})),
]
