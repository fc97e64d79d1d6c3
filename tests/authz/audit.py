"""Matrix cases for the access and security log: the principal (own school) and the county officer (own county)."""

from tests.authz import Case

CASES = [
    Case("audit.log", frozenset({"school_admin", "county_officer"})),
]
CASES.append(Case("audit.set_retention", frozenset({"school_admin"}), method="POST", ok=302,
                  data=lambda world, which: {"days": "400"}))
